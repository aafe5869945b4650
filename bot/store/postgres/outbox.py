"""The outbox on PostgreSQL: one alert per (item, channel, target). IO: SQL.

state: pending -> sending -> sent | pending (retry) | dead. Several processes may drain one
outbox: a claim locks its rows with ``FOR UPDATE SKIP LOCKED``, so no alert is handed out twice.
A dead letter that is a chat's own choice (a paused chat) is stored as notified.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres._db import Db, Row, at, ts
from bot.store.protocols import OutboxRow


class PostgresOutbox:
    def __init__(self, db: Db) -> None:
        self.db = db

    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime) -> bool:
        """Write one alert; a second alert for the same (item, channel, target) is ignored."""
        return bool(self.db.run(
            """INSERT INTO outbox (identity, channel, target, watchlists, next_attempt_at, created_at)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (identity, channel, target) DO NOTHING""",
            (identity, channel, target, Jsonb(sorted(watchlists)), ts(now), ts(now)),
        ))

    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None) -> list[OutboxRow]:
        """Move due pending alerts to 'sending' and return them, oldest first."""
        where = "state = 'pending' AND channel = %s AND next_attempt_at <= %s"
        params: list[Any] = [channel, ts(now)]
        if targets is not None:
            where += " AND target = ANY(%s)"
            params.append(list(targets))
        rows = self.db.all(
            f"""UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN
                    (SELECT id FROM outbox WHERE {where} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING *""",
            [*params, limit])
        return sorted((_outbox(r) for r in rows), key=lambda r: r.id)

    def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None:
        self._update(ids, "state = 'sent', sent_at = %s, last_error = NULL", [ts(now)])

    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._update(ids, "state = 'pending', last_error = %s, next_attempt_at = %s", [error, ts(next_attempt_at)])

    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None:
        self._update(ids, "state = 'dead', last_error = %s, notified = %s", [error, not notify])

    def retarget(self, channel: str, old: str, new: str) -> int:
        """Move pending alerts of one target to another (a group migrated to a supergroup)."""
        return self.db.run(
            """UPDATE outbox o SET target = %s
               WHERE channel = %s AND target = %s AND state IN ('pending', 'sending')
                 AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.identity = o.identity AND x.channel = o.channel
                                 AND x.target = %s)""",
            (new, channel, old, new))

    def release_in_flight(self) -> int:
        """After a crash: alerts left in 'sending' go back to 'pending' (they may be sent twice)."""
        return self.db.run("UPDATE outbox SET state = 'pending' WHERE state = 'sending'")

    def counts(self) -> dict[str, int]:
        rows = self.db.all("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def counts_by_channel(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for r in self.db.all("SELECT channel, state, count(*) AS n FROM outbox GROUP BY channel, state "
                             "ORDER BY channel, state"):
            out.setdefault(r["channel"], {})[r["state"]] = r["n"]
        return out

    def dead_reasons(self, limit: int = 5) -> list[tuple[str, int]]:
        rows = self.db.all("SELECT last_error, count(*) AS n FROM outbox WHERE state = 'dead' "
                           "GROUP BY last_error ORDER BY n DESC, last_error LIMIT %s", (limit,))
        return [(r["last_error"] or "", r["n"]) for r in rows]

    def unnotified_dead(self) -> list[OutboxRow]:
        rows = self.db.all("SELECT * FROM outbox WHERE state = 'dead' AND NOT notified ORDER BY id")
        return [_outbox(r) for r in rows]

    def mark_dead_notified(self, ids: Sequence[int]) -> None:
        self._update(ids, "notified = true", [])

    def alerted_watchlists(self, identity: str) -> set[str]:
        rows = self.db.all("SELECT watchlists FROM outbox WHERE identity = %s", (identity,))
        return {w for r in rows for w in r["watchlists"]}

    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE true", list[Any]()
        if state:
            sql, params = sql + " AND state = %s", [*params, state]
        if channel:
            sql, params = sql + " AND channel = %s", [*params, channel]
        return [_outbox(r) for r in self.db.all(sql + " ORDER BY id", params)]

    def _update(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.run(f"UPDATE outbox SET {assignments} WHERE id = ANY(%s)", [*params, list(ids)])


def _outbox(r: Row) -> OutboxRow:
    return OutboxRow(
        id=r["id"], identity=r["identity"], channel=r["channel"], target=r["target"],
        watchlists=tuple(r["watchlists"]), state=r["state"], attempts=r["attempts"],
        next_attempt_at=at(r["next_attempt_at"]), last_error=r["last_error"], created_at=at(r["created_at"]),
    )
