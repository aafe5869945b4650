"""A chat's own phrases and mutes, and alerts held over its hourly cap, on SQLite. IO: SQL.

Tables of migration 0005. Keys are folded by the caller (bot.app.phrases): the store compares
them as they are. Held alerts are read by the chat's digest (digests.py, ``pending_chat``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from itertools import groupby
from operator import itemgetter

from bot.store.protocols import Mute
from bot.store.sqlite._db import iso

_CHAT, _PHRASE = itemgetter(0), itemgetter(1)

KINDS = ("phrase", "source")


class SqlitePhrases:
    """Phrases, mutes, held alerts and cap spells; every method is one short transaction."""

    def __init__(self, db: sqlite3.Connection, transaction: Callable[[], AbstractContextManager[object]]) -> None:
        self.db = db
        self.transaction = transaction

    # --- phrases -----------------------------------------------------------------------------------

    def phrases(self, chat_id: int) -> list[str]:
        rows = self.db.execute("SELECT phrase FROM chat_phrases WHERE chat_id = ? ORDER BY added_at, rowid", (chat_id,))
        return [r["phrase"] for r in rows]

    def all_phrases(self) -> dict[int, tuple[str, ...]]:
        rows = self.db.execute(
            """SELECT p.chat_id, p.phrase FROM chat_phrases p JOIN chats c ON c.chat_id = p.chat_id
               WHERE c.active = 1 ORDER BY p.chat_id, p.added_at, p.rowid""")
        # (rows come by chat: grouped in C loops, 100,000 phrases in about a tenth of the Python loop's time)
        return {chat_id: tuple(map(_PHRASE, group)) for chat_id, group in groupby(rows, _CHAT)}

    def add(self, chat_id: int, phrase: str, key: str, *, now: datetime) -> bool:
        """Add a phrase; False when the chat already has one of the same folded form."""
        cur = self.db.execute(
            "INSERT INTO chat_phrases (chat_id, phrase, key, added_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (chat_id, phrase, key, iso(now)))
        return bool(cur.rowcount)

    def remove(self, chat_id: int, key: str | None = None) -> int:
        if key is None:
            return self.db.execute("DELETE FROM chat_phrases WHERE chat_id = ?", (chat_id,)).rowcount
        return self.db.execute("DELETE FROM chat_phrases WHERE chat_id = ? AND key = ?", (chat_id, key)).rowcount

    # --- mutes -------------------------------------------------------------------------------------

    def mutes(self, chat_id: int) -> list[Mute]:
        rows = self.db.execute("SELECT * FROM chat_mutes WHERE chat_id = ? ORDER BY kind, added_at, rowid", (chat_id,))
        return [_mute(r) for r in rows]

    def all_mutes(self) -> dict[int, tuple[Mute, ...]]:
        rows = self.db.execute(
            """SELECT m.* FROM chat_mutes m JOIN chats c ON c.chat_id = m.chat_id WHERE c.active = 1
               ORDER BY m.chat_id, m.kind, m.added_at, m.rowid""")
        found: dict[int, list[Mute]] = {}
        for r in rows:
            found.setdefault(r["chat_id"], []).append(_mute(r))
        return {k: tuple(v) for k, v in found.items()}

    def mute(self, chat_id: int, kind: str, value: str, key: str, *, now: datetime) -> bool:
        if kind not in KINDS:
            raise ValueError(f"unknown mute kind {kind!r}: use one of {', '.join(KINDS)}")
        cur = self.db.execute(
            "INSERT INTO chat_mutes (chat_id, kind, value, key, added_at) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT DO NOTHING", (chat_id, kind, value, key, iso(now)))
        return bool(cur.rowcount)

    def unmute(self, chat_id: int, kind: str | None = None, key: str | None = None) -> int:
        if kind is None:
            return self.db.execute("DELETE FROM chat_mutes WHERE chat_id = ?", (chat_id,)).rowcount
        if key is None:
            return self.db.execute("DELETE FROM chat_mutes WHERE chat_id = ? AND kind = ?", (chat_id, kind)).rowcount
        return self.db.execute("DELETE FROM chat_mutes WHERE chat_id = ? AND kind = ? AND key = ?",
                               (chat_id, kind, key)).rowcount

    # --- the hourly cap ----------------------------------------------------------------------------

    def hold(self, chat_id: int, identity: str, watchlists: Sequence[str], *, now: datetime) -> None:
        """Keep an alert for the chat's next digest instead of sending it."""
        self.db.executemany(
            "INSERT OR IGNORE INTO held_alerts (chat_id, identity, watchlist, held_at) VALUES (?, ?, ?, ?)",
            [(chat_id, identity, w, iso(now)) for w in watchlists])

    def held_count(self, chat_id: int, *, since: datetime) -> int:
        """Items held for the chat at or after ``since``."""
        row = self.db.execute("SELECT count(DISTINCT identity) FROM held_alerts WHERE chat_id = ? AND held_at >= ?",
                              (chat_id, iso(since))).fetchone()
        return int(row[0])

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: alerts held over a cap for it are ``new``'s (its matches moved, and the digest
        joins them); how many."""
        with self.transaction():
            moved = self.db.execute("UPDATE OR IGNORE held_alerts SET watchlist = ? WHERE watchlist = ?",
                                    (new, old)).rowcount
            self.db.execute("DELETE FROM held_alerts WHERE watchlist = ?", (old,))  # (held for both already)
        return moved

    def over_cap(self, chat_id: int, *, now: datetime) -> bool:
        """The chat is over its cap; True when that starts a spell (it was under it before)."""
        cur = self.db.execute("INSERT INTO chat_caps (chat_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING",
                              (chat_id, iso(now)))
        return bool(cur.rowcount)

    def under_cap(self, chat_id: int) -> None:
        self.db.execute("DELETE FROM chat_caps WHERE chat_id = ?", (chat_id,))

    def untold(self) -> list[int]:
        return [r[0] for r in self.db.execute("SELECT chat_id FROM chat_caps WHERE told_at IS NULL ORDER BY chat_id")]

    def told(self, chat_id: int, *, now: datetime) -> None:
        self.db.execute("UPDATE chat_caps SET told_at = ? WHERE chat_id = ?", (iso(now), chat_id))

    def rekey(self, old: int, new: int) -> None:
        """A group became a supergroup: its phrases, mutes, held alerts and own watchlist move along
        (call after ``chats.migrate``, which moved its subscriptions)."""
        with self.transaction():
            for table in ("chat_phrases", "chat_mutes", "held_alerts"):
                self.db.execute(f"UPDATE OR IGNORE {table} SET chat_id = ? WHERE chat_id = ?", (new, old))
                self.db.execute(f"DELETE FROM {table} WHERE chat_id = ?", (old,))
            self.db.execute("DELETE FROM chat_caps WHERE chat_id = ?", (old,))
            # its own watchlist is named after it (bot.watch.personal): the subscription follows the new id
            self.db.execute("UPDATE OR IGNORE subscriptions SET watchlist = ? WHERE chat_id = ? AND watchlist = ?",
                            (f"chat:{new}", new, f"chat:{old}"))
            self.db.execute("DELETE FROM subscriptions WHERE chat_id = ? AND watchlist = ?", (new, f"chat:{old}"))


def _mute(r: sqlite3.Row) -> Mute:
    return Mute(chat_id=r["chat_id"], kind=r["kind"], value=r["value"], key=r["key"])
