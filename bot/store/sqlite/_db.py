"""The SQLite connection the aggregates share: time columns, transactions, placeholders. IO: SQLite.

Times are stored as ISO 8601 strings in UTC ("2024-03-27T15:45:02+00:00"), which sort as they
compare. Naive datetimes are refused: every time in watchbot is timezone-aware.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bot.errors import StoreError


def store_error(location: str, e: sqlite3.Error) -> StoreError:
    """``e`` in words, with what to do about an error of the disk under the store."""
    name = getattr(e, "sqlite_errorname", "")
    hint = ""
    if name == "SQLITE_FULL":
        hint = " (its disk is full: free space there; `watchbot store prune` drops old items)"
    elif name.startswith("SQLITE_IOERR"):
        hint = " (a write to its disk failed: is the disk full or failing?)"
    return StoreError(f"store {location}: {e}{hint}")


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass timezone-aware times")
    return value.astimezone(UTC).isoformat(timespec="seconds")


def dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def at(value: str) -> datetime:
    """A NOT NULL time column."""
    return datetime.fromisoformat(value)


def marks(values: Sequence[Any]) -> str:
    """'?,?,?' for an IN (...) list."""
    return ",".join("?" * len(values))


class Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; nested use joins the outer one.

    When SQLite already rolled back by itself (a full disk, an I/O error), the ROLLBACK is skipped
    so the error that caused it is the one reported, not "cannot rollback - no transaction is active".
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.db.execute("COMMIT")
        elif self.db.in_transaction:
            with contextlib.suppress(sqlite3.Error):  # the original error is the one worth reporting
                self.db.execute("ROLLBACK")
