"""The web's one-time login links and sessions, and the watchlist texts it saved, on PostgreSQL. IO: SQL.

Only digests of the tokens are stored (the use-case hashes them), so a copy of the database
opens no session. A login link is used by one atomic UPDATE: two clicks (or two processes) cannot both win.
"""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres._db import Db, at, ts
from bot.store.protocols import WebSession

EPOCH = datetime.fromisoformat("0001-01-01T00:00:00+00:00")


class PostgresSessions:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add_login(self, token_hash: str, user_id: int, *, expires_at: datetime) -> None:
        self.db.run("INSERT INTO web_logins (token_hash, user_id, expires_at) VALUES (%s, %s, %s)",
                    (token_hash, user_id, ts(expires_at)))

    def use_login(self, token_hash: str, *, now: datetime) -> int | None:
        """The link's user id when it exists, is unused and has not expired; it is used from now on."""
        row = self.db.one(
            "UPDATE web_logins SET used_at = %s WHERE token_hash = %s AND used_at IS NULL AND expires_at > %s "
            "RETURNING user_id", (ts(now), token_hash, ts(now)))
        return int(row["user_id"]) if row else None

    def open(self, session_hash: str, user_id: int, csrf: str, *, now: datetime, expires_at: datetime) -> None:
        self.db.run(
            "INSERT INTO web_sessions (session_hash, user_id, csrf, created_at, expires_at) "
            "VALUES (%s, %s, %s, %s, %s)", (session_hash, user_id, csrf, ts(now), ts(expires_at)))

    def get(self, session_hash: str, *, now: datetime) -> WebSession | None:
        row = self.db.one("SELECT user_id, csrf, expires_at FROM web_sessions "
                          "WHERE session_hash = %s AND expires_at > %s", (session_hash, ts(now)))
        return WebSession(int(row["user_id"]), row["csrf"], at(row["expires_at"])) if row else None

    def close(self, session_hash: str) -> None:
        self.db.run("DELETE FROM web_sessions WHERE session_hash = %s", (session_hash,))

    def purge(self, now: datetime) -> int:
        """Forget expired links and sessions; how many."""
        with self.db.transaction():
            n = self.db.run("DELETE FROM web_logins WHERE expires_at <= %s", (ts(now),))
            n += self.db.run("DELETE FROM web_sessions WHERE expires_at <= %s", (ts(now),))
        return n


class PostgresRuleTexts:
    def __init__(self, db: Db) -> None:
        self.db = db

    def put(self, name: str, text: str, *, now: datetime) -> None:
        self.db.run("INSERT INTO rule_texts (name, text, updated_at) VALUES (%s, %s, %s) ON CONFLICT (name) DO "
                    "UPDATE SET text = excluded.text, updated_at = excluded.updated_at", (name, text, ts(now)))

    def changed_since(self, since: datetime | None) -> list[tuple[str, str, datetime]]:
        rows = self.db.all("SELECT name, text, updated_at FROM rule_texts WHERE updated_at >= %s "
                           "ORDER BY updated_at, name", (ts(since) if since else EPOCH,))
        return [(r["name"], r["text"], at(r["updated_at"])) for r in rows]
