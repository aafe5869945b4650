"""Whole tables in portable form on PostgreSQL (``bot.store.portable``). IO: SQL.

Times go out as ISO strings in UTC and come in parsed; JSON columns are jsonb. Ids are kept, and
after a load each id sequence moves past the largest id, so new rows never collide with copied ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import PoolTimeout

from bot.errors import StoreError
from bot.store.portable import TABLES, Row, Table, table
from bot.store.postgres._db import Db, reason

_KEYS = {"sightings": "identity, feed_url", "subscriptions": "chat_id, watchlist", "digest_delivered": "key, match_id",
         "judgments": "chat_id, story, user_id"}


class PostgresArchive:
    """Called directly, not through the store's workers (a copy or a backup is all the process does): the database's
    errors become StoreError here."""

    def __init__(self, db: Db, location: str) -> None:
        self.db = db
        self.location = location

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (psycopg.Error, PoolTimeout) as e:
            raise StoreError(f"store {self.location}: {reason(e)}") from e

    def count(self, name: str) -> int:
        with self._errors():
            row = self.db.one(f"SELECT count(*) AS n FROM {table(name).name}")
        return int(row["n"]) if row else 0

    def export(self, name: str, *, batch: int = 1000) -> Iterator[list[Row]]:
        t = table(name)
        order = _KEYS.get(t.name) or t.serial or t.columns[0]
        last: tuple[Any, ...] | None = None
        keys = [k.strip() for k in order.split(",")]
        while True:  # keyset pages: no server-side cursor to keep open between batches
            where = f"WHERE ({order}) > ({', '.join(['%s'] * len(keys))})" if last is not None else ""
            with self._errors():
                rows = self.db.all(f"SELECT {', '.join(t.columns)} FROM {t.name} {where} ORDER BY {order} LIMIT %s",
                                   [*(last or ()), batch])
            if not rows:
                return
            last = tuple(rows[-1][k] for k in keys)
            yield [_portable(t, r) for r in rows]

    def load(self, name: str, rows: Sequence[Row]) -> None:
        t = table(name)
        marks = ", ".join(["%s"] * len(t.columns))
        sql = f"INSERT INTO {t.name} ({', '.join(t.columns)}) "
        if t.name == "digest_delivered":  # a record of a match the source no longer holds is dropped
            sql += f"SELECT {marks} WHERE EXISTS (SELECT 1 FROM matches WHERE id = %s)"
        else:
            sql += f"VALUES ({marks})"
        sql += " ON CONFLICT DO NOTHING"
        values = [[_native(t, c, t.value(r, c)) for c in t.columns] for r in rows]
        if t.name == "digest_delivered":
            values = [[*v, v[1]] for v in values]
        with self._errors(), self.db.transaction():
            self.db.many(sql, values)
            if t.serial:
                self.db.run(f"SELECT setval(pg_get_serial_sequence('{t.name}', '{t.serial}'), "
                            f"COALESCE((SELECT max({t.serial}) FROM {t.name}), 0) + 1, false)")

    def clear(self) -> None:
        names = ", ".join(t.name for t in TABLES)
        with self._errors():
            self.db.run(f"TRUNCATE {names} RESTART IDENTITY CASCADE")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """A repeatable-read, read-only transaction: every export sees the state at its start."""
        with self.db.transaction(isolation="REPEATABLE READ READ ONLY"):
            yield


def _portable(t: Table, r: Row) -> Row:
    out: Row = {}
    for c in t.columns:
        v = r[c]
        if isinstance(v, datetime):
            v = v.astimezone(UTC).isoformat(timespec="seconds")
        out[c] = v
    return out


def _native(t: Table, column: str, v: Any) -> Any:
    if v is None:
        return None
    if column in t.times:
        return datetime.fromisoformat(v)
    if column in t.json:
        return Jsonb(v)
    if column in t.flags:
        return bool(v)
    return v
