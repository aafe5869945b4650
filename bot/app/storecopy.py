"""Moving and backing up a store: `watchbot store copy` and `watchbot store backup`. IO: both stores, a file.

    source (SQLite, PostgreSQL or a dump file) | every table, parents first | target store

A copy goes through each store's ``archive`` (whole tables in the portable form of
``bot.store.portable``), inside one snapshot of the source, and keeps ids (digest delivery
records point at match ids). It refuses a target that already holds data unless forced, which
replaces what the target held. A backup of SQLite is the online backup API's copy of the file;
of PostgreSQL (or of SQLite into ``*.jsonl``) a dump file that `store copy --from FILE` restores.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from bot.app.build import open_store_url
from bot.config import STORAGE_SCHEMES, sqlite_path
from bot.errors import StoreError, WatchbotError
from bot.store.dump import DumpArchive, DumpWriter, is_sqlite_file
from bot.store.portable import TABLES
from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore, copy_file, in_use_by, is_older

Progress = Callable[[str, int, int], None]  # (table, rows done, rows in all)


class Source(Protocol):
    """What a copy reads: a store's archive, or a dump file."""

    def count(self, table: str) -> int: ...
    def export(self, table: str, *, batch: int = 1000) -> Iterator[list[dict[str, Any]]]: ...
    def snapshot(self) -> contextlib.AbstractContextManager[object]: ...


@dataclass
class CopyReport:
    source: str
    target: str
    rows: dict[str, int] = field(default_factory=dict)  # copied, per table
    dropped: dict[str, int] = field(default_factory=dict)  # read but not kept (records of vanished matches)
    seconds: float = 0.0

    def line(self) -> str:
        total = sum(self.rows.values())  # (every table with rows: five of them named did not add up to the total)
        main = ", ".join(f"{n:,} {table}" for table, n in self.rows.items() if n) or "nothing"
        dropped = "".join(f"; {n} {t} dropped (they point at nothing)" for t, n in self.dropped.items() if n)
        return f"copied {total:,} rows ({main}) from {self.source} to {self.target} in {self.seconds:.1f} s{dropped}"


@contextlib.contextmanager
def open_source(spec: str, *, base_dir: Path, running_ok: bool = True) -> Iterator[tuple[Source, str]]:
    """A store URL, a SQLite file or a dump file, opened for reading; (its archive, where it is). ``running_ok``
    False: a SQLite store a `watchbot run` is using is refused."""
    if spec.startswith("sqlite:///"):
        if not sqlite_path(spec, base_dir).is_file():
            raise WatchbotError(f"--from {spec}: no such file {sqlite_path(spec, base_dir)}")
        with open_source(str(sqlite_path(spec, base_dir)), base_dir=base_dir, running_ok=running_ok) as opened:
            yield opened
        return
    if spec.startswith(STORAGE_SCHEMES):
        # only read: an older store is refused, not upgraded (its release could not open it again: no way back)
        store = open_store_url(spec, base_dir=base_dir, upgrade=False)
        try:
            if not running_ok:
                _not_running(store)
            yield store.archive, store.location
        finally:
            store.close()
        return
    path = base_dir / spec
    if not path.is_file():
        raise WatchbotError(f"--from {spec}: no such file (give sqlite:///FILE, postgresql://... or a dump file)")
    if is_sqlite_file(path):
        if not running_ok and (user := in_use_by(path)) is not None:
            raise WatchbotError(_running(str(path), user))
        if not is_older(path):
            sqlite = SqliteStore(path, upgrade=False)
            try:
                yield sqlite.archive, sqlite.location
            finally:
                sqlite.close()
            return
        # An older store is read from a copy, upgraded there: the file stays as its release left it (a copy had
        # upgraded it, and that release could not open it again, which broke the way back).
        tmp = Path(tempfile.mkdtemp(prefix="watchbot-copy-")) / path.name
        try:
            copy_file(path, tmp)
            sqlite = SqliteStore(tmp)
        except (StoreError, OSError) as e:
            shutil.rmtree(tmp.parent, ignore_errors=True)
            raise StoreError(f"--from {path}: cannot read it ({e})") from e
        try:
            yield sqlite.archive, str(path)
        finally:
            sqlite.close()
            shutil.rmtree(tmp.parent, ignore_errors=True)
        return
    yield DumpArchive(path), str(path)


def _not_running(store: Store) -> None:
    """Refuse to copy a SQLite store a `watchbot run` is writing to: what it writes after the copy would be lost
    (the help said "stop `watchbot run` first", and the copy went ahead without a word)."""
    user = store.in_use_by() if isinstance(store, SqliteStore) else None
    if user is not None:
        raise WatchbotError(_running(store.location, user))


def _running(location: str, user: str) -> str:
    return (f"--from {location}: a `watchbot run` (pid {user}) is using it, and what it writes after the copy would "
            "not be copied: stop it first (or --force to copy it as it is now)")


def contents(store: Store) -> dict[str, int]:
    """Rows per table that hold data of their own (empty: a fresh store)."""
    return {t.name: n for t in TABLES if (n := store.archive.count(t.name))}


def copy_into(source: Source, location: str, target: Store, *, force: bool = False,
              progress: Progress | None = None, batch: int = 1000) -> CopyReport:
    """Copy every table of ``source`` into ``target``; see the module docstring."""
    held = contents(target)
    if held and not force:
        what = ", ".join(f"{n} {t}" for t, n in list(held.items())[:4])
        raise WatchbotError(f"the target store {target.location} already holds data ({what}): copy into an empty "
                            "store, or add --force to replace what it holds")
    started = time.monotonic()
    report = CopyReport(source=location, target=target.location)
    if held:
        target.archive.clear()
    with source.snapshot():
        for t in TABLES:
            total, done = source.count(t.name), 0
            for rows in source.export(t.name, batch=batch):
                target.archive.load(t.name, rows)
                done += len(rows)
                if progress:
                    progress(t.name, done, total)
            kept = target.archive.count(t.name)
            report.rows[t.name] = kept
            report.dropped[t.name] = done - kept
    report.seconds = time.monotonic() - started
    return report


def copy_store(source_spec: str, target_url: str, *, base_dir: Path, force: bool = False,
               progress: Progress | None = None) -> CopyReport:
    """`watchbot store copy --from SOURCE --to URL`."""
    if not target_url.startswith(STORAGE_SCHEMES):
        raise WatchbotError(f"--to {target_url}: give a store URL, sqlite:///FILE or postgresql://user@host/db")
    with open_source(source_spec, base_dir=base_dir, running_ok=force) as (source, location):
        target = open_store_url(target_url, base_dir=base_dir)
        try:
            if location == target.location:
                raise WatchbotError(f"--from and --to are the same store ({location})")
            return copy_into(source, location, target, force=force, progress=progress)
        finally:
            target.close()


@dataclass
class BackupReport:
    path: Path
    kind: str  # "sqlite" (a database file) or "dump" (JSON Lines)
    rows: int
    seconds: float

    def line(self) -> str:
        restore = ("restore: stop watchbot and put the file in place of the store, or "
                   f"`watchbot store copy --from {self.path} --to URL`" if self.kind == "sqlite"
                   else f"restore: `watchbot store copy --from {self.path} --to URL`")
        return f"backed up {self.rows} rows into {self.path} ({self.kind}) in {self.seconds:.1f} s; {restore}"


def backup(store: Store, path: Path, *, progress: Progress | None = None, batch: int = 1000,
           force: bool = False) -> BackupReport:
    """A SQLite store into a database file (or a dump when ``path`` ends in .jsonl); PostgreSQL into a dump.

    ``path`` may hold an earlier backup (a nightly job writes one name again); anything else there is kept unless
    ``force``: `store backup notes.txt` replaced the notes, and naming the store's own file replaced the live store."""
    started = time.monotonic()
    if path.exists() and path.is_dir():
        raise WatchbotError(f"{path}: is a folder; give a file name")
    if isinstance(store, SqliteStore) and path.resolve() == Path(store.location).resolve():
        raise WatchbotError(f"{path}: is the store itself; back it up into another file")
    dumped = not isinstance(store, SqliteStore) or path.suffix == ".jsonl"
    if dumped and path.suffix != ".jsonl":
        raise WatchbotError(f"{path}: a {store.location.split(':', 1)[0]} store is backed up as a JSON Lines dump: "
                            "name the file .jsonl (pg_dump works too)")
    if not force and path.exists() and path.stat().st_size and not _earlier_backup(path, dumped):
        raise WatchbotError(f"{path}: already exists and is no watchbot backup; give another name, or --force to "
                            "replace it")
    if isinstance(store, SqliteStore) and not dumped:
        tmp = path.with_name(path.name + ".part")
        leftovers = [tmp, *(tmp.with_name(tmp.name + s) for s in ("-journal", "-wal", "-shm"))]  # (SQLite's own)
        for f in leftovers:
            f.unlink(missing_ok=True)
        try:
            store.archive.backup(tmp)
        except Exception as e:
            for f in leftovers:
                f.unlink(missing_ok=True)
            raise StoreError(f"cannot back up {store.location} into {path}: {e}") from e
        tmp.replace(path)
        rows = sum(contents(store).values())
        return BackupReport(path, "sqlite", rows, time.monotonic() - started)
    return BackupReport(path, "dump", dump(store, path, progress=progress, batch=batch), time.monotonic() - started)


def _earlier_backup(path: Path, dumped: bool) -> bool:
    """Whether ``path`` holds what a backup writes there: a dump's first line, or a SQLite database."""
    if not dumped:
        return is_sqlite_file(path)
    with contextlib.suppress(OSError), path.open("rb") as f:
        return f.read(40).startswith(b'{"format":"watchbot-dump"')
    return False


def dump(store: Store, path: Path, *, progress: Progress | None = None, batch: int = 1000) -> int:
    """Every table of ``store`` into a dump file at ``path``, from one snapshot; returns the rows written."""
    written = 0
    with store.archive.snapshot():
        counts = {t.name: store.archive.count(t.name) for t in TABLES}
        try:
            writer = DumpWriter(path, counts)
        except OSError as e:
            raise WatchbotError(f"{path}: cannot write: {e.strerror or e}") from e
        try:
            for t in TABLES:
                done = 0
                for rows in store.archive.export(t.name, batch=batch):
                    writer.rows(t.name, rows)
                    done += len(rows)
                    if progress:
                        progress(t.name, done, counts[t.name])
                written += done
            writer.close()
        except OSError as e:  # a full disk, most likely: nothing is left behind
            writer.abort()
            raise WatchbotError(f"{path}: cannot write: {e.strerror or e}; nothing was written") from e
        except BaseException:
            writer.abort()
            raise
    return written


__all__ = ["BackupReport", "CopyReport", "Source", "backup", "contents", "copy_into", "copy_store", "dump",
           "open_source"]
