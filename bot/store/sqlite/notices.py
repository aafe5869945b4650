"""Problems the admins were told about, each once, on SQLite. IO: SQL."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from bot.store.sqlite._db import iso


class SqliteNotices:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def noticed(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM admin_notices WHERE key = ?", (key,)).fetchone() is not None

    def record(self, key: str, text: str, *, now: datetime) -> None:
        self.db.execute("INSERT OR IGNORE INTO admin_notices (key, sent_at, text) VALUES (?, ?, ?)",
                        (key, iso(now), text))
