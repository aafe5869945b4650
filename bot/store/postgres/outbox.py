"""The outbox on PostgreSQL: one alert per (story, channel, target), and edits of sent alerts. IO: SQL.

state: pending -> sending -> sent | pending (retry) | dead. Several processes may drain one
outbox: a claim locks its rows with ``FOR UPDATE SKIP LOCKED``, so no alert (or edit) is handed out twice.
A dead letter that is a chat's own choice (a paused chat) is stored as notified.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from bot.store.postgres._db import Db, Row, at, ts, utc
from bot.store.protocols import AlertRecord, OutboxRow
from bot.store.renamed import renamed_ids


class PostgresOutbox:
    def __init__(self, db: Db) -> None:
        self.db = db

    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime, story: str | None = None) -> bool:
        """Write one alert; a second alert for the same story (or item) and target is ignored."""
        return bool(self.db.run(
            """INSERT INTO outbox (identity, channel, target, watchlists, next_attempt_at, created_at, story)
               VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING""",
            (identity, channel, target, Jsonb(sorted(watchlists)), ts(now), ts(now), story or identity),
        ))

    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None, per_target: int | None = None) -> list[OutboxRow]:
        """Move due pending alerts to 'sending' and return them, oldest first; at most ``per_target`` of one target."""
        where = "state = 'pending' AND channel = %s AND next_attempt_at <= %s"
        params: list[Any] = [channel, ts(now)]
        if targets is not None:
            where += " AND target = ANY(%s)"
            params.append(list(targets))
        if per_target is not None:
            # (FOR UPDATE takes no window function: the rows are chosen first, then claimed where still pending,
            # which another process's claim of the same rows, waited out on their locks, has made them no more)
            rows = self.db.all(
                f"""UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE state = 'pending' AND id IN
                        (SELECT id FROM (SELECT id, ROW_NUMBER() OVER (PARTITION BY target ORDER BY id) AS nth
                                         FROM outbox WHERE {where}) chosen WHERE nth <= %s ORDER BY id LIMIT %s)
                    RETURNING *""",
                [*params, per_target, limit])
            return sorted((_outbox(r) for r in rows), key=lambda r: r.id)
        rows = self.db.all(
            f"""UPDATE outbox SET state = 'sending', attempts = attempts + 1 WHERE id IN
                    (SELECT id FROM outbox WHERE {where} ORDER BY id LIMIT %s FOR UPDATE SKIP LOCKED)
                RETURNING *""",
            [*params, limit])
        return sorted((_outbox(r) for r in rows), key=lambda r: r.id)

    def count_recent(self, channel: str, target: str, *, since: datetime) -> int:
        """Alerts queued for one target at or after ``since`` (the hourly cap counts these)."""
        row = self.db.one("SELECT count(*) AS n FROM outbox WHERE channel = %s AND target = %s AND created_at >= %s",
                          (channel, target, ts(since)))
        return int(row["n"]) if row else 0

    def mark_sent(self, ids: Sequence[int], *, now: datetime, message_id: int | None = None) -> None:
        self._update(ids, "state = 'sent', sent_at = %s, last_error = NULL, message_id = COALESCE(%s, message_id)",
                     [ts(now), message_id])

    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._update(ids, "state = 'pending', last_error = %s, next_attempt_at = %s", [error, ts(next_attempt_at)])

    def hasten(self, ids: Sequence[int], *, now: datetime) -> int:
        if not ids:
            return 0
        return self.db.run("UPDATE outbox SET next_attempt_at = %s WHERE id = ANY(%s) AND state = 'pending' "
                           "AND next_attempt_at > %s", [ts(now), list(ids), ts(now)])

    def hasten_target(self, channel: str, target: str, *, now: datetime) -> int:
        """The target's pending alerts due later are due at ``now`` (its quiet hours were lifted or moved)."""
        return self.db.run("UPDATE outbox SET next_attempt_at = %s WHERE channel = %s AND target = %s "
                           "AND state = 'pending' AND next_attempt_at > %s", [ts(now), channel, target, ts(now)])

    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None:
        self._update(ids, "state = 'dead', last_error = %s, notified = %s", [error, not notify])

    def retarget(self, channel: str, old: str, new: str) -> int:
        """Move pending alerts of one target to another (a group migrated to a supergroup)."""
        return self.db.run(
            """UPDATE outbox o SET target = %s
               WHERE channel = %s AND target = %s AND state IN ('pending', 'sending')
                 AND NOT EXISTS (SELECT 1 FROM outbox x WHERE x.channel = o.channel AND x.target = %s
                                 AND (x.identity = o.identity OR x.story = o.story))""",
            (new, channel, old, new))

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: the alerts that name it (sent or not: the web's alert list filters by it) name
        ``new``; how many."""
        with self.db.transaction():
            rows = self.db.all("SELECT id, watchlists FROM outbox WHERE watchlists @> %s FOR UPDATE", [Jsonb([old])])
            self.db.many("UPDATE outbox SET watchlists = %s WHERE id = %s",
                         [(Jsonb(renamed_ids(r["watchlists"], old, new)), r["id"]) for r in rows])
        return len(rows)

    def release_in_flight(self) -> int:
        """After a crash: alerts left in 'sending' go back to 'pending' (they may be sent twice); edits too
        (an edit done twice shows the same text)."""
        with self.db.transaction():
            self.db.run("UPDATE edits SET state = 'pending' WHERE state = 'sending'")
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

    def alerted_stories(self, channel: str, target: str, stories: Sequence[str]) -> set[str]:
        rows = self.db.all("SELECT story FROM outbox WHERE story = ANY(%s) AND channel = %s AND target = %s "
                           "AND state <> 'dead'", (list(stories), channel, target))
        return {r["story"] for r in rows}

    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE true", list[Any]()
        if state:
            sql, params = sql + " AND state = %s", [*params, state]
        if channel:
            sql, params = sql + " AND channel = %s", [*params, channel]
        return [_outbox(r) for r in self.db.all(sql + " ORDER BY id", params)]

    def recent(self, since: datetime, *, search: str | None = None, watchlist: str | None = None,
               target: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """Alerts written since ``since``, newest first; ``search`` in title or lede (case-insensitive)."""
        sql = """SELECT o.*, i.title AS i_title, i.link AS i_link, i.lede AS i_lede FROM outbox o
                 JOIN items i ON i.identity = o.identity WHERE o.created_at >= %s"""
        params: list[Any] = [ts(since)]
        if search:
            sql += " AND (i.title ILIKE %s ESCAPE '\\' OR i.lede ILIKE %s ESCAPE '\\')"
            pattern = "%" + search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            params += [pattern, pattern]
        if watchlist:
            sql += " AND o.watchlists @> %s"
            params.append(Jsonb([watchlist]))
        if target:
            sql += " AND o.target = %s"
            params.append(target)
        rows = self.db.all(sql + " ORDER BY o.created_at DESC, o.id DESC LIMIT %s", [*params, limit])
        identities = sorted({r["identity"] for r in rows})
        hits: dict[str, dict[str, list[dict[str, Any]]]] = {i: {} for i in identities}
        if identities:
            for m in self.db.all("SELECT identity, watchlist, hits FROM matches WHERE identity = ANY(%s)",
                                 [identities]):
                hits[m["identity"]][m["watchlist"]] = m["hits"]
        return [AlertRecord(row=_outbox(r), title=r["i_title"], link=r["i_link"], lede=r["i_lede"],
                            hits=hits[r["identity"]]) for r in rows]

    def get(self, outbox_id: int) -> OutboxRow | None:
        row = self.db.one("SELECT * FROM outbox WHERE id = %s", (outbox_id,))
        return _outbox(row) if row is not None else None

    # --- edits ----------------------------------------------------------------------------------------

    def queue_edits(self, story: str, *, now: datetime, sent_since: datetime) -> int:
        """Every alert of ``story`` sent since ``sent_since`` (with a message to edit) gets a pending edit."""
        return self.db.run(
            """INSERT INTO edits (outbox_id, next_attempt_at, created_at)
               SELECT id, %s, %s FROM outbox WHERE story = %s AND state = 'sent' AND message_id IS NOT NULL
                   AND sent_at >= %s
               ON CONFLICT (outbox_id) DO UPDATE SET state = 'pending', next_attempt_at = excluded.next_attempt_at,
                   attempts = CASE WHEN edits.state = 'pending' THEN edits.attempts ELSE 0 END""",
            (ts(now), ts(now), story, ts(sent_since)))

    def claim_edits(self, channel: str, *, now: datetime, limit: int = 100) -> list[OutboxRow]:
        """Due edits as their alerts' rows (state 'sending', attempts = the edit's), moved to 'sending'.

        Edits another process is claiming are skipped, so none is handed out twice."""
        with self.db.transaction():
            claimed = self.db.all(
                """UPDATE edits SET state = 'sending', attempts = attempts + 1 WHERE outbox_id IN
                       (SELECT e.outbox_id FROM edits e JOIN outbox o ON o.id = e.outbox_id
                        WHERE e.state = 'pending' AND e.next_attempt_at <= %s AND o.channel = %s
                        ORDER BY e.next_attempt_at, e.outbox_id LIMIT %s FOR UPDATE OF e SKIP LOCKED)
                   RETURNING outbox_id, attempts, next_attempt_at""", (ts(now), channel, limit))
            if not claimed:
                return []
            attempts = {r["outbox_id"]: r["attempts"] for r in claimed}
            order = {r["outbox_id"]: (r["next_attempt_at"], r["outbox_id"]) for r in claimed}
            rows = self.db.all("SELECT * FROM outbox WHERE id = ANY(%s)", [list(attempts)])
        rows.sort(key=lambda r: order[r["id"]])
        return [_outbox(r, state="sending", attempts=attempts[r["id"]]) for r in rows]

    def edit_done(self, ids: Sequence[int]) -> None:
        self._edits(ids, "state = 'done', last_error = NULL", [])

    def edit_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._edits(ids, "state = 'pending', last_error = %s, next_attempt_at = %s", [error, ts(next_attempt_at)])

    def edit_dead(self, ids: Sequence[int], *, error: str) -> None:
        self._edits(ids, "state = 'dead', last_error = %s", [error])

    def edit_counts(self) -> dict[str, int]:
        return {r["state"]: r["n"] for r in self.db.all("SELECT state, count(*) AS n FROM edits GROUP BY state")}

    def _edits(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.run(f"UPDATE edits SET {assignments} WHERE outbox_id = ANY(%s)", [*params, list(ids)])

    def _update(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if ids:
            self.db.run(f"UPDATE outbox SET {assignments} WHERE id = ANY(%s)", [*params, list(ids)])


def _outbox(r: Row, *, state: str | None = None, attempts: int | None = None) -> OutboxRow:
    return OutboxRow(
        id=r["id"], identity=r["identity"], channel=r["channel"], target=r["target"],
        watchlists=tuple(r["watchlists"]), state=state or r["state"],
        attempts=r["attempts"] if attempts is None else attempts,
        next_attempt_at=at(r["next_attempt_at"]), last_error=r["last_error"], created_at=at(r["created_at"]),
        story=r["story"] or r["identity"], message_id=r["message_id"], sent_at=utc(r["sent_at"]),
    )
