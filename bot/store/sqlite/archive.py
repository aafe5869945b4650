"""Whole tables in portable form on SQLite (``bot.store.portable``), and the online backup. IO: SQL, a file.

Times are already ISO strings here; JSON columns are parsed; 0/1 flags become booleans. Matches
have no id column: their rowid is the id digest delivery records point at, and it is kept.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from bot.store.portable import TABLES, Row, Table, table
from bot.store.sqlite._db import Transaction, store_error


class SqliteArchive:
    """Called directly, not through the store's worker (a copy or a backup is all the process does): SQLite's errors
    become StoreError here."""

    def __init__(self, db: sqlite3.Connection, location: str) -> None:
        self.db = db
        self.location = location

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as e:
            raise store_error(self.location, e) from e

    def count(self, name: str) -> int:
        with self._errors():
            return int(self.db.execute(f"SELECT count(*) FROM {table(name).name}").fetchone()[0])

    def export(self, name: str, *, batch: int = 1000) -> Iterator[list[Row]]:
        t = table(name)
        with self._errors():
            cur = self.db.execute(f"SELECT {_select(t)} FROM {t.name} ORDER BY {_order(t)}")
            while rows := cur.fetchmany(batch):
                yield [_portable(t, r) for r in rows]

    def load(self, name: str, rows: Sequence[Row]) -> None:
        t = table(name)
        columns = ["rowid" if c == "id" and t.name == "matches" else c for c in t.columns]
        sql = (f"INSERT OR IGNORE INTO {t.name} ({', '.join(columns)}) "
               f"VALUES ({', '.join('?' * len(columns))})")
        with self._errors(), Transaction(self.db):
            self.db.executemany(sql, [[_native(t, c, t.value(r, c)) for c in t.columns] for r in rows])

    def clear(self) -> None:
        with self._errors(), Transaction(self.db):
            for t in reversed(TABLES):
                self.db.execute(f"DELETE FROM {t.name}")

    @contextlib.contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: a writer may go on meanwhile, the export sees the state at its start."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN DEFERRED")
        try:
            self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # takes the read snapshot now
            yield
        finally:
            self.db.execute("COMMIT")

    def backup(self, path: Path, *, pages: int = 1024) -> None:
        """A consistent copy of the whole database file through SQLite's online backup API."""
        target = sqlite3.connect(str(path))
        try:
            self.db.backup(target, pages=pages)
        finally:
            target.close()


def _select(t: Table) -> str:
    return ", ".join("rowid AS id" if c == "id" and t.name == "matches" else c for c in t.columns)


def _order(t: Table) -> str:
    """The primary key, so an export is in a stable order."""
    return _KEYS.get(t.name) or t.serial or t.columns[0]


_KEYS = {"matches": "rowid", "sightings": "identity, feed_url", "subscriptions": "chat_id, watchlist",
         "digest_delivered": "key, match_id", "judgments": "chat_id, story, user_id"}


def _portable(t: Table, r: Sequence[Any]) -> Row:
    out: Row = {}
    for c, v in zip(t.columns, r, strict=True):
        if v is not None and c in t.json:
            v = json.loads(v)
        elif v is not None and c in t.flags:
            v = bool(v)
        out[c] = v
    return out


def _native(t: Table, column: str, v: Any) -> Any:
    if v is None:
        return None
    if column in t.json:
        return json.dumps(v, ensure_ascii=False)
    if column in t.flags:
        return int(bool(v))
    return v
