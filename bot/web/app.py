"""The web interface as one Starlette app. Front door: HTTP in, use-cases called, HTML out.

Every page needs a session (a cookie from a one-time login link); a request without one is sent
to /login, which says to ask the bot for /web. Every POST carries the session's CSRF token (a
hidden form field, or the X-CSRF-Token header htmx sends). Pages are plain HTML forms that work
without JavaScript; htmx swaps fragments where it is there. No secret is ever rendered: the pages
show watchlists, feeds, alerts and digests, never the config's token or password.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import wraps
from html import escape
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.app.digest_preview import DigestPreviews
from bot.app.feeds import FeedManager
from bot.app.recent_alerts import RecentAlerts
from bot.app.status import Status
from bot.app.watchlists import WatchlistEditor
from bot.app.web_auth import WebAuth
from bot.errors import StoreError
from bot.store.protocols import WebSession

log = logging.getLogger("watchbot.web")
HERE = Path(__file__).parent
COOKIE = "watchbot_session"
CSP = ("default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; script-src 'self'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

Page = Callable[[Request], Awaitable[Response]]


@dataclass(frozen=True)
class WebParts:
    """The use-cases the pages call."""

    auth: WebAuth
    editor: WatchlistEditor
    feeds: FeedManager
    status: Status
    alerts: RecentAlerts
    digests: DigestPreviews
    secure_cookies: bool = False


templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True


def parts(request: Request) -> WebParts:
    web: WebParts = request.app.state.parts
    return web


def session(request: Request) -> WebSession:
    found: WebSession = request.state.session
    return found


def render(request: Request, name: str, context: Mapping[str, Any] | None = None, *, status: int = 200) -> Response:
    """A page (or an htmx fragment) with the session's CSRF token at hand."""
    values = {"csrf": getattr(request.state, "session", None) and session(request).csrf,
              "htmx": is_htmx(request), **(context or {})}
    return templates.TemplateResponse(request, name, values, status_code=status)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def signed_in(page: Page) -> Page:
    """Only with a session; POSTs only with its CSRF token."""

    @wraps(page)
    async def guarded(request: Request) -> Response:
        found = await parts(request).auth.session(request.cookies.get(COOKIE))
        if found is None:
            if is_htmx(request):  # (typing in the editor: the text stays on the page, with the line above it)
                return said(request, SIGNED_OUT, 401)
            if request.method == "POST" and (typed := str((await _form(request)).get("text") or "")):
                # (Save in the editor: the redirect lost what was typed, and Back could not bring it back)
                return render(request, "problem.html", {"problem": SIGNED_OUT, "title": "Signed out",
                                                        "kept": typed.replace("\r\n", "\n")}, status=401)
            return RedirectResponse("/login?undone=1" if request.method == "POST" else "/login", status_code=303)
        request.state.session = found
        if request.method == "POST":
            form = await _form(request)
            sent = request.headers.get("x-csrf-token") or str(form.get("csrf") or "")
            if not hmac.compare_digest(sent.encode(), found.csrf.encode()):
                return said(request, STALE, 403)
        return await page(request)

    return guarded


MAX_FIELD = 8 * 1024 * 1024  # bytes of one form field (a watchlist's text): Starlette's 1 MB had given a bare page


async def _form(request: Request) -> Any:
    """The request's form, read once (later calls get the same) with room for a large watchlist."""
    return await request.form(max_part_size=MAX_FIELD)


SIGNED_OUT = ("You are signed out (from another tab, or the session ended), so this was not done. What you typed is "
              "still here: copy it, get a new link (/web to the bot in a private chat, or watchbot web login on "
              "the server), then paste it and save.")
STALE = ("This page was opened before you last signed in, so what you sent was not done: reload the page and try "
         "again.")


def said(request: Request, problem: str, status: int) -> Response:
    """A line that says why a request was not done: the whole page, or for htmx the line at the top of the page's main
    part, leaving what is on the page (typed text) as it is (base.html lets htmx swap these statuses)."""
    if is_htmx(request):  # (one line, replaced by the next: each request had stacked another)
        return HTMLResponse(f'<div id="said"><p class="problem" role="alert">{escape(problem)}</p></div>',
                            status_code=status, headers={"HX-Retarget": "#said", "HX-Reswap": "outerHTML"})
    return render(request, "problem.html", {"problem": problem}, status=status)


async def store_refuses(request: Request, exc: Exception) -> Response:
    """A write the store refused (its disk full, its database gone): said on the page, not a bare 500."""
    return said(request, f"The store refuses to save anything right now: {exc}. Nothing was changed; try again once "
                         "it can.", 503)


async def server_error(request: Request, exc: Exception) -> Response:
    """Anything unforeseen: said in the site's own page (it was a bare "Internal Server Error"), logged in full."""
    log.error("web: %s %s failed", request.method, request.url.path, exc_info=exc)
    problem = ("Something went wrong on the server, so this was not done (the service's log says what). Nothing "
               "was changed; go back and try again.")
    try:
        return said(request, problem, 500)
    except Exception:  # (the page itself cannot be drawn: a line without it)
        return HTMLResponse(f"<!doctype html><title>Not done</title><p>{escape(problem)}</p>", status_code=500)


async def not_found(request: Request, exc: Exception) -> Response:
    """No such page: said in the site's own page, with its menu when signed in."""
    found = await parts(request).auth.session(request.cookies.get(COOKIE))
    if found is not None:
        request.state.session = found
    return render(request, "problem.html", {"problem": f"There is no page at {request.url.path}.",
                                            "title": "No such page", "home": True}, status=404)


class SecurityHeaders:
    """CSP, no sniffing, no referrer (login links are in URLs), no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                            (b"referrer-policy", b"no-referrer")]
                if not scope["path"].startswith("/static/"):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def web_app(web: WebParts) -> ASGIApp:
    """The web interface; mount it at / beside /healthz and /metrics."""
    from bot.web import feeds, views, watchlists

    routes: list[BaseRoute] = [
        Route("/", signed_in(views.home)),
        *views.routes(signed_in),
        *watchlists.routes(signed_in),
        *feeds.routes(signed_in),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={StoreError: store_refuses, 404: not_found,
                                                       Exception: server_error})
    app.state.parts = web
    return SecurityHeaders(app)
