"""Telegram chats, their settings and subscriptions, on PostgreSQL. IO: SQL.

The same rules as ``bot/store/sqlite/chats.py``: subscriptions are 'instant' or 'digest'; the
chat's ``mode`` is the default for new ones and ``/mode`` changes them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store.postgres._db import Db, Row, at, ts, utc
from bot.store.protocols import MODES, Chat, Subscription
from bot.store.routing import instant_alerted
from bot.watch.personal import PERSONAL


class PostgresChats:
    """Chats and subscriptions; every method is one short transaction."""

    def __init__(self, db: Db) -> None:
        self.db = db

    # --- chats -------------------------------------------------------------------------------------

    def get(self, chat_id: int) -> Chat | None:
        row = self.db.one("SELECT * FROM chats WHERE chat_id = %s", (chat_id,))
        return _chat(row) if row else None

    def all(self, *, active_only: bool = False) -> list[Chat]:
        sql = "SELECT * FROM chats" + (" WHERE active" if active_only else "") + " ORDER BY chat_id"
        return [_chat(r) for r in self.db.all(sql)]

    def ensure(self, chat_id: int, *, type: str, title: str, now: datetime) -> Chat:
        """Record a chat that talked to the bot (again): a blocked chat that writes is active again."""
        row = self.db.one(
            """INSERT INTO chats (chat_id, type, title, created_at, updated_at) VALUES (%s, %s, %s, %s, %s)
               ON CONFLICT (chat_id) DO UPDATE SET type = excluded.type, title = excluded.title,
                   active = true, inactive_reason = NULL, updated_at = excluded.updated_at
               RETURNING *""",
            (chat_id, type, title, ts(now), ts(now)),
        )
        assert row is not None
        return _chat(row)

    def update(self, chat_id: int, *, now: datetime, **values: object) -> None:
        """Set some of a chat's settings (tz, quiet_start, quiet_end, paused, digest_at)."""
        unknown = set(values) - _SETTABLE
        if unknown:
            raise ValueError(f"not a chat setting: {', '.join(sorted(unknown))}")
        self._set(chat_id, now, **values)

    def set_mode(self, chat_id: int, mode: str, *, now: datetime) -> int:
        """The chat's default mode and every subscription's; returns how many subscriptions changed."""
        _check_mode(mode)
        with self.db.transaction():
            chat = self.db.one("SELECT mode FROM chats WHERE chat_id = %s FOR UPDATE", (chat_id,))
            since = ts(now) if mode == "digest" and (chat is None or chat["mode"] != "digest") else None
            self.db.run(
                "UPDATE chats SET mode = %s, digest_since = CASE WHEN %s = 'digest' "
                "THEN COALESCE(%s::timestamptz, digest_since) ELSE NULL END, updated_at = %s WHERE chat_id = %s",
                (mode, mode, since, ts(now), chat_id))
            return self.db.run("UPDATE subscriptions SET mode = %s, since = %s WHERE chat_id = %s AND mode <> %s",
                               (mode, ts(now), chat_id, mode))

    def deactivate(self, chat_id: int, reason: str, *, now: datetime) -> None:
        """The bot was blocked or removed: the chat is unsubscribed from everything and gets nothing."""
        with self.db.transaction():
            self.db.run("DELETE FROM subscriptions WHERE chat_id = %s", (chat_id,))
            self._set(chat_id, now, active=False, inactive_reason=reason)

    def migrate(self, old: int, new: int, *, now: datetime) -> None:
        """A group became a supergroup: settings and subscriptions move to the new id."""
        with self.db.transaction():
            if self.get(old) is None:
                return
            self.db.run(
                """INSERT INTO chats (chat_id, type, title, tz, mode, digest_at, quiet_start, quiet_end, paused,
                                      active, digest_since, created_at, updated_at, language,
                                      heard_language)
                   SELECT %s, 'supergroup', title, tz, mode, digest_at, quiet_start, quiet_end, paused, true,
                          digest_since, created_at, %s, language, heard_language FROM chats WHERE chat_id = %s
                   ON CONFLICT (chat_id) DO NOTHING""",
                (new, ts(now), old))
            self.db.run(
                "INSERT INTO subscriptions (chat_id, watchlist, mode, since) "
                "SELECT %s, watchlist, mode, since FROM subscriptions WHERE chat_id = %s ON CONFLICT DO NOTHING",
                (new, old))
            self.db.run("DELETE FROM subscriptions WHERE chat_id = %s", (old,))
            self._set(old, now, active=False, inactive_reason=f"migrated to supergroup {new}", migrated_to=new)

    # --- subscriptions -----------------------------------------------------------------------------

    def subscriptions(self, chat_id: int) -> list[Subscription]:
        rows = self.db.all("SELECT * FROM subscriptions WHERE chat_id = %s ORDER BY watchlist", (chat_id,))
        return [_subscription(r) for r in rows]

    def subscribe(self, chat_id: int, watchlist: str, mode: str | None = None, *, now: datetime) -> Subscription:
        """Follow a watchlist (in the chat's default mode unless given); re-subscribing changes the mode."""
        with self.db.transaction():
            chat = self.get(chat_id)
            mode = mode or (chat.mode if chat else "instant")
            _check_mode(mode)
            row = self.db.one(
                """INSERT INTO subscriptions (chat_id, watchlist, mode, since) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (chat_id, watchlist) DO UPDATE SET mode = excluded.mode,
                       since = CASE WHEN subscriptions.mode = excluded.mode THEN subscriptions.since
                                    ELSE excluded.since END
                   RETURNING *""",
                (chat_id, watchlist, mode, ts(now)))
            assert row is not None
            return _subscription(row)

    def unsubscribe(self, chat_id: int, watchlist: str | None = None) -> int:
        """Stop following one watchlist (or all when None); returns how many were removed."""
        if watchlist is None:
            return self.db.run("DELETE FROM subscriptions WHERE chat_id = %s", (chat_id,))
        return self.db.run("DELETE FROM subscriptions WHERE chat_id = %s AND watchlist = %s", (chat_id, watchlist))

    def followers(self, watchlist: str) -> int:
        """How many chats follow the watchlist (in either mode)."""
        row = self.db.one("SELECT count(*) AS n FROM subscriptions WHERE watchlist = %s", (watchlist,))
        return int(row["n"]) if row else 0

    def followed(self) -> dict[str, int]:
        """Every watchlist id active chats follow, with how many (a followed id no rule file has is told of)."""
        rows = self.db.all("""SELECT s.watchlist, count(*) AS n FROM subscriptions s JOIN chats c
                              ON c.chat_id = s.chat_id WHERE c.active GROUP BY s.watchlist""")
        return {r["watchlist"]: int(r["n"]) for r in rows}

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: its followers follow it under ``new`` (a chat that already followed ``new`` keeps
        that subscription and drops the old one); how many chats follow it now under ``new`` that did under ``old``."""
        with self.db.transaction():
            moved = self.db.run(
                """UPDATE subscriptions SET watchlist = %s WHERE watchlist = %s AND chat_id NOT IN
                       (SELECT chat_id FROM subscriptions WHERE watchlist = %s)""", (new, old, new))
            kept = self.db.run("DELETE FROM subscriptions WHERE watchlist = %s", (old,))
            return moved + kept

    def digest_chats(self) -> list[Chat]:
        """Active chats with at least one digest-mode subscription, or alerts held over their hourly cap."""
        rows = self.db.all(
            """SELECT * FROM chats WHERE active AND (chat_id IN
                   (SELECT chat_id FROM subscriptions WHERE mode = 'digest')
                   OR chat_id IN (SELECT h.chat_id FROM held_alerts h
                                  LEFT JOIN digest_recipients r ON r.key = 'chat:' || h.chat_id
                                  WHERE r.since IS NULL OR h.held_at >= r.since)) ORDER BY chat_id""")
        return [_chat(r) for r in rows]

    def instant_recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """{str(chat_id): every matched watchlist it follows} for the chats that follow one of them instantly (its
        alert names them all, and the digest then leaves the story out): active, unpaused chats only."""
        if not watchlists:
            return {}
        rows = self.db.all(
            """SELECT s.chat_id, s.watchlist, s.mode FROM subscriptions s JOIN chats c ON c.chat_id = s.chat_id
               WHERE c.active AND NOT c.paused AND s.watchlist = ANY(%s)
               ORDER BY s.chat_id, s.watchlist""",
            [list(watchlists)])
        return instant_alerted((str(r["chat_id"]), r["watchlist"], r["mode"]) for r in rows)

    def counts(self) -> dict[str, int]:
        """Chats and subscriptions at a glance, for /stats: ``subscriptions`` to shared watchlists, and
        ``own_lists``, the chats' own phrase lists they follow (``chat:<id>``: PERSONAL)."""
        row = self.db.one(
            """SELECT (SELECT count(*) FROM chats WHERE active) AS active,
                      (SELECT count(*) FROM chats WHERE NOT active) AS inactive,
                      (SELECT count(*) FROM chats WHERE paused AND active) AS paused,
                      (SELECT count(*) FROM subscriptions WHERE watchlist NOT LIKE %s) AS subscriptions,
                      (SELECT count(*) FROM subscriptions WHERE watchlist LIKE %s) AS own_lists""",
            (PERSONAL + "%", PERSONAL + "%"))
        assert row is not None
        return {k: int(v) for k, v in row.items()}

    def digest_watchlists(self, chat_id: int) -> list[str]:
        rows = self.db.all("SELECT watchlist FROM subscriptions WHERE chat_id = %s AND mode = 'digest' "
                           "ORDER BY watchlist", (chat_id,))
        return [r["watchlist"] for r in rows]

    def _set(self, chat_id: int, now: datetime, **values: object) -> None:
        values = {k: bool(v) if k in _BOOLEAN else v for k, v in values.items()}
        names = ", ".join(f"{k} = %s" for k in values)
        self.db.run(f"UPDATE chats SET {names}, updated_at = %s WHERE chat_id = %s",
                    [*values.values(), ts(now), chat_id])


_SETTABLE = frozenset({"tz", "quiet_start", "quiet_end", "paused", "digest_at", "language", "heard_language"})
_BOOLEAN = frozenset({"paused", "active"})  # SQLite's 0/1 callers pass either


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")


def _chat(r: Row) -> Chat:
    return Chat(
        chat_id=r["chat_id"], type=r["type"], title=r["title"], tz=r["tz"], mode=r["mode"], digest_at=r["digest_at"],
        quiet_start=r["quiet_start"], quiet_end=r["quiet_end"], paused=bool(r["paused"]), active=bool(r["active"]),
        inactive_reason=r["inactive_reason"], digest_since=utc(r["digest_since"]), migrated_to=r["migrated_to"],
        created_at=utc(r["created_at"]), language=r.get("language"), heard_language=r.get("heard_language"),
    )


def _subscription(r: Row) -> Subscription:
    return Subscription(chat_id=r["chat_id"], watchlist=r["watchlist"], mode=r["mode"], since=at(r["since"]))
