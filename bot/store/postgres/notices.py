"""Problems the admins were told about, each once, on PostgreSQL. IO: SQL."""

from __future__ import annotations

from datetime import datetime

from bot.store.postgres._db import Db, ts


class PostgresNotices:
    def __init__(self, db: Db) -> None:
        self.db = db

    def noticed(self, key: str) -> bool:
        return self.db.one("SELECT 1 FROM admin_notices WHERE key = %s", (key,)) is not None

    def record(self, key: str, text: str, *, now: datetime) -> None:
        self.db.run("INSERT INTO admin_notices (key, sent_at, text) VALUES (%s, %s, %s) ON CONFLICT (key) DO NOTHING",
                    (key, ts(now), text))
