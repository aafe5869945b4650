"""👍/👎 judgments on alerts on SQLite: one per (chat, story, user). IO: SQL."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from bot.store.protocols import Judgment
from bot.store.renamed import renamed_ids, renamed_keys
from bot.store.sqlite._db import Transaction, at, iso


class SqliteJudgments:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def record(self, judgment: Judgment) -> Judgment | None:
        """Store the judgment; the one it replaced (same chat, story and user), if any."""
        j = judgment
        with Transaction(self.db):
            old = self.db.execute("SELECT * FROM judgments WHERE chat_id = ? AND story = ? AND user_id = ?",
                                  (j.chat_id, j.story, j.user_id)).fetchone()
            self.db.execute(
                """INSERT INTO judgments (chat_id, story, user_id, verdict, identity, watchlists, hits, judged_at)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (chat_id, story, user_id) DO UPDATE SET verdict = excluded.verdict,
                       identity = excluded.identity, watchlists = excluded.watchlists, hits = excluded.hits,
                       judged_at = excluded.judged_at""",
                (j.chat_id, j.story, j.user_id, j.verdict, j.identity, json.dumps(list(j.watchlists)),
                 json.dumps(j.hits, ensure_ascii=False), iso(j.at)))
        return _judgment(old) if old is not None else None

    def all(self, *, since: datetime | None = None) -> list[Judgment]:
        rows = self.db.execute("SELECT * FROM judgments WHERE judged_at >= ? ORDER BY judged_at, chat_id, user_id",
                               (iso(since) if since else "",))
        return [_judgment(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT verdict, count(*) AS n FROM judgments GROUP BY verdict ORDER BY verdict")
        return {r["verdict"]: r["n"] for r in rows}

    def tally(self, chat_id: int, story: str) -> dict[str, int]:
        rows = self.db.execute("SELECT verdict, count(*) AS n FROM judgments WHERE chat_id = ? AND story = ? "
                               "GROUP BY verdict", (chat_id, story))
        return {r["verdict"]: r["n"] for r in rows}

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: the judgments of its alerts teach ``new`` (/suggest, the web's suggestions);
        how many."""
        with Transaction(self.db):
            rows = self.db.execute("SELECT * FROM judgments WHERE instr(watchlists, ?) > 0 OR instr(hits, ?) > 0",
                                   (json.dumps(old), json.dumps(old, ensure_ascii=False))).fetchall()
            changed = [(json.dumps(renamed_ids(j.watchlists, old, new)),
                        json.dumps(renamed_keys(j.hits, old, new), ensure_ascii=False), j.chat_id, j.story, j.user_id)
                       for j in map(_judgment, rows) if old in j.watchlists or old in j.hits]
            self.db.executemany("UPDATE judgments SET watchlists = ?, hits = ? "
                                "WHERE chat_id = ? AND story = ? AND user_id = ?", changed)
        return len(changed)


def _judgment(r: sqlite3.Row) -> Judgment:
    return Judgment(chat_id=r["chat_id"], story=r["story"], user_id=r["user_id"], verdict=r["verdict"],
                    identity=r["identity"], watchlists=tuple(json.loads(r["watchlists"])),
                    hits=json.loads(r["hits"]), at=at(r["judged_at"]))
