"""Pages: feeds. Front door.

    GET  /feeds                 health of every feed (config and added), with pause/resume/remove
    POST /feeds/add             by feed URL or site URL (the site's page is looked at for its feeds)
    POST /feeds/pause|resume|remove
    POST /feeds/import          an OPML file
    GET  /feeds/export.opml
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.app.feeds import FeedChangeError
from bot.app.polling import Interval
from bot.errors import WatchbotError
from bot.web.app import Page, parts, render

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
    feeds = await web.feeds.all()
    # "every 6 h (no new items in the last week)", as `watchbot feeds` says it; nothing before a first poll
    schedules = {f.url: f"{Interval(f.interval_seconds, f.interval_reason).every} ({f.interval_reason})"
                 for f in feeds if f.interval_seconds and f.interval_reason}
    return render(request, "feeds.html", {"feeds": feeds, "schedules": schedules, "now": web.auth.clock(),
                                          "source": web.feeds.config.source, **values}, status=status)


async def index(request: Request) -> Response:
    return await _page(request, done=request.query_params.get("done", ""))


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
    what = "is already there" if added.already else "was added"
    return _done(f"{added.feed.label} {what}")


def change(action: str) -> Page:
    async def act(request: Request) -> Response:
        form = await request.form()
        url = str(form.get("url") or "")
        try:
            await getattr(parts(request).feeds, action)(url)
        except FeedChangeError as e:
            return await _page(request, status=422, problem=str(e))
        return _done(f"{url}: {action}d")

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
        imported = await parts(request).feeds.import_opml(data, source=upload.filename or "OPML file")
    except WatchbotError as e:
        return await _page(request, status=422, problem=str(e))
    return _done(f"imported {len(imported.added)} feeds; {len(imported.skipped)} were already there")


def _done(message: str) -> Response:
    """Back to the list, saying what happened (POST, redirect, GET: a reload does not repeat the change)."""
    return RedirectResponse("/feeds?" + urlencode({"done": message}), status_code=303)


async def export_opml(request: Request) -> Response:
    body = await parts(request).feeds.export_opml()
    return Response(body, media_type="text/x-opml; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="watchbot-feeds.opml"'})
