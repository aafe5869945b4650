"""The Store on one SQLite file in WAL mode. IO: the database file (and a lock file for `run`).

All SQL of watchbot on SQLite lives in this package, one module per aggregate. Migrations are the
numbered .sql files in ``migrations/``, applied in order inside one transaction each and recorded
in ``PRAGMA user_version``; a round-1 database migrates in place.

Use-cases on the event loop call ``await store.run(fn, ...)``: the work runs in the store's own
single worker thread, so a slow disk or a write lock held by another process never stalls the
loop, and calls are serialized as SQLite wants. The CLI and tests may call the aggregates directly.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import logging
import os
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from bot.errors import StoreError
from bot.store.lanes import BACKGROUND, Lanes
from bot.store.migrations import behind
from bot.store.migrations import read as read_migrations
from bot.store.sqlite._db import Transaction, store_error
from bot.store.sqlite.archive import SqliteArchive
from bot.store.sqlite.chats import SqliteChats
from bot.store.sqlite.digests import SqliteDigests
from bot.store.sqlite.feeds import SqliteFeeds
from bot.store.sqlite.items import SqliteItems
from bot.store.sqlite.judgments import SqliteJudgments
from bot.store.sqlite.notices import SqliteNotices
from bot.store.sqlite.outbox import SqliteOutbox
from bot.store.sqlite.phrases import SqlitePhrases
from bot.store.sqlite.sessions import SqliteRuleTexts, SqliteSessions

T = TypeVar("T")
log = logging.getLogger("watchbot.store")


def on_read_only_media(path: Path) -> bool:
    """The file is there, on a file system mounted read-only."""
    try:
        return path.is_file() and bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order."""
    return read_migrations("bot.store.sqlite")


class SqliteStore:
    """The Store on one SQLite file. ``exclusive=True`` (``watchbot run``) refuses a second holder."""

    def __init__(self, path: Path | str, *, exclusive: bool = False, upgrade: bool = True) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        self.location = str(path)
        self.created = False
        self.upgrade = upgrade  # False: a command that only reads refuses an older store rather than upgrade it
        self.upgraded_from: int | None = None  # the schema version this opening upgraded from
        self._lock_fd: int | None = None
        self._lanes = Lanes(1)  # worker threads: see bot/store/lanes.py
        self._inode: int | None = None
        # a command that only reads, on a store on read-only media (a mounted snapshot or backup volume): opened as
        # it is, since SQLite cannot open a WAL store there otherwise, and nothing can change it meanwhile
        self.read_only = not upgrade and not exclusive and self.path is not None and on_read_only_media(self.path)
        try:
            if self.path is not None and not self.read_only:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.created = not self.path.exists()
                if exclusive:
                    self._lock()
            if self.read_only:
                self.db = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro&immutable=1", uri=True,
                                          isolation_level=None, check_same_thread=False)
            else:
                self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            if not self.read_only:
                self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.migrate()
        except sqlite3.Error as e:
            self._abandon()
            if self.path is not None and on_read_only_media(self.path):
                raise StoreError(f"cannot open the store at {path} to write: it is on a read-only file system "
                                 "(commands that only read work there: feeds, alerts, stories, chats, digest, "
                                 "store backup)") from e
            raise StoreError(f"cannot open the store at {path}: {e} (check the folder exists and is writable)") from e
        except OSError as e:
            self._abandon()
            raise StoreError(f"cannot open the store at {path}: {e.strerror or e} "
                             "(check the folder exists and is writable)") from e
        if self.path is not None:
            self._inode = self.path.stat().st_ino
        self.feeds = SqliteFeeds(self.db)
        self.items = SqliteItems(self.db)
        self.outbox = SqliteOutbox(self.db)
        self.chats = SqliteChats(self.db, self.transaction)
        self.digests = SqliteDigests(self.db, self.transaction)
        self.notices = SqliteNotices(self.db)
        self.sessions = SqliteSessions(self.db)
        self.rule_texts = SqliteRuleTexts(self.db)
        self.judgments = SqliteJudgments(self.db)
        self.archive = SqliteArchive(self.db, self.location)
        self.phrases = SqlitePhrases(self.db, self.transaction)

    # --- plumbing ----------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations this database has not seen; return the schema version."""
        current = self.db.execute("PRAGMA user_version").fetchone()[0]
        known = migrations()
        newest = known[-1][0] if known else 0
        if current > newest:
            raise StoreError(f"the store at {self.location} has schema version {current}, newer than this "
                             f"watchbot knows ({newest}): upgrade watchbot")
        if 0 < current < newest:
            if not self.upgrade:
                raise StoreError(behind(self.location, current, newest))
            self.upgraded_from = current
        for version, name, sql in known:
            if version <= current:
                continue
            try:
                self.db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except sqlite3.Error as e:
                if self.db.in_transaction:
                    self.db.execute("ROLLBACK")
                raise StoreError(f"migration {name} failed: {e}") from e
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def transaction(self) -> Transaction:
        return Transaction(self.db)

    def lease(self, name: str) -> SoleLease | FileLease:
        """A lock on a file beside the store, among the processes using it (one `watchbot run`, whose lock file
        refuses a second, and the commands run beside it: `watchbot digest --send`)."""
        if self.path is None:
            return SoleLease()
        return FileLease(self.path.with_name(f"{self.path.name}.{name}.lock"))

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]:
        """Run ``fn(*args, **kwargs)`` in the store's worker thread, before queued background work; SQLite
        errors become StoreError."""
        return self._lanes.submit(functools.partial(self._guarded, fn, *args, **kwargs))

    def run_background(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]:
        """``run`` for work nobody is waiting for (polling): it goes after the calls of ``run``."""
        return self._lanes.submit(functools.partial(self._guarded, fn, *args, **kwargs), lane=BACKGROUND)

    def _guarded(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except sqlite3.Error as e:
            raise store_error(self.location, e) from e

    def check(self) -> str | None:
        """None when the store is usable; else what is wrong (the file was deleted, it is not writable)."""
        if self.path is not None:
            try:
                inode = self.path.stat().st_ino
            except OSError:
                return f"the store file {self.location} was deleted: alerts cannot be kept; restore it and restart"
            if inode != self._inode:
                return f"the store file {self.location} was replaced while running: restart watchbot"
        try:
            with self.transaction():
                self.db.execute("PRAGMA user_version = " + str(self.schema_version))
        except sqlite3.Error as e:
            return f"the store {self.location} is not writable: {e}"
        return None

    def writable(self) -> bool:
        return self.check() is None

    def close(self) -> None:
        self._lanes.shutdown()
        with contextlib.suppress(sqlite3.Error):
            self.db.close()
        self._unlock()

    # --- one `watchbot run` per store --------------------------------------------------------------

    def _lock(self) -> None:
        assert self.path is not None
        lock_path = self.path.with_name(self.path.name + ".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise StoreError(f"another `watchbot run` (pid {holder}) is using the store {self.location}: "
                             "stop it first, or move to PostgreSQL to run several") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        self._lock_fd = fd

    def in_use_by(self) -> str | None:
        """The pid of the `watchbot run` using this store now (its lock file held), or None."""
        if self.path is None or self._lock_fd is not None:
            return None
        return in_use_by(self.path)

    def _abandon(self) -> None:
        """An opening that failed lets go of what it took: the lock, and the file (a failed opening kept it open, and a
        read-only volume it was on could not be unmounted)."""
        self._unlock()
        if (db := getattr(self, "db", None)) is not None:
            db.close()

    def _unlock(self) -> None:
        if self._lock_fd is not None:
            _let_go(self._lock_fd)
            self._lock_fd = None



def is_older(path: Path) -> bool:
    """The SQLite store at ``path`` is from an older release (its schema version is behind this one's); read only."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            current = int(db.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error as e:
        raise StoreError(f"cannot read the store at {path}: {e}") from e
    return 0 < current < migrations()[-1][0]


def copy_file(path: Path, to: Path) -> None:
    """The SQLite store at ``path`` into a new file ``to`` (the backup API: consistent, the source only read)."""
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as src, \
                contextlib.closing(sqlite3.connect(to)) as dst:
            src.backup(dst)
    except sqlite3.Error as e:
        raise StoreError(f"cannot copy the store at {path}: {e}") from e


def in_use_by(path: Path) -> str | None:
    """The pid of the `watchbot run` using the SQLite store at ``path`` now (its lock file held), or None."""
    lock_path = path.with_name(path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return os.read(fd, 32).decode(errors="replace").strip() or "another process"
    finally:
        os.close(fd)  # (closing releases a lock this call took)
    return None


class SoleLease:
    def acquire(self) -> bool:
        return True

    def held(self) -> bool:
        return True

    def release(self) -> None:
        pass


class FileLease:
    """``Lease`` as an flock on ``path``: freed by the system when its process ends, even by kill -9."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self._fd is not None:
            return True
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError:  # (a folder no lock can be made in: a store no process can write there either)
            return True
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            _let_go(self._fd)
            self._fd = None


def _let_go(fd: int) -> None:
    """Unlock and close a lock file's descriptor (the store's own lock, or a lease's)."""
    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def open_store(path: Path | str, *, exclusive: bool = False) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``."""
    return SqliteStore(path, exclusive=exclusive)


__all__ = ["SqliteStore", "migrations", "open_store"]
