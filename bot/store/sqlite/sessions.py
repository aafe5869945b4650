"""The web's one-time login links and sessions, and the watchlist texts it saved, on SQLite. IO: SQL.

Only digests of the tokens are stored (the use-case hashes them), so a copy of the database
opens no session. A login link is used by one atomic UPDATE: two clicks cannot both win.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.store.protocols import WebSession
from bot.store.sqlite._db import Transaction, at, iso


class SqliteSessions:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def add_login(self, token_hash: str, user_id: int, *, expires_at: datetime) -> None:
        self.db.execute("INSERT INTO web_logins (token_hash, user_id, expires_at) VALUES (?, ?, ?)",
                        (token_hash, user_id, iso(expires_at)))

    def use_login(self, token_hash: str, *, now: datetime) -> int | None:
        """The link's user id when it exists, is unused and has not expired; it is used from now on."""
        with Transaction(self.db):
            row = self.db.execute(
                "UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ? "
                "RETURNING user_id", (iso(now), token_hash, iso(now))).fetchall()
        return int(row[0][0]) if row else None

    def open(self, session_hash: str, user_id: int, csrf: str, *, now: datetime, expires_at: datetime) -> None:
        self.db.execute(
            "INSERT INTO web_sessions (session_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
            (session_hash, user_id, csrf, iso(now), iso(expires_at)))

    def get(self, session_hash: str, *, now: datetime) -> WebSession | None:
        row = self.db.execute("SELECT user_id, csrf, expires_at FROM web_sessions "
                              "WHERE session_hash = ? AND expires_at > ?", (session_hash, iso(now))).fetchone()
        return WebSession(int(row["user_id"]), row["csrf"], at(row["expires_at"])) if row else None

    def close(self, session_hash: str) -> None:
        self.db.execute("DELETE FROM web_sessions WHERE session_hash = ?", (session_hash,))

    def purge(self, now: datetime) -> int:
        """Forget expired links and sessions; how many."""
        with Transaction(self.db):
            n = self.db.execute("DELETE FROM web_logins WHERE expires_at <= ?", (iso(now),)).rowcount
            n += self.db.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (iso(now),)).rowcount
        return n


class SqliteRuleTexts:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def put(self, name: str, text: str, *, now: datetime) -> None:
        self.db.execute("INSERT INTO rule_texts (name, text, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO "
                        "UPDATE SET text = excluded.text, updated_at = excluded.updated_at", (name, text, iso(now)))

    def changed_since(self, since: datetime | None) -> list[tuple[str, str, datetime]]:
        rows = self.db.execute("SELECT name, text, updated_at FROM rule_texts WHERE updated_at >= ? "
                               "ORDER BY updated_at, name", (iso(since) if since else "",))
        return [(r["name"], r["text"], at(r["updated_at"])) for r in rows]
