"""The PostgreSQL connections the aggregates share: a pool, per-thread transactions, time values. IO: PostgreSQL.

Every thread (a ``Store.run`` worker, the CLI's main thread) has its own place: inside
``transaction()`` it holds one pooled connection until the outermost block ends, and every call
of the aggregates on that thread runs on it (nested use joins the outer one, as on SQLite).
Outside a transaction a call borrows a connection for one statement, in autocommit.

Times go in as ``timestamptz`` cut to whole seconds (as SQLite stores them) and come out in UTC.
Naive datetimes are refused: every time in watchbot is timezone-aware.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

Row = dict[str, Any]
_ISOLATIONS = {"REPEATABLE READ READ ONLY": b"SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"}


def ts(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass timezone-aware times")
    return value.astimezone(UTC).replace(microsecond=0)


def utc(value: datetime | None) -> datetime | None:
    return value.astimezone(UTC) if value is not None else None


def at(value: datetime) -> datetime:
    """A NOT NULL time column."""
    return value.astimezone(UTC)


def reason(e: BaseException) -> str:
    """A database error in one line: its first."""
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


class Db:
    """The pool and each thread's connection; ``all``/``one``/``run`` execute on the right one."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self._local = threading.local()

    @property
    def held(self) -> psycopg.Connection[Any] | None:
        return getattr(self._local, "conn", None)

    @contextlib.contextmanager
    def transaction(self, *, isolation: str | None = None) -> Iterator[psycopg.Connection[Any]]:
        """BEGIN ... COMMIT on this thread's connection, rolled back on error; nested use joins the outer one.

        ``isolation`` ("REPEATABLE READ READ ONLY") applies when this block is the outermost."""
        held = self.held
        if held is not None:
            yield held
            return
        with self.pool.connection() as conn:
            self._local.conn = conn
            try:
                with conn.transaction():
                    if isolation in _ISOLATIONS:
                        conn.execute(_ISOLATIONS[isolation])
                    yield conn
            finally:
                self._local.conn = None

    @contextlib.contextmanager
    def _conn(self) -> Iterator[psycopg.Connection[Any]]:
        held = self.held
        if held is not None:
            yield held
        else:
            with self.pool.connection() as conn:
                yield conn

    def all(self, sql: str, params: Sequence[Any] | None = None) -> list[Row]:
        with self._conn() as conn, conn.cursor(row_factory=dict_row) as cur:
            cur.execute(sql, params)
            return cur.fetchall() if cur.description else []

    def one(self, sql: str, params: Sequence[Any] | None = None) -> Row | None:
        rows = self.all(sql, params)
        return rows[0] if rows else None

    def run(self, sql: str, params: Sequence[Any] | None = None) -> int:
        """Execute one statement; return how many rows it touched."""
        with self._conn() as conn, conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.rowcount

    def many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        with self._conn() as conn, conn.cursor() as cur:
            cur.executemany(sql, rows)
