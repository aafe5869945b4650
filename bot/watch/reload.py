"""Live watchlists: re-read the rule folder when a file changed, keeping the last good version. Reads files.

``RuleBook.refresh()`` compares each ``*.yaml`` / ``*.yml`` file's modification time and size with what it
loaded last. When a file changed and is now broken, the last good version of that file stays
active and the problem is reported in ``errors``; a new broken file adds only errors; a removed
file takes its watchlist away.
"""

from __future__ import annotations

import threading
from pathlib import Path

from bot.errors import RuleError
from bot.watch.load import MISSING, combine, odd_entries, parse_watchlist, read_rule_file, rule_files
from bot.watch.match import Matcher
from bot.watch.model import Watchlist

_Stamp = tuple[int, int]  # mtime_ns, size


LAST_GOOD = "the last good version stays active"  # after a broken file's problems (notices say it in their language)
ODD: tuple[int, int] = (-1, -1)  # the stamp of an entry named like a rule file that is none (never read)


class RuleBook:
    """The rules of one folder, reloaded on ``refresh()``."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._stamps: dict[Path, _Stamp] = {}
        self._good: dict[Path, Watchlist] = {}  # last good version per file
        self._file_errors: dict[Path, list[RuleError]] = {}
        self.watchlists: tuple[Watchlist, ...] = ()
        self.errors: tuple[RuleError, ...] = ()
        self.matcher = Matcher(())
        self._refreshing = threading.Lock()  # (the service refreshes in a worker thread; /reload and a web save too)
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> bool:
        """Re-read when any rule file changed, appeared or disappeared. True if anything changed. Safe from several
        threads: one refresh at a time."""
        with self._refreshing:
            return self._refresh(force)

    def _refresh(self, force: bool) -> bool:
        stamps = self._scan()
        if not force and stamps == self._stamps:
            return False
        for path in set(self._stamps) - set(stamps):
            self._good.pop(path, None)
            self._file_errors.pop(path, None)
        for path, stamp in stamps.items():
            if stamp == ODD or (not force and self._stamps.get(path) == stamp):
                continue
            try:
                text = read_rule_file(path)
            except RuleError as e:  # (not UTF-8 now: its last good version stays too, and is said to, as for YAML)
                self._file_errors[path] = [e, RuleError(str(path), None, LAST_GOOD)] if path in self._good else [e]
                continue
            watchlist, errors = parse_watchlist(text, path=path)
            if watchlist is not None:
                self._good[path] = watchlist
            elif path in self._good:
                errors = [*errors, RuleError(str(path), None, LAST_GOOD)]
            self._file_errors[path] = errors
        self._stamps = stamps
        ruleset = combine([(p, self._good.get(p), self._file_errors.get(p, []))
                           for p in sorted(set(stamps) | set(self._good)) if stamps.get(p) != ODD])
        self.errors = ruleset.errors
        if not self.folder.is_dir():
            self.errors = (RuleError(str(self.folder), None, MISSING), *self.errors)
        else:
            self.errors = (*self.errors, *odd_entries(self.folder))
        changed = ruleset.watchlists != self.watchlists
        if changed or force:
            self.watchlists = ruleset.watchlists
            self.matcher = Matcher(self.watchlists, disabled=self.matcher.disabled)  # a disabled pattern stays off
        return True

    def told(self) -> tuple[RuleError, ...]:
        """The problems as a chat is told them: files named from the rule folder on ("rules/asml.yaml")."""
        return tuple(e.within(self.folder) for e in self.errors)

    def _scan(self) -> dict[Path, _Stamp]:
        stamps: dict[Path, _Stamp] = {}
        if not self.folder.is_dir():
            return stamps
        for path in rule_files(self.folder):
            try:
                st = path.stat()
            except OSError:
                continue
            stamps[path] = (st.st_mtime_ns, st.st_size)
        for odd in odd_entries(self.folder):  # (one appearing or going is a change: it is said, or no longer)
            stamps[Path(odd.path)] = ODD
        return stamps
