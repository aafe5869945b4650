"""Digest state on PostgreSQL: recipients, what each received, dead letters, runs. IO: SQL.

The same model as ``bot/store/sqlite/digests.py``: pending for a recipient = matches of its
watchlists at or above its floor (``since``) not recorded as delivered to it, by ``matches.id``.
No cursor: a match another process commits late is never skipped. A successful digest raises the
floor to ``FLOOR_MARGIN`` below its time and forgets delivery records below the floor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from psycopg.types.json import Jsonb

from bot.digest.build import PendingMatch
from bot.store.postgres._db import Db, Row, at, ts, utc
from bot.store.protocols import DeadLetter, RecipientState
from bot.store.sqlite.digests import FLOOR_MARGIN
from bot.watch.explain import stored_terms

_COLUMNS = """m.id AS match_id, m.identity, m.watchlist, m.hits, m.matched_at,
              i.title, i.link, i.lede, i.published_at, i.feed_url, COALESCE(i.story, i.identity) AS story"""


class PostgresDigests:
    def __init__(self, db: Db) -> None:
        self.db = db

    # --- recipients ---------------------------------------------------------------------------------

    def recipient(self, key: str) -> RecipientState | None:
        row = self.db.one("SELECT * FROM digest_recipients WHERE key = %s", (key,))
        return _recipient(row) if row else None

    def recipients(self) -> list[RecipientState]:
        return [_recipient(r) for r in self.db.all("SELECT * FROM digest_recipients ORDER BY key")]

    def ensure(self, key: str, *, channel: str, target: str, watchlists: Sequence[str],
               since: datetime | None, now: datetime) -> RecipientState:
        """The recipient's state, created with floor ``since`` the first time it is seen."""
        self.db.run(
            """INSERT INTO digest_recipients (key, channel, target, watchlists, since, created_at)
               VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (key) DO NOTHING""",
            (key, channel, target, Jsonb(list(watchlists)), ts(since), ts(now)),
        )
        state = self.recipient(key)
        assert state is not None
        return state

    def due_retries(self, now: datetime) -> list[RecipientState]:
        rows = self.db.all("SELECT * FROM digest_recipients WHERE next_attempt_at <= %s ORDER BY key", (ts(now),))
        return [_recipient(r) for r in rows]

    # --- pending ------------------------------------------------------------------------------------

    def pending_email(self, key: str, *, watchlists: Sequence[str], since: datetime | None) -> list[PendingMatch]:
        """Pending matches of an email recipient (``watchlists`` empty: all)."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  WHERE m.matched_at >= COALESCE(%s::timestamptz, '-infinity') AND NOT m.backlog
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = %s AND d.match_id = m.id)"""
        params: list[Any] = [ts(since), key]
        if watchlists:
            sql += " AND m.watchlist = ANY(%s)"
            params.append(list(watchlists))
        return self._pending(sql + " ORDER BY m.matched_at, m.id", params)

    def pending_chat(self, key: str, chat_id: int) -> list[PendingMatch]:
        """Pending matches of a chat: its digest-mode subscriptions, each from its switch to digest mode on,
        and the alerts held over its hourly cap."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  JOIN subscriptions s ON s.chat_id = %s AND s.watchlist = m.watchlist AND s.mode = 'digest'
                  JOIN chats c ON c.chat_id = s.chat_id
                  LEFT JOIN digest_recipients r ON r.key = %s
                  WHERE NOT m.backlog AND m.matched_at >= GREATEST(s.since, c.digest_since, r.since)
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = %s AND d.match_id = m.id)
                  UNION
                  SELECT {_COLUMNS} FROM held_alerts h
                  JOIN matches m ON m.identity = h.identity AND m.watchlist = h.watchlist
                  JOIN items i ON i.identity = m.identity
                  LEFT JOIN digest_recipients r ON r.key = %s
                  WHERE h.chat_id = %s AND (r.since IS NULL OR m.matched_at >= r.since)
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = %s AND d.match_id = m.id)
                  ORDER BY matched_at, match_id"""
        return self._pending(sql, [chat_id, key, key, key, chat_id, key])

    # --- outcomes -----------------------------------------------------------------------------------

    def settle(self, key: str, match_ids: Sequence[int], *, now: datetime, complete: bool = True) -> None:
        """The server accepted a digest: its matches are delivered. ``complete=False``: only some pages were."""
        with self.db.transaction():
            self._deliver(key, match_ids)
            if not complete:
                return
            floor = ts(now - FLOOR_MARGIN)
            self.db.run("UPDATE digest_recipients SET since = GREATEST(since, %s) WHERE key = %s", (floor, key))
            self.db.run("""DELETE FROM digest_delivered d USING matches m
                           WHERE d.key = %s AND m.id = d.match_id AND m.matched_at < %s""", (key, floor))
            self.db.run("""UPDATE digest_recipients SET last_sent_at = %s, last_attempt_at = %s, failures = 0,
                               next_attempt_at = NULL, last_error = NULL, last_error_at = NULL WHERE key = %s""",
                        (ts(now), ts(now), key))

    def fail(self, key: str, *, error: str, now: datetime, next_attempt_at: datetime | None) -> int:
        """A temporary failure: nothing moves, a retry is due at ``next_attempt_at``. Returns the streak."""
        row = self.db.one(
            """UPDATE digest_recipients SET last_attempt_at = %s, last_error = %s, last_error_at = %s,
                   failures = failures + 1, next_attempt_at = %s WHERE key = %s RETURNING failures""",
            (ts(now), error, ts(now), ts(next_attempt_at), key))
        return int(row["failures"]) if row else 0

    def clear_retry(self, key: str) -> None:
        """Nothing is pending any more (or the recipient is gone): no retry is due."""
        self.db.run("UPDATE digest_recipients SET next_attempt_at = NULL, failures = 0 WHERE key = %s", (key,))

    def rekey(self, old: str, new: str, *, target: str) -> None:
        """A chat moved to a new id (group to supergroup): its digest state moves along."""
        with self.db.transaction():
            self.db.run(
                """INSERT INTO digest_recipients (key, channel, target, watchlists, since, last_sent_at,
                       last_attempt_at, last_error, last_error_at, failures, next_attempt_at, created_at)
                   SELECT %s, channel, %s, watchlists, since, last_sent_at, last_attempt_at, last_error,
                          last_error_at, failures, next_attempt_at, created_at FROM digest_recipients WHERE key = %s
                   ON CONFLICT (key) DO NOTHING""",
                (new, target, old))
            self.db.run("""INSERT INTO digest_delivered (key, match_id) SELECT %s, match_id FROM digest_delivered
                           WHERE key = %s ON CONFLICT DO NOTHING""", (new, old))
            self.db.run("DELETE FROM digest_delivered WHERE key = %s", (old,))
            self.db.run("UPDATE digest_dead SET key = %s WHERE key = %s", (new, old))
            self.db.run("DELETE FROM digest_recipients WHERE key = %s", (old,))

    def bury(self, key: str, match_ids: Sequence[int], *, stories: int, error: str, now: datetime) -> None:
        """A permanent rejection: the digest becomes a dead letter and its matches stop being pending."""
        with self.db.transaction():
            self.db.run("INSERT INTO digest_dead (key, error, stories, match_ids, at) VALUES (%s, %s, %s, %s, %s)",
                        (key, error, stories, Jsonb(list(match_ids)), ts(now)))
            self._deliver(key, match_ids)
            self.db.run("""UPDATE digest_recipients SET last_attempt_at = %s, last_error = %s, last_error_at = %s,
                               failures = 0, next_attempt_at = NULL WHERE key = %s""",
                        (ts(now), error, ts(now), key))

    def record_run(self, key: str, *, now: datetime, stories: int, outcome: str, error: str | None = None,
                   message_id: str | None = None) -> None:
        self.db.run(
            "INSERT INTO digest_runs (key, at, stories, outcome, error, message_id) VALUES (%s, %s, %s, %s, %s, %s)",
            (key, ts(now), stories, outcome, error, message_id))

    def dead_letters(self, key: str | None = None) -> list[DeadLetter]:
        sql, params = "SELECT * FROM digest_dead", list[Any]()
        if key is not None:
            sql, params = sql + " WHERE key = %s", [key]
        return [_dead(r) for r in self.db.all(sql + " ORDER BY id", params)]

    def unnotified_dead(self) -> list[DeadLetter]:
        return [_dead(r) for r in self.db.all("SELECT * FROM digest_dead WHERE NOT notified ORDER BY id")]

    def mark_notified(self, ids: Sequence[int]) -> None:
        if ids:
            self.db.run("UPDATE digest_dead SET notified = true WHERE id = ANY(%s)", [list(ids)])

    # --- plumbing -----------------------------------------------------------------------------------

    def _deliver(self, key: str, match_ids: Sequence[int]) -> None:
        """Record deliveries; a match pruned meanwhile needs no record."""
        if match_ids:
            self.db.run("""INSERT INTO digest_delivered (key, match_id) SELECT %s, id FROM matches
                           WHERE id = ANY(%s) ON CONFLICT DO NOTHING""", (key, list(match_ids)))

    def _pending(self, sql: str, params: Sequence[Any]) -> list[PendingMatch]:
        rows = self.db.all(sql, params)
        feeds, sources = self._feeds(sorted({r["story"] for r in rows}))
        return [
            PendingMatch(
                match_id=r["match_id"], identity=r["identity"], watchlist=r["watchlist"],
                matched_at=at(r["matched_at"]),
                title=r["title"], link=r["link"], lede=r["lede"], published=utc(r["published_at"]),
                feeds=feeds.get(r["story"], ()), terms=tuple(stored_terms(r["watchlist"], r["hits"])), story=r["story"],
                feed_url=r["feed_url"], source=sources.get(r["identity"], ""),
            )
            for r in rows
        ]

    def _feeds(self, stories: Sequence[str]) -> tuple[dict[str, tuple[str, ...]], dict[str, str]]:
        """Every outlet of each story (all its items' sightings), each once, first seen first; and each item's own
        (its first sighting's), so that a digest credits a headline to the outlet that wrote it."""
        out: dict[str, list[str]] = {}
        own: dict[str, str] = {}
        for start in range(0, len(stories), 500):
            rows = self.db.all(
                """SELECT COALESCE(i.story, i.identity) AS story, s.identity,
                          COALESCE(NULLIF(s.feed_name, ''), NULLIF(f.name, ''), NULLIF(f.title, ''),
                          s.feed_url) AS label
                   FROM sightings s JOIN items i ON i.identity = s.identity LEFT JOIN feeds f ON f.url = s.feed_url
                   WHERE COALESCE(i.story, i.identity) = ANY(%s) ORDER BY s.seen_at, s.feed_url""",
                [list(stories[start: start + 500])])
            for r in rows:
                out.setdefault(r["story"], []).append(r["label"])
                own.setdefault(r["identity"], r["label"])
        return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}, own


def _dead(r: Row) -> DeadLetter:
    return DeadLetter(id=r["id"], key=r["key"], error=r["error"], stories=r["stories"], at=at(r["at"]))


def _recipient(r: Row) -> RecipientState:
    return RecipientState(
        key=r["key"], channel=r["channel"], target=r["target"], watchlists=tuple(r["watchlists"]),
        since=utc(r["since"]), last_sent_at=utc(r["last_sent_at"]),
        last_attempt_at=utc(r["last_attempt_at"]), last_error=r["last_error"], last_error_at=utc(r["last_error_at"]),
        failures=r["failures"], next_attempt_at=utc(r["next_attempt_at"]),
    )
