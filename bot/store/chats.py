"""Telegram chats, their settings and subscriptions, on the SQLite store. IO: SQL on the store's file.

A chat follows watchlists through subscriptions, each 'instant' or 'digest'. The chat's own
``mode`` is the default for new subscriptions; ``/mode`` changes it and every subscription.
Who gets an instant alert is decided here (`instant_recipients`): active, unpaused chats with an
instant subscription to a matched watchlist. Quiet hours hold alerts at send time instead.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.store.sqlite import SqliteStore, _dt, _iso

MODES = ("instant", "digest")


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot talks to, with its settings."""

    chat_id: int
    type: str
    title: str
    tz: str = "UTC"
    mode: str = "instant"
    digest_at: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    paused: bool = False
    active: bool = True
    inactive_reason: str | None = None
    digest_since: datetime | None = None
    migrated_to: int | None = None
    created_at: datetime | None = None

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def quiet(self) -> tuple[str, str] | None:
        if self.quiet_start and self.quiet_end:
            return self.quiet_start, self.quiet_end
        return None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    watchlist: str
    mode: str
    since: datetime


class ChatStore:
    """Chats and subscriptions; every method is one short transaction."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    # --- chats -------------------------------------------------------------------------------------

    def chat(self, chat_id: int) -> Chat | None:
        row = self.store.execute("SELECT * FROM chats WHERE chat_id = ?", (chat_id,)).fetchone()
        return _chat(row) if row else None

    def chats(self, *, active_only: bool = False) -> list[Chat]:
        sql = "SELECT * FROM chats" + (" WHERE active = 1" if active_only else "") + " ORDER BY chat_id"
        return [_chat(r) for r in self.store.execute(sql)]

    def ensure(self, chat_id: int, *, type: str, title: str, now: datetime) -> Chat:
        """Record a chat that talked to the bot (again): a blocked chat that writes is active again."""
        self.store.execute(
            """INSERT INTO chats (chat_id, type, title, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
               ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, title = excluded.title,
                   active = 1, inactive_reason = NULL, updated_at = excluded.updated_at""",
            (chat_id, type, title, _iso(now), _iso(now)),
        )
        chat = self.chat(chat_id)
        assert chat is not None
        return chat

    def set_tz(self, chat_id: int, tz: str, *, now: datetime) -> None:
        self._set(chat_id, now, tz=tz)

    def set_quiet(self, chat_id: int, window: tuple[str, str] | None, *, now: datetime) -> None:
        start, end = window or (None, None)
        self._set(chat_id, now, quiet_start=start, quiet_end=end)

    def set_paused(self, chat_id: int, paused: bool, *, now: datetime) -> None:
        self._set(chat_id, now, paused=int(paused))

    def set_digest_at(self, chat_id: int, at: str | None, *, now: datetime) -> None:
        self._set(chat_id, now, digest_at=at)

    def set_mode(self, chat_id: int, mode: str, *, now: datetime) -> int:
        """The chat's default mode and every subscription's; returns how many subscriptions changed."""
        _check_mode(mode)
        with self.store.transaction():
            chat = self.chat(chat_id)
            since = _iso(now) if mode == "digest" and (chat is None or chat.mode != "digest") else None
            self.store.execute(
                "UPDATE chats SET mode = ?, digest_since = CASE WHEN ? = 'digest' THEN COALESCE(?, digest_since) "
                "ELSE NULL END, updated_at = ? WHERE chat_id = ?",
                (mode, mode, since, _iso(now), chat_id))
            cur = self.store.execute(
                "UPDATE subscriptions SET mode = ?, since = ? WHERE chat_id = ? AND mode != ?",
                (mode, _iso(now), chat_id, mode))
            return cur.rowcount

    def deactivate(self, chat_id: int, reason: str, *, now: datetime) -> None:
        """The bot was blocked or removed: the chat is unsubscribed from everything and gets nothing."""
        with self.store.transaction():
            self.store.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
            self._set(chat_id, now, active=0, inactive_reason=reason)

    def migrate(self, old: int, new: int, *, now: datetime) -> None:
        """A group became a supergroup: settings and subscriptions move to the new id."""
        with self.store.transaction():
            chat = self.chat(old)
            if chat is None:
                return
            self.store.execute(
                """INSERT INTO chats (chat_id, type, title, tz, mode, digest_at, quiet_start, quiet_end, paused,
                                      active, digest_since, created_at, updated_at)
                   SELECT ?, 'supergroup', title, tz, mode, digest_at, quiet_start, quiet_end, paused, 1,
                          digest_since, created_at, ? FROM chats WHERE chat_id = ?
                   ON CONFLICT (chat_id) DO NOTHING""",
                (new, _iso(now), old))
            self.store.execute(
                "INSERT OR IGNORE INTO subscriptions (chat_id, watchlist, mode, since) "
                "SELECT ?, watchlist, mode, since FROM subscriptions WHERE chat_id = ?", (new, old))
            self.store.execute("DELETE FROM subscriptions WHERE chat_id = ?", (old,))
            self._set(old, now, active=0, inactive_reason=f"migrated to supergroup {new}", migrated_to=new)

    # --- subscriptions -----------------------------------------------------------------------------

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        rows = self.store.execute(
            "SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY watchlist", (chat_id,))
        return [_subscription(r) for r in rows]

    def subscribe(self, chat_id: int, watchlist: str, mode: str | None = None, *, now: datetime) -> Subscription:
        """Follow a watchlist (in the chat's default mode unless given); re-subscribing changes the mode."""
        with self.store.transaction():
            chat = self.chat(chat_id)
            mode = mode or (chat.mode if chat else "instant")
            _check_mode(mode)
            self.store.execute(
                """INSERT INTO subscriptions (chat_id, watchlist, mode, since) VALUES (?, ?, ?, ?)
                   ON CONFLICT (chat_id, watchlist) DO UPDATE SET mode = excluded.mode,
                       since = CASE WHEN subscriptions.mode = excluded.mode THEN subscriptions.since
                                    ELSE excluded.since END""",
                (chat_id, watchlist, mode, _iso(now)))
            row = self.store.execute("SELECT * FROM subscriptions WHERE chat_id = ? AND watchlist = ?",
                                     (chat_id, watchlist)).fetchone()
            return _subscription(row)

    def unsubscribe(self, chat_id: int, watchlist: str | None = None) -> int:
        """Stop following one watchlist (or all when None); returns how many were removed."""
        if watchlist is None:
            cur = self.store.execute("DELETE FROM subscriptions WHERE chat_id = ?", (chat_id,))
        else:
            cur = self.store.execute("DELETE FROM subscriptions WHERE chat_id = ? AND watchlist = ?",
                                     (chat_id, watchlist))
        return cur.rowcount

    def digest_chats(self) -> list[Chat]:
        """Active chats with at least one digest-mode subscription."""
        rows = self.store.execute(
            """SELECT * FROM chats WHERE active = 1 AND chat_id IN
                   (SELECT chat_id FROM subscriptions WHERE mode = 'digest') ORDER BY chat_id""")
        return [_chat(r) for r in rows]

    def instant_recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """{str(chat_id): the matched watchlists it follows instantly}: active, unpaused chats only."""
        if not watchlists:
            return {}
        marks = ",".join("?" * len(watchlists))
        rows = self.store.execute(
            f"""SELECT s.chat_id, s.watchlist FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id
                WHERE s.mode = 'instant' AND c.active = 1 AND c.paused = 0 AND s.watchlist IN ({marks})
                ORDER BY s.chat_id, s.watchlist""",
            list(watchlists))
        found: dict[str, list[str]] = {}
        for r in rows:
            found.setdefault(str(r["chat_id"]), []).append(r["watchlist"])
        return {k: tuple(v) for k, v in found.items()}

    def counts(self) -> dict[str, int]:
        """Chats and subscriptions at a glance, for /stats."""
        row = self.store.execute(
            """SELECT (SELECT count(*) FROM chats WHERE active = 1) AS active,
                      (SELECT count(*) FROM chats WHERE active = 0) AS inactive,
                      (SELECT count(*) FROM chats WHERE paused = 1 AND active = 1) AS paused,
                      (SELECT count(*) FROM subscriptions) AS subscriptions""").fetchone()
        return {k: int(row[k]) for k in row.keys()}  # noqa: SIM118 (sqlite3.Row has no items())

    # --- admin notices -----------------------------------------------------------------------------

    def noticed(self, key: str) -> bool:
        return self.store.execute("SELECT 1 FROM admin_notices WHERE key = ?", (key,)).fetchone() is not None

    def record_notice(self, key: str, text: str, *, now: datetime) -> None:
        self.store.execute("INSERT OR IGNORE INTO admin_notices (key, sent_at, text) VALUES (?, ?, ?)",
                           (key, _iso(now), text))

    def _set(self, chat_id: int, now: datetime, **values: object) -> None:
        names = ", ".join(f"{k} = ?" for k in values)
        self.store.execute(f"UPDATE chats SET {names}, updated_at = ? WHERE chat_id = ?",
                           [*values.values(), _iso(now), chat_id])


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")


def _chat(r: sqlite3.Row) -> Chat:
    return Chat(
        chat_id=r["chat_id"], type=r["type"], title=r["title"], tz=r["tz"], mode=r["mode"], digest_at=r["digest_at"],
        quiet_start=r["quiet_start"], quiet_end=r["quiet_end"], paused=bool(r["paused"]), active=bool(r["active"]),
        inactive_reason=r["inactive_reason"], digest_since=_dt(r["digest_since"]), migrated_to=r["migrated_to"],
        created_at=_dt(r["created_at"]),
    )


def _subscription(r: sqlite3.Row) -> Subscription:
    since = _dt(r["since"])
    assert since is not None
    return Subscription(chat_id=r["chat_id"], watchlist=r["watchlist"], mode=r["mode"], since=since)
