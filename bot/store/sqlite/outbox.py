"""The outbox on SQLite: one alert per (item, channel, target). IO: SQL.

state: pending -> sending -> sent | pending (retry) | dead. A dead letter that is a chat's own
choice (a paused chat) is stored with ``notify = 0`` so the admins are not told about it.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.store.protocols import OutboxRow
from bot.store.sqlite._db import Transaction, at, iso, marks


class SqliteOutbox:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime) -> bool:
        """Write one alert; a second alert for the same (item, channel, target) is ignored."""
        cur = self.db.execute(
            """INSERT INTO outbox (identity, channel, target, watchlists, next_attempt_at, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (identity, channel, target) DO NOTHING""",
            (identity, channel, target, json.dumps(sorted(watchlists)), iso(now), iso(now)),
        )
        return bool(cur.rowcount)

    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None) -> list[OutboxRow]:
        """Move due pending alerts to 'sending' and return them, oldest first."""
        with Transaction(self.db):
            sql = "SELECT * FROM outbox WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
            params: list[Any] = [channel, iso(now)]
            if targets is not None:
                sql += f" AND target IN ({marks(targets)})"
                params += list(targets)
            rows = self.db.execute(sql + " ORDER BY id LIMIT ?", [*params, limit]).fetchall()
            if rows:
                ids = [r["id"] for r in rows]
                self.db.execute(
                    f"UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN ({marks(ids)})", ids)
        return [_outbox(r, state="sending", attempts=r["attempts"] + 1) for r in rows]

    def count_recent(self, channel: str, target: str, *, since: datetime) -> int:
        """Alerts queued for one target at or after ``since`` (the hourly cap counts these)."""
        row = self.db.execute("SELECT count(*) FROM outbox WHERE channel = ? AND target = ? AND created_at >= ?",
                              (channel, target, iso(since))).fetchone()
        return int(row[0])

    def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None:
        self._update(ids, "state = 'sent', sent_at = ?, last_error = NULL", [iso(now)])

    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._update(ids, "state = 'pending', last_error = ?, next_attempt_at = ?", [error, iso(next_attempt_at)])

    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None:
        self._update(ids, "state = 'dead', last_error = ?, notified = ?", [error, 0 if notify else 1])

    def retarget(self, channel: str, old: str, new: str) -> int:
        """Move pending alerts of one target to another (a group migrated to a supergroup)."""
        cur = self.db.execute(
            "UPDATE OR IGNORE outbox SET target = ? "
            "WHERE channel = ? AND target = ? AND state IN ('pending', 'sending')",
            (new, channel, old))
        return cur.rowcount

    def release_in_flight(self) -> int:
        """After a crash: alerts left in 'sending' go back to 'pending' (they may be sent twice)."""
        return self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'").rowcount

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def counts_by_channel(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.db.execute("SELECT channel, state, count(*) AS n FROM outbox GROUP BY channel, state "
                                 "ORDER BY channel, state"):
            out.setdefault(r["channel"], {})[r["state"]] = r["n"]
        return out

    def dead_reasons(self, limit: int = 5) -> list[tuple[str, int]]:
        rows = self.db.execute("SELECT last_error, count(*) AS n FROM outbox WHERE state = 'dead' "
                               "GROUP BY last_error ORDER BY n DESC LIMIT ?", (limit,))
        return [(r["last_error"] or "", r["n"]) for r in rows]

    def unnotified_dead(self) -> list[OutboxRow]:
        rows = self.db.execute("SELECT * FROM outbox WHERE state = 'dead' AND notified = 0 ORDER BY id")
        return [_outbox(r) for r in rows]

    def mark_dead_notified(self, ids: Sequence[int]) -> None:
        self._update(ids, "notified = 1", [])

    def alerted_watchlists(self, identity: str) -> set[str]:
        rows = self.db.execute("SELECT watchlists FROM outbox WHERE identity = ?", (identity,))
        return {w for r in rows for w in json.loads(r["watchlists"])}

    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE 1 = 1", list[Any]()
        if state:
            sql, params = sql + " AND state = ?", [*params, state]
        if channel:
            sql, params = sql + " AND channel = ?", [*params, channel]
        return [_outbox(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def _update(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.execute(f"UPDATE outbox SET {assignments} WHERE id IN ({marks(ids)})", [*params, *ids])


def _outbox(r: sqlite3.Row, *, state: str | None = None, attempts: int | None = None) -> OutboxRow:
    return OutboxRow(
        id=r["id"], identity=r["identity"], channel=r["channel"], target=r["target"],
        watchlists=tuple(json.loads(r["watchlists"])), state=state or r["state"],
        attempts=r["attempts"] if attempts is None else attempts,
        next_attempt_at=at(r["next_attempt_at"]), last_error=r["last_error"],
        created_at=at(r["created_at"]),
    )
