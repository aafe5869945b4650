"""Digest state on SQLite: recipients, what each received, dead letters, runs. IO: SQL.

Pending for a recipient = matches of its watchlists at or above its floor (``since``) that are not
recorded as delivered to it. Delivery is recorded per match, never as a "cursor" of ids, so a
match another writer commits late is never skipped. A successful digest raises the floor to a
margin below its time (``FLOOR_MARGIN``, far longer than any transaction) and forgets delivery
records below the floor, so the records stay bounded by the digest interval.
Chats and subscriptions (migration 0002) are read here, never written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any

from bot.digest.build import PendingMatch
from bot.store.protocols import DeadLetter, RecipientState
from bot.store.sqlite._db import at, dt, iso, marks
from bot.watch.explain import stored_terms

FLOOR_MARGIN = timedelta(hours=1)

_COLUMNS = """m.rowid AS match_id, m.identity, m.watchlist, m.hits, m.matched_at,
              i.title, i.link, i.lede, i.published_at, i.feed_url, COALESCE(i.story, i.identity) AS story"""


class SqliteDigests:
    """Digest queries (tables of migrations 0003 and 0004)."""

    def __init__(self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[object]]) -> None:
        self.db = db
        self.transaction = transaction

    # --- recipients ---------------------------------------------------------------------------------

    def recipient(self, key: str) -> RecipientState | None:
        row = self.db.execute("SELECT * FROM digest_recipients WHERE key = ?", (key,)).fetchone()
        return _recipient(row) if row else None

    def recipients(self) -> list[RecipientState]:
        return [_recipient(r) for r in self.db.execute("SELECT * FROM digest_recipients ORDER BY key")]

    def ensure(self, key: str, *, channel: str, target: str, watchlists: Sequence[str],
               since: datetime | None, now: datetime) -> RecipientState:
        """The recipient's state, created with floor ``since`` the first time it is seen."""
        self.db.execute(
            """INSERT INTO digest_recipients (key, channel, target, watchlists, since, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING""",
            (key, channel, target, json.dumps(list(watchlists)), iso(since), iso(now)),
        )
        state = self.recipient(key)
        assert state is not None
        return state

    def due_retries(self, now: datetime) -> list[RecipientState]:
        rows = self.db.execute(
            "SELECT * FROM digest_recipients WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY key",
            (iso(now),))
        return [_recipient(r) for r in rows]

    # --- pending ------------------------------------------------------------------------------------

    def pending_email(self, key: str, *, watchlists: Sequence[str], since: datetime | None) -> list[PendingMatch]:
        """Pending matches of an email recipient (``watchlists`` empty: all)."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  WHERE m.matched_at >= ? AND m.backlog = 0
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = ? AND d.match_id = m.rowid)"""
        params: list[Any] = [iso(since) or "", key]
        if watchlists:
            sql += f" AND m.watchlist IN ({marks(watchlists)})"
            params += list(watchlists)
        return self._pending(sql + " ORDER BY m.matched_at, m.rowid", params)

    def pending_chat(self, key: str, chat_id: int) -> list[PendingMatch]:
        """Pending matches of a chat: its digest-mode subscriptions, each from its switch to digest mode on,
        and the alerts held over its hourly cap (table of migration 0005)."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  JOIN subscriptions s ON s.chat_id = ? AND s.watchlist = m.watchlist AND s.mode = 'digest'
                  JOIN chats c ON c.chat_id = s.chat_id
                  LEFT JOIN digest_recipients r ON r.key = ?
                  WHERE m.backlog = 0 AND m.matched_at >= MAX(s.since, COALESCE(c.digest_since, s.since),
                                                              COALESCE(r.since, ''))
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = ? AND d.match_id = m.rowid)
                  UNION
                  SELECT {_COLUMNS} FROM held_alerts h
                  JOIN matches m ON m.identity = h.identity AND m.watchlist = h.watchlist
                  JOIN items i ON i.identity = m.identity
                  LEFT JOIN digest_recipients r ON r.key = ?
                  WHERE h.chat_id = ? AND m.matched_at >= COALESCE(r.since, '')
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = ? AND d.match_id = m.rowid)
                  ORDER BY matched_at, match_id"""
        return self._pending(sql, [chat_id, key, key, key, chat_id, key])

    # --- outcomes -----------------------------------------------------------------------------------

    def settle(self, key: str, match_ids: Sequence[int], *, now: datetime, complete: bool = True) -> None:
        """The server accepted a digest: its matches are delivered. ``complete=False``: only some pages were."""
        with self.transaction():
            self.db.executemany("INSERT OR IGNORE INTO digest_delivered (key, match_id) VALUES (?, ?)",
                                [(key, i) for i in match_ids])
            if not complete:
                return
            self._raise_floor(key, now)
            self.db.execute("""UPDATE digest_recipients SET last_sent_at = ?, last_attempt_at = ?, failures = 0,
                              next_attempt_at = NULL, last_error = NULL, last_error_at = NULL WHERE key = ?""",
                            (iso(now), iso(now), key))

    def _raise_floor(self, key: str, now: datetime) -> None:
        floor = iso(now - FLOOR_MARGIN)
        self.db.execute("UPDATE digest_recipients SET since = MAX(COALESCE(since, ''), ?) WHERE key = ?", (floor, key))
        self.db.execute("""DELETE FROM digest_delivered WHERE key = ? AND match_id IN
                               (SELECT rowid FROM matches WHERE matched_at < ?)""", (key, floor))

    def fail(self, key: str, *, error: str, now: datetime, next_attempt_at: datetime | None) -> int:
        """A temporary failure: nothing moves, a retry is due at ``next_attempt_at``. Returns the streak."""
        self.db.execute(
            """UPDATE digest_recipients SET last_attempt_at = ?, last_error = ?, last_error_at = ?,
                   failures = failures + 1, next_attempt_at = ? WHERE key = ?""",
            (iso(now), error, iso(now), iso(next_attempt_at), key))
        row = self.db.execute("SELECT failures FROM digest_recipients WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def clear_retry(self, key: str) -> None:
        """Nothing is pending any more (or the recipient is gone): no retry is due."""
        self.db.execute("UPDATE digest_recipients SET next_attempt_at = NULL, failures = 0 WHERE key = ?", (key,))

    def rekey(self, old: str, new: str, *, target: str) -> None:
        """A chat moved to a new id (group to supergroup): its digest state moves along."""
        with self.transaction():
            self.db.execute(
                """INSERT OR IGNORE INTO digest_recipients (key, channel, target, watchlists, since,
                       last_sent_at, last_attempt_at, last_error, last_error_at, failures, next_attempt_at, created_at)
                   SELECT ?, channel, ?, watchlists, since, last_sent_at, last_attempt_at, last_error,
                          last_error_at, failures, next_attempt_at, created_at FROM digest_recipients WHERE key = ?""",
                (new, target, old))
            self.db.execute("UPDATE OR IGNORE digest_delivered SET key = ? WHERE key = ?", (new, old))
            self.db.execute("DELETE FROM digest_delivered WHERE key = ?", (old,))
            self.db.execute("UPDATE digest_dead SET key = ? WHERE key = ?", (new, old))
            self.db.execute("DELETE FROM digest_recipients WHERE key = ?", (old,))

    def bury(self, key: str, match_ids: Sequence[int], *, stories: int, error: str, now: datetime) -> None:
        """A permanent rejection: the digest becomes a dead letter and its matches stop being pending."""
        with self.transaction():
            self.db.execute("INSERT INTO digest_dead (key, error, stories, match_ids, at) VALUES (?, ?, ?, ?, ?)",
                            (key, error, stories, json.dumps(list(match_ids)), iso(now)))
            self.db.executemany("INSERT OR IGNORE INTO digest_delivered (key, match_id) VALUES (?, ?)",
                                [(key, i) for i in match_ids])
            self.db.execute("""UPDATE digest_recipients SET last_attempt_at = ?, last_error = ?, last_error_at = ?,
                              failures = 0, next_attempt_at = NULL WHERE key = ?""",
                            (iso(now), error, iso(now), key))

    def record_run(self, key: str, *, now: datetime, stories: int, outcome: str, error: str | None = None,
                   message_id: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO digest_runs (key, at, stories, outcome, error, message_id) VALUES (?, ?, ?, ?, ?, ?)",
            (key, iso(now), stories, outcome, error, message_id))

    def dead_letters(self, key: str | None = None) -> list[DeadLetter]:
        sql, params = "SELECT * FROM digest_dead", list[Any]()
        if key is not None:
            sql, params = sql + " WHERE key = ?", [key]
        return [DeadLetter(id=r["id"], key=r["key"], error=r["error"], stories=r["stories"], at=at(r["at"]))
                for r in self.db.execute(sql + " ORDER BY id", params)]

    def unnotified_dead(self) -> list[DeadLetter]:
        rows = self.db.execute("SELECT * FROM digest_dead WHERE notified = 0 ORDER BY id")
        return [DeadLetter(id=r["id"], key=r["key"], error=r["error"], stories=r["stories"], at=at(r["at"]))
                for r in rows]

    def mark_notified(self, ids: Sequence[int]) -> None:
        self.db.executemany("UPDATE digest_dead SET notified = 1 WHERE id = ?", [(i,) for i in ids])

    # --- plumbing -----------------------------------------------------------------------------------

    def _pending(self, sql: str, params: Sequence[Any]) -> list[PendingMatch]:
        rows = self.db.execute(sql, params).fetchall()
        feeds, sources = self._feeds(sorted({r["story"] for r in rows}))
        return [
            PendingMatch(
                match_id=r["match_id"], identity=r["identity"], watchlist=r["watchlist"],
                matched_at=at(r["matched_at"]),
                title=r["title"], link=r["link"], lede=r["lede"], published=dt(r["published_at"]),
                feeds=feeds.get(r["story"], ()), terms=_terms(r["watchlist"], r["hits"]), story=r["story"],
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
            chunk = list(stories[start: start + 500])
            rows = self.db.execute(
                f"""SELECT COALESCE(i.story, i.identity) AS story, s.identity,
                           COALESCE(NULLIF(s.feed_name, ''), NULLIF(f.name, ''), NULLIF(f.title, ''),
                           s.feed_url) AS label
                    FROM sightings s JOIN items i ON i.identity = s.identity LEFT JOIN feeds f ON f.url = s.feed_url
                    WHERE COALESCE(i.story, i.identity) IN ({marks(chunk)}) ORDER BY s.seen_at, s.feed_url""", chunk)
            for r in rows:
                out.setdefault(r["story"], []).append(r["label"])
                own.setdefault(r["identity"], r["label"])
        return {k: tuple(dict.fromkeys(v)) for k, v in out.items()}, own


def _terms(watchlist: str, hits: str) -> tuple[str, ...]:
    try:
        parsed = json.loads(hits)
    except (TypeError, ValueError):
        return ()
    return tuple(stored_terms(watchlist, parsed))


def _recipient(r: sqlite3.Row) -> RecipientState:
    return RecipientState(
        key=r["key"], channel=r["channel"], target=r["target"], watchlists=tuple(json.loads(r["watchlists"])),
        since=dt(r["since"]), last_sent_at=dt(r["last_sent_at"]),
        last_attempt_at=dt(r["last_attempt_at"]), last_error=r["last_error"], last_error_at=dt(r["last_error_at"]),
        failures=r["failures"], next_attempt_at=dt(r["next_attempt_at"]),
    )
