"""Pages: feeds. Front door.

    GET  /feeds                 health of every feed (config and added), with pause/resume/remove; ?q= (name or
                                address), ?health= (failing, unreached, paused, new, ok), ?page= (100 a page)
    POST /feeds/add             by feed URL or site URL (the site's page is looked at for its feeds)
    POST /feeds/pause|resume|remove
    POST /feeds/import          an OPML file
    GET  /feeds/export.opml
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl, urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.app.feeds import HEALTHS, FeedChangeError
from bot.app.polling import Interval
from bot.errors import WatchbotError
from bot.markup import one_line
from bot.web.app import Page, parts, render, session

MAX_OPML = 5_000_000


def routes(signed_in: Callable[[Page], Page]) -> list[Route]:
    return [
        Route("/feeds", signed_in(index)),
        Route("/feeds/add", signed_in(add), methods=["POST"]),
        Route("/feeds/pause", signed_in(change("pause")), methods=["POST"]),
        Route("/feeds/resume", signed_in(change("resume")), methods=["POST"]),
        Route("/feeds/remove", signed_in(change("remove")), methods=["POST"]),
        Route("/feeds/import", signed_in(import_opml), methods=["POST"]),
        Route("/feeds/export.opml", signed_in(export_opml)),
    ]


async def _page(request: Request, *, status: int = 200, **values: object) -> Response:
    web = parts(request)
    wanted = _wanted(request.query_params)
    listing = await web.feeds.listing(text=wanted["q"], health=wanted["health"], page=int(wanted["page"] or 1))
    # "every 6 h (no new items in the last week)", as `watchbot feeds` says it; nothing before a first poll
    schedules = {f.url: f"{Interval(f.interval_seconds, f.interval_reason).every} ({f.interval_reason})"
                 for f in listing.feeds if f.interval_seconds and f.interval_reason}
    here = {k: v for k, v in wanted.items() if v}
    return render(request, "feeds.html", {
        "listing": listing, "feeds": listing.feeds, "schedules": schedules, "now": web.auth.clock(),
        "source": web.feeds.config.source, "wanted": wanted, "healths": HEALTHS, "back": urlencode(here),
        "page_link": lambda n: "/feeds?" + urlencode(here | {"page": str(n)}),
        "health_link": lambda h: "/feeds?" + urlencode({"health": h} if h else {}), "anchor": anchor, **values},
        status=status)


def _wanted(params: Mapping[str, str]) -> dict[str, str]:
    """The list's filter from a query string: ``q`` (name or address), ``health`` (one of HEALTHS) and ``page``."""
    page = params.get("page", "")
    return {"q": one_line(params.get("q", ""))[:200], "health": params.get("health", "") if params.get(
        "health") in HEALTHS else "", "page": page if page.isdigit() and 1 < int(page) < 1_000_000 else ""}


async def index(request: Request) -> Response:
    q = request.query_params
    if not hmac.compare_digest(q.get("said", ""), _sign(request, q.get("done", "") + "\0" + q.get("note", ""))):
        return await _page(request)  # (a link anyone made: "?done=Your session is compromised..." was shown as ours)
    return await _page(request, done=q.get("done", ""), note=q.get("note", ""))


async def add(request: Request) -> Response:
    form = await request.form()
    url, name = str(form.get("url") or ""), str(form.get("name") or "")
    try:
        added = await parts(request).feeds.add(url, name, discover=form.get("chosen") != "1")
    except WatchbotError as e:
        return await _page(request, status=422, problem=str(e), url=url)
    if added.choices:
        return await _page(request, choices=added.choices, url=url)
    assert added.feed is not None
    if added.already:  # nothing changed: said as a note, not as a success
        return _done(request, f"{added.feed.label} is already there: nothing added", note=True)
    return _done(request, f"{added.feed.label} was added")


def change(action: str) -> Page:
    async def act(request: Request) -> Response:
        form = await request.form()
        url = str(form.get("url") or "")
        try:
            feed = await getattr(parts(request).feeds, action)(url)
        except FeedChangeError as e:
            return await _page(request, status=422, problem=str(e))
        return _done(request, f"{feed.label}: {action}d", back=str(form.get("back") or ""),
                     at=None if action == "remove" else anchor(url))

    act.__name__ = action
    return act


async def import_opml(request: Request) -> Response:
    form = await request.form()
    upload = form.get("opml")
    if not isinstance(upload, UploadFile):
        return await _page(request, status=422, problem="choose an OPML file to import")
    data = await upload.read(MAX_OPML + 1)
    if len(data) > MAX_OPML:
        return await _page(request, status=422, problem="the OPML file is larger than 5 MB")
    try:
        imported = await parts(request).feeds.import_opml(data, source=upload.filename or "OPML file",
                                                          most=MAX_WEB_IMPORT)
    except WatchbotError as e:
        return await _page(request, status=422, problem=str(e))
    return _done(request, imported.line())


MAX_WEB_IMPORT = 1000  # feeds one OPML file may add from the web (the CLI takes more: its operator sees the server)


def _done(request: Request, message: str, back: str = "", *, note: bool = False, at: str | None = None) -> Response:
    """Back to the list (to the page and filter ``back`` names, a query string), saying what happened (POST,
    redirect, GET: a reload does not repeat the change); ``note``: nothing changed, so it is no success; ``at``: the
    feed's anchor, so that the page comes back at it and the keyboard goes on from there (not 12 Tabs from the top)."""
    here = {k: v for k, v in _wanted(dict(parse_qsl(back))).items() if v}
    said = _sign(request, f"\0{message}" if note else f"{message}\0")  # (only what this session was told shows)
    return RedirectResponse("/feeds?" + urlencode({"note" if note else "done": message, "said": said, **here})
                            + (f"#{at}" if at else ""), status_code=303)


def _sign(request: Request, message: str) -> str:
    """A message's signature with the session's CSRF secret: a crafted link's message has none that fits."""
    return hmac.new(session(request).csrf.encode(), message.encode(), "sha256").hexdigest()[:16]


def anchor(url: str) -> str:
    """A feed's element id on the page (its URL is no valid one)."""
    return "feed-" + hashlib.blake2b(url.encode(), digest_size=6).hexdigest()


async def export_opml(request: Request) -> Response:
    body = await parts(request).feeds.export_opml()
    return Response(body, media_type="text/x-opml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="watchbot-feeds.opml"'})
