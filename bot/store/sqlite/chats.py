"""Telegram chats, their settings and subscriptions, on SQLite. IO: SQL.

A chat follows watchlists through subscriptions, each 'instant' or 'digest'. The chat's own
``mode`` is the default for new subscriptions; ``/mode`` changes it and every subscription.
Who gets an instant alert is decided here (`instant_recipients`): active, unpaused chats with an
instant subscription to a matched watchlist. Quiet hours hold alerts at send time instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime

from bot.store.protocols import MODES, Chat, Subscription
from bot.store.routing import instant_alerted
from bot.store.sqlite._db import dt, iso, marks
from bot.watch.personal import PERSONAL


class SqliteChats:
    """Chats and subscriptions; every method is one short transaction."""

    def __init__(self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[object]]) -> None:
        self.db = db
        self.transaction = transaction

    # --- chats -------------------------------------------------------------------------------------

    def get(self, chat_id: int) -> Chat | None:
        row = self.db.execute("SELECT * FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
        return _chat(row) if row else None

    def all(self, *, active_only: bool = False) -> list[Chat]:
        sql = "SELECT * FROM chats" + (" WHERE active = 1" if active_only else "") + " ORDER BY chat_id"
        return [_chat(r) for r in self.db.execute(sql)]

    def ensure(self, chat_id: int, *, type: str, title: str, now: datetime) -> Chat:
        """Record a chat that talked to the bot (again): a blocked chat that writes is active again."""
        self.db.execute(
            """INSERT INTO chats (chat_id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, title = excluded.title,
                   active = 1, inactive_reason = NULL, updated_at = excluded.updated_at""",
            (chat_id, type, title, iso(now), iso(now)),
        )
        chat = self.get(chat_id)
        assert chat is not None
        return chat

    def update(self, chat_id: int, *, now: datetime, **values: object) -> None:
        """Set some of a chat's settings (tz, quiet_start, quiet_end, paused, digest_at, language ...)."""
        unknown = set(values) - _SETTABLE
        if unknown:
            raise ValueError(f"not a chat setting: {', '.join(sorted(unknown))}")
        self._set(chat_id, now, **values)

    def set_mode(self, chat_id: int, mode: str, *, now: datetime) -> int:
        """The chat's default mode and every subscription's; returns how many subscriptions changed."""
        _check_mode(mode)
        with self.transaction():
            chat = self.get(chat_id)
            since = iso(now) if mode == "digest" and (chat is None or chat.mode != "digest") else None
            self.db.execute(
                "UPDATE chats SET mode = ?, digest_since = CASE WHEN ? = 'digest' THEN COALESCE(?, digest_since) "
                "ELSE NULL END, updated_at = ? WHERE chat_id = ?",
                (mode, mode, since, iso(now), chat_id))
            cur = self.db.execute(
                "UPDATE subscriptions SET mode = ?, since = ? WHERE chat_id = ? AND mode != ?",
                (mode, iso(now), chat_id, mode))
            return cur.rowcount

    def deactivate(self, chat_id: int, reason: str, *, now: datetime) -> None:
        """The bot was blocked or removed: the chat is unsubscribed from everything and gets nothing."""
        with self.transaction():
            self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            self._set(chat_id, now, active=0, inactive_reason=reason)

    def migrate(self, old: int, new: int, *, now: datetime) -> None:
        """A group became a supergroup: settings and subscriptions move to the new id."""
        with self.transaction():
            chat = self.get(old)
            if chat is None:
                return
            self.db.execute(
                """INSERT INTO chats (chat_id, type, title, tz, mode, digest_at, quiet_start, quiet_end, paused,
                                      active, digest_since, created_at, updated_at, language,
                                      heard_language)
                   SELECT ?, 'supergroup', title, tz, mode, digest_at, quiet_start, quiet_end, paused, 1,
                          digest_since, created_at, ?, language, heard_language FROM chats WHERE chat_id = ?
                   ON CONFLICT (chat_id) DO NOTHING""",
                (new, iso(now), old))
            self.db.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_id, watchlist, mode, since) "
                "SELECT ?, watchlist, mode, since FROM subscriptions WHERE chat_id = ?", (new, old))
            self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (old,))
            self._set(old, now, active=0, inactive_reason=f"migrated to supergroup {new}", migrated_to=new)

    # --- subscriptions -----------------------------------------------------------------------------

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        rows = self.db.execute(
            "SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY watchlist", (chat_id,))
        return [_subscription(r) for r in rows]

    def subscribe(self, chat_id: int, watchlist: str, mode: str | None = None, *, now: datetime) -> Subscription:
        """Follow a watchlist (in the chat's default mode unless given); re-subscribing changes the mode."""
        with self.transaction():
            chat = self.get(chat_id)
            mode = mode or (chat.mode if chat else "instant")
            _check_mode(mode)
            self.db.execute(
                """INSERT INTO subscriptions (chat_id, watchlist, mode, since) VALUES (?, ?, ?, ?)
                   ON CONFLICT (chat_id, watchlist) DO UPDATE SET mode = excluded.mode,
                       since = CASE WHEN subscriptions.mode = excluded.mode THEN subscriptions.since
                                    ELSE excluded.since END""",
                (chat_id, watchlist, mode, iso(now)))
            row = self.db.execute("SELECT * FROM subscriptions WHERE chat_id = ? AND watchlist = ?",
                                     (chat_id, watchlist)).fetchone()
            return _subscription(row)

    def unsubscribe(self, chat_id: int, watchlist: str | None = None) -> int:
        """Stop following one watchlist (or all when None); returns how many were removed."""
        if watchlist is None:
            cur = self.db.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
        else:
            cur = self.db.execute("DELETE FROM subscriptions WHERE chat_id = ? AND watchlist = ?",
                                     (chat_id, watchlist))
        return cur.rowcount

    def followers(self, watchlist: str) -> int:
        """How many chats follow the watchlist (in either mode)."""
        row = self.db.execute("SELECT count(*) FROM subscriptions WHERE watchlist = ?", (watchlist,)).fetchone()
        return int(row[0])

    def followed(self) -> dict[str, int]:
        """Every watchlist id active chats follow, with how many (a followed id no rule file has is told of)."""
        rows = self.db.execute("""SELECT s.watchlist, count(*) AS n FROM subscriptions s JOIN chats c
                                  ON c.chat_id = s.chat_id WHERE c.active = 1 GROUP BY s.watchlist""")
        return {r["watchlist"]: int(r["n"]) for r in rows}

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: its followers follow it under ``new`` (a chat that already followed ``new`` keeps
        that subscription and drops the old one); how many chats follow it now under ``new`` that did under ``old``."""
        with self.transaction():
            moved = self.db.execute(
                """UPDATE subscriptions SET watchlist = ? WHERE watchlist = ? AND chat_id NOT IN
                       (SELECT chat_id FROM subscriptions WHERE watchlist = ?)""", (new, old, new)).rowcount
            kept = self.db.execute("DELETE FROM subscriptions WHERE watchlist = ?", (old,)).rowcount
            return moved + kept

    def digest_chats(self) -> list[Chat]:
        """Active chats with at least one digest-mode subscription, or alerts held over their hourly cap."""
        rows = self.db.execute(
            """SELECT * FROM chats WHERE active = 1 AND (chat_id IN
                   (SELECT chat_id FROM subscriptions WHERE mode = 'digest')
                   OR chat_id IN (SELECT h.chat_id FROM held_alerts h
                                  LEFT JOIN digest_recipients r ON r.key = 'chat:' || h.chat_id
                                  WHERE h.held_at >= COALESCE(r.since, ''))) ORDER BY chat_id""")
        return [_chat(r) for r in rows]

    def instant_recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """{str(chat_id): every matched watchlist it follows} for the chats that follow one of them instantly (its
        alert names them all, and the digest then leaves the story out): active, unpaused chats only."""
        if not watchlists:
            return {}
        rows = self.db.execute(
            f"""SELECT s.chat_id, s.watchlist, s.mode FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id
                WHERE c.active = 1 AND c.paused = 0 AND s.watchlist IN ({marks(watchlists)})
                ORDER BY s.chat_id, s.watchlist""",
            list(watchlists))
        return instant_alerted((str(r["chat_id"]), r["watchlist"], r["mode"]) for r in rows)

    def counts(self) -> dict[str, int]:
        """Chats and subscriptions at a glance, for /stats: ``subscriptions`` to shared watchlists, and
        ``own_lists``, the chats' own phrase lists they follow (``chat:<id>``: PERSONAL)."""
        row = self.db.execute(
            """SELECT (SELECT count(*) FROM chats WHERE active = 1) AS active,
                      (SELECT count(*) FROM chats WHERE active = 0) AS inactive,
                      (SELECT count(*) FROM chats WHERE paused = 1 AND active = 1) AS paused,
                      (SELECT count(*) FROM subscriptions WHERE watchlist NOT LIKE ?) AS subscriptions,
                      (SELECT count(*) FROM subscriptions WHERE watchlist LIKE ?) AS own_lists""",
            (PERSONAL + "%", PERSONAL + "%")).fetchone()
        return {k: int(row[k]) for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())

    def digest_watchlists(self, chat_id: int) -> list[str]:
        rows = self.db.execute(
            "SELECT watchlist FROM subscriptions WHERE chat_id = ? AND mode = 'digest' ORDER BY watchlist", (chat_id,))
        return [r["watchlist"] for r in rows]

    def _set(self, chat_id: int, now: datetime, **values: object) -> None:
        names = ", ".join(f"{k} = ?" for k in values)
        self.db.execute(f"UPDATE chats SET {names}, updated_at = ? WHERE chat_id = ?",
                           [*values.values(), iso(now), chat_id])


_SETTABLE = frozenset({"tz", "quiet_start", "quiet_end", "paused", "digest_at", "language", "heard_language"})


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")


def _chat(r: sqlite3.Row) -> Chat:
    return Chat(
        chat_id=r["chat_id"], type=r["type"], title=r["title"], tz=r["tz"], mode=r["mode"], digest_at=r["digest_at"],
        quiet_start=r["quiet_start"], quiet_end=r["quiet_end"], paused=bool(r["paused"]), active=bool(r["active"]),
        inactive_reason=r["inactive_reason"], digest_since=dt(r["digest_since"]), migrated_to=r["migrated_to"],
        created_at=dt(r["created_at"]), language=r["language"], heard_language=r["heard_language"],
    )


def _subscription(r: sqlite3.Row) -> Subscription:
    since = dt(r["since"])
    assert since is not None
    return Subscription(chat_id=r["chat_id"], watchlist=r["watchlist"], mode=r["mode"], since=since)
