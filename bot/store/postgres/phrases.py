"""A chat's own phrases and mutes, and alerts held over its hourly cap, on PostgreSQL. IO: SQL.

The same contract as the SQLite module (bot/store/sqlite/phrases.py): keys are folded by the caller;
held alerts are read by the chat's digest (digests.py, ``pending_chat``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.store.postgres._db import Db, Row, ts
from bot.store.protocols import Mute

KINDS = ("phrase", "source")


class PostgresPhrases:
    def __init__(self, db: Db) -> None:
        self.db = db

    def phrases(self, chat_id: int) -> list[str]:
        rows = self.db.all("SELECT phrase FROM chat_phrases WHERE chat_id = %s ORDER BY added_at, seq", (chat_id,))
        return [r["phrase"] for r in rows]

    def all_phrases(self) -> dict[int, tuple[str, ...]]:
        rows = self.db.all(
            """SELECT p.chat_id, p.phrase FROM chat_phrases p JOIN chats c ON c.chat_id = p.chat_id
               WHERE c.active ORDER BY p.chat_id, p.added_at, p.seq""")
        found: dict[int, list[str]] = {}
        for r in rows:
            found.setdefault(r["chat_id"], []).append(r["phrase"])
        return {k: tuple(v) for k, v in found.items()}

    def add(self, chat_id: int, phrase: str, key: str, *, now: datetime) -> bool:
        return bool(self.db.run("INSERT INTO chat_phrases (chat_id, phrase, key, added_at) VALUES (%s, %s, %s, %s) "
                                "ON CONFLICT DO NOTHING", (chat_id, phrase, key, ts(now))))

    def remove(self, chat_id: int, key: str | None = None) -> int:
        if key is None:
            return self.db.run("DELETE FROM chat_phrases WHERE chat_id = %s", (chat_id,))
        return self.db.run("DELETE FROM chat_phrases WHERE chat_id = %s AND key = %s", (chat_id, key))

    def mutes(self, chat_id: int) -> list[Mute]:
        rows = self.db.all("SELECT * FROM chat_mutes WHERE chat_id = %s ORDER BY kind, added_at, seq", (chat_id,))
        return [_mute(r) for r in rows]

    def all_mutes(self) -> dict[int, tuple[Mute, ...]]:
        rows = self.db.all("""SELECT m.* FROM chat_mutes m JOIN chats c ON c.chat_id = m.chat_id WHERE c.active
                              ORDER BY m.chat_id, m.kind, m.added_at, m.seq""")
        found: dict[int, list[Mute]] = {}
        for r in rows:
            found.setdefault(r["chat_id"], []).append(_mute(r))
        return {k: tuple(v) for k, v in found.items()}

    def mute(self, chat_id: int, kind: str, value: str, key: str, *, now: datetime) -> bool:
        if kind not in KINDS:
            raise ValueError(f"unknown mute kind {kind!r}: use one of {', '.join(KINDS)}")
        return bool(self.db.run("INSERT INTO chat_mutes (chat_id, kind, value, key, added_at) "
                                "VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                                (chat_id, kind, value, key, ts(now))))

    def unmute(self, chat_id: int, kind: str | None = None, key: str | None = None) -> int:
        if kind is None:
            return self.db.run("DELETE FROM chat_mutes WHERE chat_id = %s", (chat_id,))
        if key is None:
            return self.db.run("DELETE FROM chat_mutes WHERE chat_id = %s AND kind = %s", (chat_id, kind))
        return self.db.run("DELETE FROM chat_mutes WHERE chat_id = %s AND kind = %s AND key = %s",
                           (chat_id, kind, key))

    def hold(self, chat_id: int, identity: str, watchlists: Sequence[str], *, now: datetime) -> None:
        self.db.many("INSERT INTO held_alerts (chat_id, identity, watchlist, held_at) VALUES (%s, %s, %s, %s) "
                     "ON CONFLICT DO NOTHING", [(chat_id, identity, w, ts(now)) for w in watchlists])

    def held_count(self, chat_id: int, *, since: datetime) -> int:
        row = self.db.one("SELECT count(DISTINCT identity) AS n FROM held_alerts WHERE chat_id = %s AND held_at >= %s",
                          (chat_id, ts(since)))
        return int(row["n"]) if row else 0

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: alerts held over a cap for it are ``new``'s (its matches moved, and the digest
        joins them); how many."""
        with self.db.transaction():
            moved = self.db.run(
                """UPDATE held_alerts h SET watchlist = %s WHERE watchlist = %s AND NOT EXISTS
                       (SELECT 1 FROM held_alerts x WHERE x.chat_id = h.chat_id AND x.identity = h.identity
                                                        AND x.watchlist = %s)""", (new, old, new))
            self.db.run("DELETE FROM held_alerts WHERE watchlist = %s", (old,))  # (held for both already)
        return moved

    def over_cap(self, chat_id: int, *, now: datetime) -> bool:
        return bool(self.db.run("INSERT INTO chat_caps (chat_id, since) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                                (chat_id, ts(now))))

    def under_cap(self, chat_id: int) -> None:
        self.db.run("DELETE FROM chat_caps WHERE chat_id = %s", (chat_id,))

    def untold(self) -> list[int]:
        rows = self.db.all("SELECT chat_id FROM chat_caps WHERE told_at IS NULL ORDER BY chat_id")
        return [r["chat_id"] for r in rows]

    def told(self, chat_id: int, *, now: datetime) -> None:
        self.db.run("UPDATE chat_caps SET told_at = %s WHERE chat_id = %s", (ts(now), chat_id))

    def rekey(self, old: int, new: int) -> None:
        """A group became a supergroup: its phrases, mutes, held alerts and own watchlist move along."""
        with self.db.transaction():
            for table, key in (("chat_phrases", "key"), ("chat_mutes", "kind, key"),
                               ("held_alerts", "identity, watchlist")):
                self.db.run(f"DELETE FROM {table} t WHERE chat_id = %s AND ({key}) IN "
                            f"(SELECT {key} FROM {table} WHERE chat_id = %s)", (old, new))
                self.db.run(f"UPDATE {table} SET chat_id = %s WHERE chat_id = %s", (new, old))
            self.db.run("DELETE FROM chat_caps WHERE chat_id = %s", (old,))
            self.db.run("""DELETE FROM subscriptions WHERE chat_id = %s AND watchlist = %s AND EXISTS
                               (SELECT 1 FROM subscriptions WHERE chat_id = %s AND watchlist = %s)""",
                        (new, f"chat:{old}", new, f"chat:{new}"))
            self.db.run("UPDATE subscriptions SET watchlist = %s WHERE chat_id = %s AND watchlist = %s",
                        (f"chat:{new}", new, f"chat:{old}"))


def _mute(r: Row) -> Mute:
    return Mute(chat_id=r["chat_id"], kind=r["kind"], value=r["value"], key=r["key"])
