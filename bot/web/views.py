"""Pages: signing in and out, recent alerts, digest previews. Front door."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.web.app import COOKIE, Page, parts, render
from bot.web.app import session as current


def routes(signed_in: Callable[[Page], Page]) -> list[Route]:
    return [
        Route("/login", ask_the_bot),
        Route("/login/{token}", confirm_login, methods=["GET"]),
        Route("/login/{token}", login, methods=["POST"]),
        Route("/logout", signed_in(logout), methods=["POST"]),
        Route("/alerts", signed_in(alerts)),
        Route("/digests", signed_in(digests)),
    ]


async def home(request: Request) -> Response:
    return RedirectResponse("/watchlists", status_code=303)


async def ask_the_bot(request: Request) -> Response:
    if await _signed_in(request):
        return render(request, "login.html", {"state": "already"})
    return render(request, "login.html", {"state": "ask", "undone": request.query_params.get("undone") == "1"})


async def confirm_login(request: Request) -> Response:
    """A button, not a login: link previews (Telegram fetches links it is sent) must not use the link up."""
    if await _signed_in(request):  # (the link again, or Back to this page after signing in)
        return render(request, "login.html", {"state": "already"})
    return render(request, "login.html", {"state": "confirm", "token": request.path_params["token"]})


async def _signed_in(request: Request) -> bool:
    found = await parts(request).auth.session(request.cookies.get(COOKIE))
    if found is not None:
        request.state.session = found  # (the page's menu)
    return found is not None


async def login(request: Request) -> Response:
    web = parts(request)
    opened = await web.auth.login(request.path_params["token"])
    if opened is None:
        if await _signed_in(request):
            return render(request, "login.html", {"state": "already"})
        return render(request, "login.html", {"state": "used"}, status=403)
    response = RedirectResponse("/watchlists", status_code=303)
    response.set_cookie(COOKIE, opened.token, max_age=int((opened.session.expires_at - web.auth.clock())
                                                           .total_seconds()),
                        httponly=True, samesite="lax", secure=web.secure_cookies, path="/")
    return response


async def logout(request: Request) -> Response:
    await parts(request).auth.logout(request.cookies.get(COOKIE, ""))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE, path="/")
    return response


async def alerts(request: Request) -> Response:
    web = parts(request)
    q = request.query_params
    wanted = {"text": q.get("q", ""), "watchlist": q.get("watchlist", ""), "chat": q.get("chat", "")}
    found = await web.alerts.search(text=wanted["text"], watchlist=wanted["watchlist"], chat=wanted["chat"])
    values = {"alerts": found, "wanted": wanted, "chats": await web.alerts.chats(),
              "watchlists": [w.id for w in web.editor.rules.watchlists], "user": current(request).user_id}
    if request.headers.get("hx-target") == "alert-list":
        return render(request, "alerts_list.html", values)
    return render(request, "alerts.html", values)


async def digests(request: Request) -> Response:
    web = parts(request)
    recipients = web.digests.recipients()
    asked = request.query_params.get("key", "")
    gone = bool(asked) and asked not in {r.key for r in recipients}  # (a link kept from before the config changed)
    key = asked if asked and not gone else (recipients[0].key if recipients else "")
    preview = await web.digests.preview(key) if key else None
    if preview is not None:  # (a link followed inside the frame broke it: the page's CSP keeps other sites out of it)
        preview = dataclasses.replace(preview, html=_LINK.sub(r'<a target="_blank" rel="noopener noreferrer" ',
                                                               preview.html))
    return render(request, "digests.html", {"recipients": recipients, "key": key, "preview": preview, "gone": gone})


_LINK = re.compile(r"<a (?=[^>]*\bhref=)", re.IGNORECASE)
