"""Pages: the watchlists and their editor. Front door.

    GET  /watchlists                   every file, its watchlist and its problems
    GET  /watchlists/{file}            the editor (a new file starts from a template)
    POST /watchlists/{file}/check      htmx, as you type: the problems, file:line
    POST /watchlists/{file}/preview    matches among recent items, explained, and the backtest difference
    POST /watchlists/{file}            save: refused while the text has problems; else written and reloaded
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.app.watchlists import WatchlistConflict, WatchlistEditError, WatchlistUnreadable, version_of
from bot.web.app import Page, is_htmx, parts, render

NEW = """# A watchlist: an item matches when one 'any' phrase hits (and one of each 'all' group, and no 'none').
id: {id}
name: {id}
any:
  - example phrase
"""


def routes(signed_in: Callable[[Page], Page]) -> list[Route]:
    return [
        Route("/watchlists", signed_in(index)),
        Route("/watchlists/new", signed_in(new), methods=["POST"]),
        Route("/watchlists/{name}", signed_in(edit), methods=["GET"]),
        Route("/watchlists/{name}", signed_in(save), methods=["POST"]),
        Route("/watchlists/{name}/check", signed_in(check), methods=["POST"]),
        Route("/watchlists/{name}/preview", signed_in(preview), methods=["POST"]),
    ]


async def index(request: Request) -> Response:
    editor = parts(request).editor
    return render(request, "watchlists.html", {"files": editor.files(), "folder": editor.folder,
                                               "followers": await editor.followers()})


async def new(request: Request) -> Response:
    form = await request.form()
    stem = str(form.get("name") or "").strip().lower().removesuffix(".yaml").removesuffix(".yml")
    try:
        there = bool(stem) and bool(parts(request).editor.text(f"{stem}.yaml"))
    except WatchlistEditError:  # (a name no file may have: the editor page says why)
        there = False
    return RedirectResponse(f"/watchlists/{stem}.yaml" + ("?existing=1" if there else ""), status_code=303)


async def edit(request: Request) -> Response:
    editor = parts(request).editor
    name = request.path_params["name"]
    try:
        text = editor.text(name)
    except WatchlistUnreadable as e:  # (there, but not as UTF-8: left alone)
        return render(request, "problem.html", {"problem": str(e)}, status=409)
    except WatchlistEditError as e:
        return render(request, "problem.html", {"problem": str(e)}, status=404)
    base = version_of(text)
    new = not text
    text = text or NEW.format(id=name.rsplit(".", 1)[0])
    checked = await editor.review(name, text)
    q = request.query_params
    return render(request, "editor.html", {"name": name, "text": text, "checked": checked, "preview": None,
                                           "saved": q.get("saved") == "1", "moved": _count(q.get("moved")),
                                           "moved_from": q.get("from", ""), "new": new, "base": base,
                                           "existing": request.query_params.get("existing") == "1"})


async def _text(request: Request) -> str:
    form = await request.form()
    return str(form.get("text") or "").replace("\r\n", "\n")


async def check(request: Request) -> Response:
    editor = parts(request).editor
    name = request.path_params["name"]
    text = await _text(request)
    try:
        checked = await editor.review(name, text)
    except WatchlistEditError as e:
        return render(request, "problem.html", {"problem": str(e)}, status=404)
    form = await request.form()
    return render(request, "editor_check.html", {"checked": checked,
                                                 "stale": str(form.get("previewed") or "") != _digest(text)})


async def preview(request: Request) -> Response:
    editor = parts(request).editor
    name, text = request.path_params["name"], await _text(request)
    try:
        found = await editor.preview(name, text)
    except WatchlistEditError as e:
        return render(request, "problem.html", {"problem": str(e)}, status=404)
    if is_htmx(request):
        return render(request, "editor_preview.html", {"preview": found, "checked": found.checked,
                                                       "previewed": _digest(text), "oob": True})
    base = (await request.form()).get("base")  # (kept for the Save after this page)
    return render(request, "editor.html", {"name": name, "text": text, "checked": found.checked, "preview": found,
                                           "previewed": _digest(text), "base": base})


def _digest(text: str) -> str:
    """Which text a preview showed: a check of the same text (typed, then Preview pressed at once) keeps it."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


async def save(request: Request) -> Response:
    editor = parts(request).editor
    name, text = request.path_params["name"], await _text(request)
    base = (await request.form()).get("base")
    try:
        checked = await editor.save(name, text, base=str(base) if base is not None else None)
    except WatchlistConflict as e:  # (the text typed stays; a second Save replaces the other version knowingly)
        return render(request, "editor.html", {"name": name, "text": text, "checked": await editor.review(name, text),
                                               "preview": None, "conflict": str(e), "base": e.version,
                                               "theirs": e.theirs}, status=409)
    except WatchlistEditError as e:
        return render(request, "problem.html", {"problem": str(e)}, status=422)
    if not checked.ok:
        return render(request, "editor.html", {"name": name, "text": text, "checked": checked, "preview": None,
                                               "refused": True, "base": base}, status=422)
    moved = f"&moved={checked.moved}&from={quote(checked.renamed_from)}" if checked.renamed_from else ""
    return RedirectResponse(f"/watchlists/{name}?saved=1{moved}", status_code=303)


def _count(value: str | None) -> int:
    return int(value) if value and value.isdigit() else 0
