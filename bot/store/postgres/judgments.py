"""👍/👎 judgments on alerts on PostgreSQL: one per (chat, story, user). IO: SQL."""

from __future__ import annotations

from datetime import datetime

from psycopg.types.json import Jsonb

from bot.store.postgres._db import Db, Row, at, ts
from bot.store.protocols import Judgment
from bot.store.renamed import renamed_ids, renamed_keys


class PostgresJudgments:
    def __init__(self, db: Db) -> None:
        self.db = db

    def record(self, judgment: Judgment) -> Judgment | None:
        """Store the judgment; the one it replaced (same chat, story and user), if any."""
        j = judgment
        with self.db.transaction():
            # the row lock (FOR UPDATE) keeps two taps of one person from both reading "nothing replaced"
            old = self.db.one("SELECT * FROM judgments WHERE chat_id = %s AND story = %s AND user_id = %s FOR UPDATE",
                              (j.chat_id, j.story, j.user_id))
            self.db.run(
                """INSERT INTO judgments (chat_id, story, user_id, verdict, identity, watchlists, hits, judged_at)
                   VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                   ON CONFLICT (chat_id, story, user_id) DO UPDATE SET verdict = excluded.verdict,
                       identity = excluded.identity, watchlists = excluded.watchlists, hits = excluded.hits,
                       judged_at = excluded.judged_at""",
                (j.chat_id, j.story, j.user_id, j.verdict, j.identity, Jsonb(list(j.watchlists)), Jsonb(j.hits),
                 ts(j.at)))
        return _judgment(old) if old is not None else None

    def all(self, *, since: datetime | None = None) -> list[Judgment]:
        where, params = ("WHERE judged_at >= %s", [ts(since)]) if since else ("", [])
        rows = self.db.all(f"SELECT * FROM judgments {where} ORDER BY judged_at, chat_id, user_id", params)
        return [_judgment(r) for r in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.all("SELECT verdict, count(*) AS n FROM judgments GROUP BY verdict ORDER BY verdict")
        return {r["verdict"]: r["n"] for r in rows}

    def tally(self, chat_id: int, story: str) -> dict[str, int]:
        rows = self.db.all("SELECT verdict, count(*) AS n FROM judgments WHERE chat_id = %s AND story = %s "
                           "GROUP BY verdict", [chat_id, story])
        return {r["verdict"]: r["n"] for r in rows}

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: the judgments of its alerts teach ``new`` (/suggest, the web's suggestions);
        how many."""
        with self.db.transaction():
            rows = self.db.all("SELECT * FROM judgments WHERE watchlists @> %s OR hits ? %s FOR UPDATE",
                               [Jsonb([old]), old])
            self.db.many("UPDATE judgments SET watchlists = %s, hits = %s "
                         "WHERE chat_id = %s AND story = %s AND user_id = %s",
                         [(Jsonb(renamed_ids(r["watchlists"], old, new)), Jsonb(renamed_keys(r["hits"], old, new)),
                           r["chat_id"], r["story"], r["user_id"]) for r in rows])
        return len(rows)


def _judgment(r: Row) -> Judgment:
    return Judgment(chat_id=r["chat_id"], story=r["story"], user_id=r["user_id"], verdict=r["verdict"],
                    identity=r["identity"], watchlists=tuple(r["watchlists"]), hits=r["hits"], at=at(r["judged_at"]))
