"""The watchlist editor behind the web: list, check as you type, preview, backtest difference, save.
Use-case: reads and writes rule files, reads the store.

    check(file, text)    the loader on the text: the watchlist, or every problem as file:line
    review(file, text)   check, and what a changed id does (the chats that follow the old one move to it)
    preview(file, text)  what it matches among the last 5,000 stored items, each hit explained, and
                         the difference from what that watchlist matched when they were stored
    save(file, text)     refused while the text has problems (the last good file stays); else the
                         user's own text is written as it is (comments and layout stay), kept in
                         the store, and the RuleBook reloads it; a changed id takes the old one's
                         followers and matches with it
    pull()               the service's rules tick: texts another process saved are written here too

Matching runs in a worker thread (it is CPU work), store reads in the store's thread.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from bot.app.backtest import Backtest
from bot.errors import RuleError
from bot.store.protocols import Store
from bot.watch import Matcher, RuleBook, Watchlist, parse_watchlist, rule_warnings
from bot.watch.batch import Views, match_many
from bot.watch.explain import explain
from bot.watch.load import SUFFIXES, read_rule_file

log = logging.getLogger("watchbot.rules")
RECENT = 5000  # stored items a preview looks at
SHOWN = 30  # matched items listed in a preview
NAME_MAX = 64  # characters of a file name before .yaml
_NAME = re.compile(rf"^[a-z0-9][a-z0-9_-]{{0,{NAME_MAX - 1}}}\.ya?ml$")


class WatchlistEditError(Exception):
    """A save or open that cannot be done; str() says why and what to do."""


class WatchlistConflict(WatchlistEditError):
    """The file changed since the editor read it (another editor, or on disk): nothing saved. ``version`` is the
    file's version now, for a save that means to replace it all the same."""

    def __init__(self, message: str, version: str, theirs: str = "") -> None:
        super().__init__(message)
        self.version = version
        self.theirs = theirs  # the file's text now, to bring its changes into one's own


class WatchlistUnreadable(WatchlistEditError):
    """The file is there but cannot be read as UTF-8 (or at all): the editor leaves it alone."""


def version_of(text: str) -> str:
    """A short fingerprint of a file's text: what the editor read, to tell whether it changed before the save ("" for
    no file)."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest() if text else ""


@dataclass(frozen=True, slots=True)
class WatchlistFile:
    name: str  # file name inside the rules folder
    watchlist: Watchlist | None  # the active (last good) version
    errors: tuple[RuleError, ...]


@dataclass(frozen=True, slots=True)
class Checked:
    watchlist: Watchlist | None
    errors: tuple[RuleError, ...]
    warnings: tuple[str, ...] = ()  # what `rules check` warns of (bot.watch.advice), without the file's path
    renamed_from: str | None = None  # the id the file's active watchlist has now, when the text changes it
    moved: int = 0  # after a save that changed the id: the chats that followed the old id and follow the new one

    @property
    def ok(self) -> bool:
        return self.watchlist is not None and not self.errors


@dataclass(frozen=True, slots=True)
class PreviewItem:
    identity: str
    title: str
    explanations: tuple[str, ...]
    before: bool  # the watchlist matched it when it was stored
    source: str = ""  # the feed that first carried it, when, and its link (two items of one title told apart)
    seen: datetime | None = None
    link: str | None = None


@dataclass
class Preview:
    checked: Checked
    looked_at: int = 0
    matched: list[PreviewItem] = field(default_factory=list)  # the first SHOWN
    count: int = 0
    backtest: Backtest = field(default_factory=Backtest)
    saved: bool = True  # the file has a saved (active) watchlist to compare with

    @property
    def gained(self) -> list[str]:
        w = self.checked.watchlist
        return self.backtest.gained.get(w.id, []) if w else []

    @property
    def lost(self) -> list[str]:
        w = self.checked.watchlist
        return self.backtest.lost.get(w.id, []) if w else []


class WatchlistEditor:
    def __init__(self, rules: RuleBook, store: Store, *, clock: Callable[[], datetime],
                 emailed: Sequence[tuple[str, Sequence[str]]] = ()) -> None:
        self.rules = rules
        self.store = store
        self.clock = clock
        self.emailed = emailed  # the config's email digests: (whom to, the watchlist ids they name)
        self._pulled: datetime | None = None
        self._unwritable: set[str] = set()  # files another process saved that this one could not write (said once)
        self._views = Views(2 * RECENT)  # the recent items' folded fields, kept from one preview to the next

    @property
    def folder(self) -> Path:
        return self.rules.folder

    def files(self) -> list[WatchlistFile]:
        """Every rule file with its active watchlist and its problems."""
        by_path: dict[str, list[RuleError]] = {}
        for e in self.rules.errors:
            by_path.setdefault(Path(e.path).name, []).append(e)
        active = {w.source.name: w for w in self.rules.watchlists if w.source is not None}
        if not self.folder.is_dir():
            return []
        paths = sorted(p for p in self.folder.iterdir() if p.suffix in SUFFIXES and p.is_file())
        return [WatchlistFile(p.name, active.get(p.name), tuple(by_path.get(p.name, ()))) for p in paths]

    async def followers(self) -> dict[str, int]:
        """{watchlist id: how many chats follow it} for the active watchlists."""
        ids = [w.id for w in self.rules.watchlists]
        return dict(zip(ids, await self.store.run(lambda: [self.store.chats.followers(i) for i in ids]), strict=True))

    def text(self, name: str) -> str:
        """The file's text as written ("" for a new file). A file that cannot be read as UTF-8 is a WatchlistEditError
        that says so (it was shown as a new file, and saving replaced the watchlist with the template)."""
        path = self._path(name)
        if not path.exists():
            return ""
        try:
            return read_rule_file(path)
        except RuleError as e:
            raise WatchlistUnreadable(f"{name}{f':{e.line}' if e.line else ''}: {e.message}; the editor reads and "
                                     "writes UTF-8 only, so it leaves this file alone (e.g. `iconv -f GBK -t UTF-8 "
                                     f"{name} > new.yaml`, then put new.yaml in its place)") from None

    def check(self, name: str, text: str) -> Checked:
        """The loader on ``text`` as if it were the file ``name``; another file's id is a problem too."""
        path = self._path(name)
        watchlist, errors = parse_watchlist(text, path=path)
        if watchlist is not None and any(o.id == watchlist.id for o in self.rules.watchlists):
            owner = self._owner(watchlist.id)
            if owner not in (None, path.name):
                return Checked(None, (RuleError(str(path), _id_line(text), f"id {watchlist.id!r} is already used "
                                                f"by {owner}: give this one another id"),))
        errors = sorted(errors, key=lambda e: e.line or 0)  # (in the text's order)
        if watchlist is None:
            return Checked(None, tuple(errors))
        return Checked(watchlist, tuple(errors), tuple(_unplaced(w, watchlist) for w in rule_warnings(watchlist, text)))

    async def review(self, name: str, text: str) -> Checked:
        """``check``, and when the text changes the id of the file's active watchlist, a warning that says what saving
        does: the chats that follow the old id follow the new one; an email digest of the config that names the old
        id must be changed there."""
        checked = self.check(name, text)
        old = self._active_id(name)
        if checked.watchlist is None or old is None or old == checked.watchlist.id:
            return checked
        new = checked.watchlist.id
        followers = await self.store.run(self.store.chats.followers, old)
        said = [f"the id was '{old}': saving makes it '{new}'"
                + (f", and the {followers} chat{'s' * (followers != 1)} that follow{'s' * (followers == 1)} '{old}' "
                   f"will follow '{new}'" if followers else " (no chat follows it)")]
        said += [f"the config's email digest to {to} names '{old}': change it there to '{new}'"
                 for to, ids in self.emailed if old in ids]
        return replace(checked, warnings=(*said, *checked.warnings), renamed_from=old)

    async def preview(self, name: str, text: str, *, limit: int = RECENT) -> Preview:
        """What ``text`` would match among the last ``limit`` stored items, explained, with the difference."""
        checked = await self.review(name, text)
        preview = Preview(checked, saved=self._active_id(name) is not None)
        w = checked.watchlist
        if w is None:
            return preview
        recent = await self.store.run(self.store.items.recent, limit)
        identities = [i for i, _, _ in recent]
        before = await self.store.run(self.store.items.matched_by, checked.renamed_from or w.id, identities)
        preview = await asyncio.to_thread(_preview, preview, w, recent, before, self._views)
        stored = await self.store.run(self.store.items.get, [p.identity for p in preview.matched])
        preview.matched = [replace(p, source=s.sightings[0][1] if s.sightings else "", seen=s.first_seen_at,
                                   link=s.item.link) if (s := stored.get(p.identity)) else p for p in preview.matched]
        return preview

    async def save(self, name: str, text: str, *, base: str | None = None) -> Checked:
        """Write ``text`` to the file (and the store, for the other processes) and reload the rules;
        refused (nothing written) while it has problems. A changed id takes the old one's followers and what it
        matched (pending digests, the next preview's difference) along. ``base``: the version of the file the text was
        edited from (``version_of``); a file changed since is a WatchlistConflict, and nothing is written."""
        checked = await self.review(name, text)
        if not checked.ok:
            return checked
        path = self._path(name)
        now = await asyncio.to_thread(self.text, name)  # (a file the editor cannot read is never overwritten)
        if base is not None and version_of(now) != base:
            raise WatchlistConflict(
                f"{name} {'changed' if now else 'was deleted'} since you opened it (another editor, or someone on "
                f"the server): nothing was saved. Your text is below, with the version on the server beside it: "
                "bring its changes into yours; Save again then replaces it.", version_of(now), now)
        try:
            await asyncio.to_thread(_write, path, text)
        except OSError as e:
            raise WatchlistEditError(f"cannot write {path}: {e.strerror or e} (is the rules folder writable? "
                                     "set [rules] path to a folder you own)") from e
        await self.store.run(self.store.rule_texts.put, name, _ended(text), now=self.clock())
        log.info("watchlist %s saved on the web (%s)%s", name, checked.watchlist.id if checked.watchlist else "?",
                 f", id changed from {checked.renamed_from}" if checked.renamed_from else "")
        if checked.renamed_from is not None and checked.watchlist is not None:
            old, new = checked.renamed_from, checked.watchlist.id
            moved = await self.store.run(_rename, self.store, old, new)
            checked = replace(checked, moved=moved)
        self.rules.refresh()
        return checked

    async def pull(self) -> int:
        """Write watchlists another process saved (newer than this folder's file) into the folder; how many.

        A file edited here after that save is newer and stays as it is."""
        changed = await self.store.run(self.store.rule_texts.changed_since, self._pulled)
        written = 0
        for name, text, updated_at in changed:
            self._pulled = max(self._pulled or updated_at, updated_at)
            if not _NAME.match(name):
                continue
            path = self.folder / name
            try:
                if path.exists() and (_read(path) == text or path.stat().st_mtime >= updated_at.timestamp()):
                    continue
                await asyncio.to_thread(_write, path, text)
            except OSError as e:  # a folder this process cannot write keeps its files; the next save tries again
                if name not in self._unwritable:  # (said once: this runs every few seconds)
                    self._unwritable.add(name)
                    log.warning("%s was saved on the web by another process, but cannot be written here: %s (make "
                                "the rules folder writable by this service)", path, e.strerror or e)
                continue
            written += 1
        return written

    def _path(self, name: str) -> Path:
        if not _NAME.match(name):
            long = len(name.rsplit(".", 1)[0]) > NAME_MAX
            raise WatchlistEditError(f"{name!r} is no watchlist file name: use at most {NAME_MAX} lower-case letters, "
                                     "digits, - and _, ending in .yaml (e.g. gallium.yaml)"
                                     + (f"; this one has {len(name.rsplit('.', 1)[0])} before .yaml" if long else ""))
        return self.folder / name

    def _active_id(self, name: str) -> str | None:
        """The id of the file's active (last good) watchlist."""
        for w in self.rules.watchlists:
            if w.source is not None and w.source.name == name:
                return w.id
        return None

    def _owner(self, watchlist_id: str) -> str | None:
        """The file whose active watchlist has this id."""
        for w in self.rules.watchlists:
            if w.id == watchlist_id and w.source is not None:
                return w.source.name
        return None


def _preview(
    preview: Preview, w: Watchlist, recent: list[tuple[str, str, str]], before: set[str], views: Views
) -> Preview:
    matcher = Matcher([w])
    report = preview.backtest
    report.total = preview.looked_at = len(recent)
    found = match_many(matcher, [{"title": title, "lede": lede} for _, title, lede in recent], views=views)
    for (identity, title, _), matches in zip(recent, found, strict=True):
        was = {w.id} if identity in before else set()
        if not matches and not was:
            continue  # (nothing to count: most items)
        now = {m.watchlist for m in matches}
        report.add(title, identity, now, was, set())
        if matches:
            preview.count += 1
            if len(preview.matched) < SHOWN:
                preview.matched.append(PreviewItem(identity, title, tuple(explain(matches[0], w)), bool(was)))
    return preview


def _rename(store: Store, old: str, new: str) -> int:
    """Everything that names a watchlist by its id names ``new`` instead of ``old``, in one transaction: its
    followers, what it matched, the alerts held over a chat's cap for it (or the next digest would leave them out),
    its alerts (the web's alert list filters by id) and the judgments that teach it. How many chats follow it now."""
    with store.transaction():
        moved = store.chats.rename_watchlist(old, new)
        store.items.rename_watchlist(old, new)
        store.phrases.rename_watchlist(old, new)
        store.outbox.rename_watchlist(old, new)
        store.judgments.rename_watchlist(old, new)
    return moved


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _write(path: Path, text: str) -> None:
    """Write all or nothing: a crash never leaves half a file for the reload to find. The file keeps its permissions
    (a new one gets the usual ones: the temporary file's owner-only mode had become the watchlist's)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        try:
            mode = path.stat().st_mode & 0o7777
        except FileNotFoundError:
            mode = 0o666 & ~_umask()
        os.chmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(_ended(text))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _umask() -> int:
    """The process's umask, read without setting it (os.umask sets it for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _ended(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def _id_line(text: str) -> int | None:
    for n, line in enumerate(text.splitlines(), 1):
        if line.startswith("id:"):
            return n
    return None


def _unplaced(warning: str, watchlist: Watchlist) -> str:
    """A warning without its file's path (the editor shows one file): "line 4: watchlist ..." or "watchlist ..."."""
    head = f"{watchlist.source}:" if watchlist.source else ""
    if not head or not warning.startswith(head):
        return warning
    line, _, rest = warning[len(head):].partition(": ")
    return f"line {line}: {rest}" if line.isdigit() else warning[len(head):].lstrip()
