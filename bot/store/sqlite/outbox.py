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

from bot.store.protocols import AlertRecord, OutboxRow
from bot.store.renamed import renamed_ids
from bot.store.sqlite._db import Transaction, at, dt, iso, marks


class SqliteOutbox:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime, story: str | None = None) -> bool:
        """Write one alert; a second alert for the same story (or item) and target is ignored."""
        cur = self.db.execute(
            """INSERT INTO outbox (identity, channel, target, watchlists, next_attempt_at, created_at, story)
               VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""",
            (identity, channel, target, json.dumps(sorted(watchlists)), iso(now), iso(now), story or identity),
        )
        return bool(cur.rowcount)

    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None, per_target: int | None = None) -> list[OutboxRow]:
        """Move due pending alerts to 'sending' and return them, oldest first; at most ``per_target`` of one target."""
        with Transaction(self.db):
            sql = "SELECT * FROM outbox WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
            params: list[Any] = [channel, iso(now)]
            if targets is not None:
                sql += f" AND target IN ({marks(targets)})"
                params += list(targets)
            if per_target is not None:
                sql = (f"SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY target ORDER BY id) AS nth "
                       f"FROM ({sql})) WHERE nth <= ?")
                params.append(per_target)
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

    def mark_sent(self, ids: Sequence[int], *, now: datetime, message_id: int | None = None) -> None:
        self._update(ids, "state = 'sent', sent_at = ?, last_error = NULL, message_id = COALESCE(?, message_id)",
                     [iso(now), message_id])

    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._update(ids, "state = 'pending', last_error = ?, next_attempt_at = ?", [error, iso(next_attempt_at)])

    def hasten(self, ids: Sequence[int], *, now: datetime) -> int:
        if not ids:
            return 0
        cur = self.db.execute(f"UPDATE outbox SET next_attempt_at = ? WHERE id IN ({marks(ids)}) "
                              "AND state = 'pending' AND next_attempt_at > ?", [iso(now), *ids, iso(now)])
        return cur.rowcount

    def hasten_target(self, channel: str, target: str, *, now: datetime) -> int:
        """The target's pending alerts due later are due at ``now`` (its quiet hours were lifted or moved)."""
        cur = self.db.execute("UPDATE outbox SET next_attempt_at = ? WHERE channel = ? AND target = ? "
                              "AND state = 'pending' AND next_attempt_at > ?", [iso(now), channel, target, iso(now)])
        return cur.rowcount

    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None:
        self._update(ids, "state = 'dead', last_error = ?, notified = ?", [error, 0 if notify else 1])

    def retarget(self, channel: str, old: str, new: str) -> int:
        """Move pending alerts of one target to another (a group migrated to a supergroup)."""
        cur = self.db.execute(
            "UPDATE OR IGNORE outbox SET target = ? "
            "WHERE channel = ? AND target = ? AND state IN ('pending', 'sending')",
            (new, channel, old))
        return cur.rowcount

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: the alerts that name it (sent or not: the web's alert list filters by it) name
        ``new``; how many."""
        with Transaction(self.db):
            rows = self.db.execute("SELECT id, watchlists FROM outbox WHERE instr(watchlists, ?) > 0",
                                   (json.dumps(old),)).fetchall()
            changed = [(json.dumps(renamed_ids(ids, old, new)), r["id"])
                       for r in rows if old in (ids := json.loads(r["watchlists"]))]
            self.db.executemany("UPDATE outbox SET watchlists = ? WHERE id = ?", changed)
        return len(changed)

    def release_in_flight(self) -> int:
        """After a crash: alerts left in 'sending' go back to 'pending' (they may be sent twice); edits too
        (an edit done twice shows the same text)."""
        self.db.execute("UPDATE edits SET state = 'pending' WHERE state = 'sending'")
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

    def alerted_stories(self, channel: str, target: str, stories: Sequence[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(stories), 500):
            chunk = list(stories[start: start + 500])
            rows = self.db.execute(
                f"SELECT story FROM outbox WHERE story IN ({', '.join('?' * len(chunk))}) AND channel = ? "
                "AND target = ? AND state <> 'dead'", (*chunk, channel, target))
            found |= {r["story"] for r in rows}
        return found

    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE 1 = 1", list[Any]()
        if state:
            sql, params = sql + " AND state = ?", [*params, state]
        if channel:
            sql, params = sql + " AND channel = ?", [*params, channel]
        return [_outbox(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def recent(self, since: datetime, *, search: str | None = None, watchlist: str | None = None,
               target: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """Alerts written since ``since``, newest first; ``search`` in title or lede (case-insensitive)."""
        sql = """SELECT o.*, i.title AS i_title, i.link AS i_link, i.lede AS i_lede FROM outbox o
                 JOIN items i ON i.identity = o.identity WHERE o.created_at >= ?"""
        params: list[Any] = [iso(since)]
        if search:
            sql += " AND (i.title LIKE ? ESCAPE '\\' OR i.lede LIKE ? ESCAPE '\\')"
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        if watchlist:
            sql += " AND EXISTS (SELECT 1 FROM json_each(o.watchlists) w WHERE w.value = ?)"
            params.append(watchlist)
        if target:
            sql += " AND o.target = ?"
            params.append(target)
        rows = self.db.execute(sql + " ORDER BY o.created_at DESC, o.id DESC LIMIT ?", [*params, limit]).fetchall()
        hits: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for r in rows:
            if r["identity"] not in hits:
                found = self.db.execute("SELECT watchlist, hits FROM matches WHERE identity = ?", (r["identity"],))
                hits[r["identity"]] = {m["watchlist"]: json.loads(m["hits"]) for m in found}
        return [AlertRecord(row=_outbox(r), title=r["i_title"], link=r["i_link"], lede=r["i_lede"],
                            hits=hits[r["identity"]]) for r in rows]

    # --- edits ----------------------------------------------------------------------------------------

    def queue_edits(self, story: str, *, now: datetime, sent_since: datetime) -> int:
        """Every alert of ``story`` sent since ``sent_since`` (with a message to edit) gets a pending edit."""
        cur = self.db.execute(
            """INSERT INTO edits (outbox_id, next_attempt_at, created_at)
               SELECT id, ?, ? FROM outbox WHERE story = ? AND state = 'sent' AND message_id IS NOT NULL
                   AND sent_at >= ?
               ON CONFLICT (outbox_id) DO UPDATE SET state = 'pending', next_attempt_at = excluded.next_attempt_at,
                   attempts = CASE WHEN edits.state = 'pending' THEN edits.attempts ELSE 0 END""",
            (iso(now), iso(now), story, iso(sent_since)))
        return cur.rowcount

    def claim_edits(self, channel: str, *, now: datetime, limit: int = 100) -> list[OutboxRow]:
        """Due edits as their alerts' rows (state 'sending', attempts = the edit's), moved to 'sending'."""
        with Transaction(self.db):
            rows = self.db.execute(
                """SELECT o.*, e.attempts AS e_attempts FROM edits e JOIN outbox o ON o.id = e.outbox_id
                   WHERE e.state = 'pending' AND e.next_attempt_at <= ? AND o.channel = ?
                   ORDER BY e.next_attempt_at, e.outbox_id LIMIT ?""", (iso(now), channel, limit)).fetchall()
            if rows:
                ids = [r["id"] for r in rows]
                self.db.execute(f"UPDATE edits SET state = 'sending', attempts = attempts + 1 "
                                f"WHERE outbox_id IN ({marks(ids)})", ids)
        return [_outbox(r, state="sending", attempts=r["e_attempts"] + 1) for r in rows]

    def edit_done(self, ids: Sequence[int]) -> None:
        self._edits(ids, "state = 'done', last_error = NULL", [])

    def edit_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._edits(ids, "state = 'pending', last_error = ?, next_attempt_at = ?", [error, iso(next_attempt_at)])

    def edit_dead(self, ids: Sequence[int], *, error: str) -> None:
        self._edits(ids, "state = 'dead', last_error = ?", [error])

    def get(self, outbox_id: int) -> OutboxRow | None:
        row = self.db.execute("SELECT * FROM outbox WHERE id = ?", (outbox_id,)).fetchone()
        return _outbox(row) if row is not None else None

    def edit_counts(self) -> dict[str, int]:
        return {r["state"]: r["n"] for r in self.db.execute("SELECT state, count(*) AS n FROM edits GROUP BY state")}

    def _edits(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.execute(f"UPDATE edits SET {assignments} WHERE outbox_id IN ({marks(ids)})", [*params, *ids])

    def _update(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.execute(f"UPDATE outbox SET {assignments} WHERE id IN ({marks(ids)})", [*params, *ids])


def _outbox(r: sqlite3.Row, *, state: str | None = None, attempts: int | None = None) -> OutboxRow:
    return OutboxRow(
        id=r["id"], identity=r["identity"], channel=r["channel"], target=r["target"],
        watchlists=tuple(json.loads(r["watchlists"])), state=state or r["state"],
        attempts=r["attempts"] if attempts is None else attempts,
        next_attempt_at=at(r["next_attempt_at"]), last_error=r["last_error"],
        created_at=at(r["created_at"]), story=r["story"] or r["identity"], message_id=r["message_id"],
        sent_at=dt(r["sent_at"]),
    )
