"""Digest state in the store: recipients, their pending matches, dead letters, runs. IO: SQLite.

Pending for a recipient = matches of its watchlists above its cursor (``matches.rowid``; writes are
serialized, so a rowid cursor never skips a row committed later), not older than its floor, and
not already delivered by a part-sent digest. A digest moves the cursor only once the server
accepted it, so a failed send leaves every item pending for the next one.
Chats and subscriptions (tables of migration 0002, the Telegram part) are read here, never written.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.digest import PendingMatch
from bot.store.sqlite import SqliteStore, _dt, _iso


def email_key(address: str, watchlists: Sequence[str]) -> str:
    """An email recipient is its address and its watchlists (DESIGN.md)."""
    return f"email:{address.strip().lower()}|{','.join(sorted(set(watchlists))) or '*'}"


def chat_key(chat_id: int | str) -> str:
    return f"chat:{int(chat_id)}"


@dataclass(frozen=True, slots=True)
class RecipientState:
    """What the store remembers of one digest recipient."""

    key: str
    channel: str
    target: str
    watchlists: tuple[str, ...]
    cursor: int
    since: datetime | None
    last_sent_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    key: str
    error: str
    stories: int
    at: datetime


_COLUMNS = """m.rowid AS match_id, m.identity, m.watchlist, m.hits, m.matched_at,
              i.title, i.link, i.lede, i.published_at"""


class DigestStore:
    """Digest queries over a SqliteStore (its tables come from migration 0003)."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    # --- recipients ---------------------------------------------------------------------------------

    def recipient(self, key: str) -> RecipientState | None:
        row = self.store.execute("SELECT * FROM digest_recipients WHERE key = ?", (key,)).fetchone()
        return _recipient(row) if row else None

    def recipients(self) -> list[RecipientState]:
        return [_recipient(r) for r in self.store.execute("SELECT * FROM digest_recipients ORDER BY key")]

    def ensure(self, key: str, *, channel: str, target: str, watchlists: Sequence[str],
               since: datetime | None, now: datetime) -> RecipientState:
        """The recipient's state, created with floor ``since`` the first time it is seen."""
        self.store.execute(
            """INSERT INTO digest_recipients (key, channel, target, watchlists, since, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (key) DO NOTHING""",
            (key, channel, target, json.dumps(list(watchlists)), _iso(since), _iso(now)),
        )
        state = self.recipient(key)
        assert state is not None
        return state

    def due_retries(self, now: datetime) -> list[RecipientState]:
        rows = self.store.execute(
            "SELECT * FROM digest_recipients WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= ? ORDER BY key",
            (_iso(now),))
        return [_recipient(r) for r in rows]

    # --- pending ------------------------------------------------------------------------------------

    def pending_email(self, key: str, *, watchlists: Sequence[str], cursor: int,
                      since: datetime | None) -> list[PendingMatch]:
        """Pending matches of an email recipient (``watchlists`` empty: all)."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  WHERE m.rowid > ? AND m.matched_at >= ?
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = ? AND d.match_id = m.rowid)"""
        params: list[Any] = [cursor, _iso(since) or "", key]
        if watchlists:
            sql += f" AND m.watchlist IN ({','.join('?' * len(watchlists))})"
            params += list(watchlists)
        return self._pending(sql + " ORDER BY m.rowid", params)

    def pending_chat(self, key: str, chat_id: int, *, cursor: int) -> list[PendingMatch]:
        """Pending matches of a chat: its digest-mode subscriptions, each from its switch to digest mode on."""
        sql = f"""SELECT {_COLUMNS} FROM matches m JOIN items i ON i.identity = m.identity
                  JOIN subscriptions s ON s.chat_id = ? AND s.watchlist = m.watchlist AND s.mode = 'digest'
                  JOIN chats c ON c.chat_id = s.chat_id
                  WHERE m.rowid > ? AND m.matched_at >= MAX(s.since, COALESCE(c.digest_since, s.since))
                    AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = ? AND d.match_id = m.rowid)
                  ORDER BY m.rowid"""
        return self._pending(sql, [chat_id, cursor, key])

    def chat_watchlists(self, chat_id: int) -> list[str]:
        rows = self.store.execute(
            "SELECT watchlist FROM subscriptions WHERE chat_id = ? AND mode = 'digest' ORDER BY watchlist", (chat_id,))
        return [r["watchlist"] for r in rows]

    # --- outcomes -----------------------------------------------------------------------------------

    def settle(self, key: str, match_ids: Sequence[int], *, now: datetime, complete: bool = True) -> None:
        """The server accepted a digest: its matches are delivered. ``complete=False``: only some pages were."""
        with self.store.transaction() as db:
            if not complete:
                db.executemany("INSERT OR IGNORE INTO digest_delivered (key, match_id) VALUES (?, ?)",
                               [(key, i) for i in match_ids])
                return
            if match_ids:
                db.execute("UPDATE digest_recipients SET cursor = MAX(cursor, ?) WHERE key = ?", (max(match_ids), key))
            db.execute("DELETE FROM digest_delivered WHERE key = ? AND match_id <= "
                       "(SELECT cursor FROM digest_recipients WHERE key = ?)", (key, key))
            db.execute("""UPDATE digest_recipients SET last_sent_at = ?, last_attempt_at = ?, failures = 0,
                              next_attempt_at = NULL WHERE key = ?""", (_iso(now), _iso(now), key))

    def fail(self, key: str, *, error: str, now: datetime, next_attempt_at: datetime | None) -> int:
        """A temporary failure: nothing moves, a retry is due at ``next_attempt_at``. Returns the streak."""
        self.store.execute(
            """UPDATE digest_recipients SET last_attempt_at = ?, last_error = ?, last_error_at = ?,
                   failures = failures + 1, next_attempt_at = ? WHERE key = ?""",
            (_iso(now), error, _iso(now), _iso(next_attempt_at), key))
        row = self.store.execute("SELECT failures FROM digest_recipients WHERE key = ?", (key,)).fetchone()
        return int(row[0]) if row else 0

    def clear_retry(self, key: str) -> None:
        """Nothing is pending any more (or the recipient is gone): no retry is due."""
        self.store.execute("UPDATE digest_recipients SET next_attempt_at = NULL, failures = 0 WHERE key = ?", (key,))

    def rekey(self, old: str, new: str, *, target: str) -> None:
        """A chat moved to a new id (group to supergroup): its digest state moves along."""
        with self.store.transaction() as db:
            db.execute(
                """INSERT OR IGNORE INTO digest_recipients (key, channel, target, watchlists, cursor, since,
                       last_sent_at, last_attempt_at, last_error, last_error_at, failures, next_attempt_at, created_at)
                   SELECT ?, channel, ?, watchlists, cursor, since, last_sent_at, last_attempt_at, last_error,
                          last_error_at, failures, next_attempt_at, created_at FROM digest_recipients WHERE key = ?""",
                (new, target, old))
            db.execute("UPDATE OR IGNORE digest_delivered SET key = ? WHERE key = ?", (new, old))
            db.execute("DELETE FROM digest_delivered WHERE key = ?", (old,))
            db.execute("UPDATE digest_dead SET key = ? WHERE key = ?", (new, old))
            db.execute("DELETE FROM digest_recipients WHERE key = ?", (old,))

    def bury(self, key: str, match_ids: Sequence[int], *, stories: int, error: str, now: datetime) -> None:
        """A permanent rejection: the digest becomes a dead letter and the cursor moves past it."""
        with self.store.transaction() as db:
            db.execute("INSERT INTO digest_dead (key, error, stories, match_ids, at) VALUES (?, ?, ?, ?, ?)",
                       (key, error, stories, json.dumps(list(match_ids)), _iso(now)))
            if match_ids:
                db.execute("UPDATE digest_recipients SET cursor = MAX(cursor, ?) WHERE key = ?", (max(match_ids), key))
            db.execute("""UPDATE digest_recipients SET last_attempt_at = ?, last_error = ?, last_error_at = ?,
                              failures = 0, next_attempt_at = NULL WHERE key = ?""",
                       (_iso(now), error, _iso(now), key))

    def record_run(self, key: str, *, now: datetime, stories: int, outcome: str, error: str | None = None,
                   message_id: str | None = None) -> None:
        self.store.execute(
            "INSERT INTO digest_runs (key, at, stories, outcome, error, message_id) VALUES (?, ?, ?, ?, ?, ?)",
            (key, _iso(now), stories, outcome, error, message_id))

    def dead_letters(self, key: str | None = None) -> list[DeadLetter]:
        sql, params = "SELECT * FROM digest_dead", list[Any]()
        if key is not None:
            sql, params = sql + " WHERE key = ?", [key]
        return [DeadLetter(id=r["id"], key=r["key"], error=r["error"], stories=r["stories"], at=_dt(r["at"]))  # type: ignore[arg-type]
                for r in self.store.execute(sql + " ORDER BY id", params)]

    def unnotified_dead(self) -> list[DeadLetter]:
        rows = self.store.execute("SELECT * FROM digest_dead WHERE notified = 0 ORDER BY id")
        return [DeadLetter(id=r["id"], key=r["key"], error=r["error"], stories=r["stories"], at=_dt(r["at"]))  # type: ignore[arg-type]
                for r in rows]

    def mark_notified(self, ids: Sequence[int]) -> None:
        self.store.db.executemany("UPDATE digest_dead SET notified = 1 WHERE id = ?", [(i,) for i in ids])

    # --- plumbing -----------------------------------------------------------------------------------

    def _pending(self, sql: str, params: Sequence[Any]) -> list[PendingMatch]:
        rows = self.store.execute(sql, params).fetchall()
        feeds = self._feeds(sorted({r["identity"] for r in rows}))
        return [
            PendingMatch(
                match_id=r["match_id"], identity=r["identity"], watchlist=r["watchlist"],
                matched_at=_dt(r["matched_at"]),  # type: ignore[arg-type]
                title=r["title"], link=r["link"], lede=r["lede"], published=_dt(r["published_at"]),
                feeds=feeds.get(r["identity"], ()), terms=_terms(r["hits"]),
            )
            for r in rows
        ]

    def _feeds(self, identities: Sequence[str]) -> dict[str, tuple[str, ...]]:
        out: dict[str, list[str]] = {}
        for start in range(0, len(identities), 500):
            chunk = list(identities[start: start + 500])
            rows = self.store.execute(
                f"""SELECT s.identity, COALESCE(NULLIF(s.feed_name, ''), NULLIF(f.name, ''), NULLIF(f.title, ''),
                           s.feed_url) AS label
                    FROM sightings s LEFT JOIN feeds f ON f.url = s.feed_url
                    WHERE s.identity IN ({','.join('?' * len(chunk))}) ORDER BY s.seen_at, s.feed_url""", chunk)
            for r in rows:
                out.setdefault(r["identity"], []).append(r["label"])
        return {k: tuple(v) for k, v in out.items()}


def _terms(hits: str) -> tuple[str, ...]:
    try:
        parsed = json.loads(hits)
    except (TypeError, ValueError):
        return ()
    return tuple(str(h.get("text", "")) for h in parsed if isinstance(h, dict) and h.get("text"))


def _recipient(r: sqlite3.Row) -> RecipientState:
    return RecipientState(
        key=r["key"], channel=r["channel"], target=r["target"], watchlists=tuple(json.loads(r["watchlists"])),
        cursor=r["cursor"], since=_dt(r["since"]), last_sent_at=_dt(r["last_sent_at"]),
        last_attempt_at=_dt(r["last_attempt_at"]), last_error=r["last_error"], last_error_at=_dt(r["last_error_at"]),
        failures=r["failures"], next_attempt_at=_dt(r["next_attempt_at"]),
    )
