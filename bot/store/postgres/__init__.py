"""The Store on PostgreSQL (psycopg 3 with a connection pool). IO: the database server.

All SQL of watchbot on PostgreSQL lives in this package, one module per aggregate, beside its
numbered migrations (``migrations/``, recorded in the table ``watchbot_migrations`` and applied
under an advisory lock, so processes starting together migrate once).

Several processes may share one store: claims on the outbox skip rows another process holds,
inserts that race are ``ON CONFLICT DO NOTHING``, and digest delivery is recorded per match.
``Store.run`` executes store work in a thread pool, each worker with its own pooled connection
for the length of a transaction, so the event loop never waits on the database.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.errors import StoreError
from bot.store.lanes import BACKGROUND, Lanes
from bot.store.migrations import behind
from bot.store.migrations import read as read_migrations
from bot.store.postgres._db import Db, reason
from bot.store.postgres.archive import PostgresArchive
from bot.store.postgres.chats import PostgresChats
from bot.store.postgres.digests import PostgresDigests
from bot.store.postgres.feeds import PostgresFeeds
from bot.store.postgres.items import PostgresItems
from bot.store.postgres.judgments import PostgresJudgments
from bot.store.postgres.lease import PostgresLease
from bot.store.postgres.notices import PostgresNotices
from bot.store.postgres.outbox import PostgresOutbox
from bot.store.postgres.phrases import PostgresPhrases
from bot.store.postgres.sessions import PostgresRuleTexts, PostgresSessions

T = TypeVar("T")
log = logging.getLogger("watchbot.store")

POOL_SIZE = 4  # connections (and `run` workers) per process
MIGRATION_LOCK = 0x77617463  # "watc": the advisory lock taken while migrating


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order."""
    return read_migrations("bot.store.postgres")


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def _hint(said: str) -> str:
    """What to do about what the server (or libpq) said when it would not connect."""
    lowered = said.lower()
    url = "the URL (storage.url, or store copy's --from or --to)"  # (not only the config's: a copy's too)
    if "database" in lowered and "does not exist" in lowered:
        return f"create it with createdb NAME or CREATE DATABASE, or check {url}"
    if "connection refused" in lowered:
        return "is the server running, and listening at that host and port?"
    if "authentication failed" in lowered or "no pg_hba.conf entry" in lowered:
        return f"check the user and password in {url}, and the server's pg_hba.conf"
    if "role" in lowered and "does not exist" in lowered:
        return f"create the user with createuser NAME, or check {url}"
    return f"check {url}, that the server runs and the user may connect"


class PostgresStore:
    """The Store on one PostgreSQL database (the schema is the connection's ``search_path``)."""

    def __init__(self, url: str, *, pool_size: int = POOL_SIZE, timeout: float = 10.0, upgrade: bool = True) -> None:
        self.url = url
        self.location = redact(url)
        self.created = False
        self.upgrade = upgrade  # False: a command that only reads refuses an older store rather than upgrade it
        self.read_only = False  # (Store.read_only: SQLite's, on read-only media)
        self.upgraded_from: int | None = None  # the schema version this opening upgraded from
        self._pool_size = pool_size
        self._lanes = Lanes(pool_size)  # worker threads: see bot/store/lanes.py
        try:  # one connection first: a server that refuses says why at once (the pool retries for `timeout`, warning)
            psycopg.connect(url, connect_timeout=max(1, int(timeout)), autocommit=True).close()
        except psycopg.Error as e:
            said = " ".join(reason(e).split())
            raise StoreError(f"cannot open the store at {self.location}: {said} ({_hint(said)})") from e
        self.pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=False, timeout=timeout,
                                   kwargs={"autocommit": True}, configure=_configure, name="watchbot")
        try:
            self.pool.open(wait=True, timeout=timeout)
            self.db = Db(self.pool)
            self.migrate()
        except StoreError:
            self.pool.close()
            raise
        except (psycopg.Error, PoolTimeout) as e:
            self.pool.close()
            raise StoreError(f"cannot open the store at {self.location}: {reason(e)} ({_hint(reason(e))})") from e
        self.feeds = PostgresFeeds(self.db)
        self.items = PostgresItems(self.db)
        self.outbox = PostgresOutbox(self.db)
        self.chats = PostgresChats(self.db)
        self.digests = PostgresDigests(self.db)
        self.notices = PostgresNotices(self.db)
        self.sessions = PostgresSessions(self.db)
        self.rule_texts = PostgresRuleTexts(self.db)
        self.judgments = PostgresJudgments(self.db)
        self.phrases = PostgresPhrases(self.db)
        self.archive = PostgresArchive(self.db, self.location)

    # --- plumbing ----------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations this database has not seen; return the schema version."""
        known = migrations()
        newest = known[-1][0] if known else 0
        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            conn.execute("""CREATE TABLE IF NOT EXISTS watchbot_migrations (
                                version integer PRIMARY KEY, name text NOT NULL,
                                applied_at timestamptz NOT NULL DEFAULT now())""")
            row = conn.execute("SELECT COALESCE(max(version), 0) FROM watchbot_migrations").fetchone()
            current = int(row[0]) if row else 0
            if current > newest:
                raise StoreError(f"the store at {self.location} has schema version {current}, newer than this "
                                 f"watchbot knows ({newest}): upgrade watchbot")
            if 0 < current < newest:
                if not self.upgrade:
                    raise StoreError(behind(self.location, current, newest))
                self.upgraded_from = current
            self.created = current == 0
            for version, name, sql in known:
                if version <= current:
                    continue
                try:
                    with conn.transaction():
                        conn.execute(sql.encode())
                        conn.execute("INSERT INTO watchbot_migrations (version, name) VALUES (%s, %s)",
                                     (version, name))
                except psycopg.Error as e:
                    raise StoreError(f"migration {name} failed on {self.location}: {reason(e)}") from e
                current = version
        return current

    def ensure_task_queue(self) -> bool:
        """procrastinate's tables (polling spread over processes), created once; True when created now.

        Its schema is procrastinate's own (``procrastinate.schema``): after upgrading procrastinate,
        apply its migrations (``procrastinate schema --migrations``) as its documentation says."""
        from procrastinate.schema import SchemaManager

        with self.db.transaction() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            row = conn.execute("SELECT to_regclass('procrastinate_jobs') IS NULL").fetchone()
            if not (row and row[0]):
                return False
            conn.execute(SchemaManager.get_schema().encode())
        return True

    def queued_jobs(self, queue: str, task: str) -> int:
        """procrastinate's jobs of ``task`` waiting in ``queue`` (not yet taken by a worker)."""
        row = self.db.one("SELECT count(*) AS n FROM procrastinate_jobs WHERE queue_name = %s AND task_name = %s "
                          "AND status = 'todo'", (queue, task))
        return int(row["n"]) if row else 0

    @property
    def schema_version(self) -> int:
        row = self.db.one("SELECT COALESCE(max(version), 0) AS v FROM watchbot_migrations")
        return int(row["v"]) if row else 0

    def transaction(self) -> contextlib.AbstractContextManager[object]:
        return self.db.transaction()

    def lease(self, name: str) -> PostgresLease:
        """Leadership among the processes sharing this store (an advisory lock on a session of its own)."""
        return PostgresLease(self.url, name)

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]:
        """Run ``fn(*args, **kwargs)`` on a worker thread, before queued background work; database errors
        become StoreError."""
        return self._lanes.submit(functools.partial(self._guarded, fn, *args, **kwargs))

    def run_background(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]:
        """``run`` for work nobody is waiting for (polling): it goes after the calls of ``run``."""
        return self._lanes.submit(functools.partial(self._guarded, fn, *args, **kwargs), lane=BACKGROUND)

    def _guarded(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        try:
            return fn(*args, **kwargs)
        except (psycopg.Error, PoolTimeout) as e:
            raise StoreError(f"store {self.location}: {reason(e)}") from e

    def check(self) -> str | None:
        """None when the store answers and takes writes; else what is wrong, in words."""
        try:
            with self.db.transaction() as conn:
                row = conn.execute("SELECT pg_is_in_recovery()").fetchone()
        except (psycopg.Error, PoolTimeout) as e:
            return f"the store {self.location} does not answer: {reason(e)}"
        if row and row[0]:
            return f"the store {self.location} is a read-only standby: point storage.url at the primary"
        return None

    def writable(self) -> bool:
        return self.check() is None

    def close(self) -> None:
        self._lanes.shutdown()
        self.pool.close()

    @contextlib.contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A pooled connection of its own (advisory locks, bulk copies)."""
        with self.pool.connection() as conn:
            yield conn


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute("SET TIME ZONE 'UTC'")


def open_store(url: str) -> PostgresStore:
    """Open (creating and migrating as needed) the PostgreSQL store at ``url``."""
    return PostgresStore(url)


__all__ = ["PostgresStore", "migrations", "open_store", "redact"]
