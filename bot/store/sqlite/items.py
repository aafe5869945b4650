"""Items, their sightings and their matches on SQLite. IO: SQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.items.normalize import Item
from bot.store.protocols import StoredItem
from bot.store.sqlite._db import Transaction, at, dt, iso, marks

if TYPE_CHECKING:
    from bot.watch import Match

CHUNK = 500  # identities per IN (...) list


class SqliteItems:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def add(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]:
        """Store items and their sightings; return the ones never seen before, in order."""
        new: list[Item] = []
        seen_now: set[str] = set()
        with Transaction(self.db):
            for item in items:
                cur = self.db.execute(
                    """INSERT INTO items (identity, url, link, guid, title, lede, language, published_at,
                                          first_seen_at, feed_url)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO NOTHING""",
                    (item.identity, item.url, item.link, item.guid, item.title, item.lede, item.language,
                     iso(item.published), iso(now), item.feed_url),
                )
                if cur.rowcount and item.identity not in seen_now:
                    new.append(item)
                    seen_now.add(item.identity)
                self.db.execute(
                    """INSERT INTO sightings (identity, feed_url, feed_name, link, seen_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (identity, feed_url) DO NOTHING""",
                    (item.identity, item.feed_url, feed_name, item.link, iso(now)),
                )
            if new:
                self.db.execute("UPDATE feeds SET items_total = items_total + ? WHERE url = ?",
                                (len(new), items[0].feed_url))
        return new

    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime) -> None:
        from bot.watch import to_json

        with Transaction(self.db):
            for m in matches:
                self.db.execute(
                    """INSERT INTO matches (identity, watchlist, score, hits, matched_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (identity, watchlist) DO NOTHING""",
                    (identity, m.watchlist, m.score, json.dumps(to_json(m)["hits"], ensure_ascii=False), iso(now)),
                )

    def matched_watchlists(self, identity: str) -> dict[str, float]:
        rows = self.db.execute("SELECT watchlist, score FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: r["score"] for r in rows}

    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]:
        rows = self.db.execute("SELECT watchlist, hits FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: json.loads(r["hits"]) for r in rows}

    def since(self, since: datetime) -> Iterator[StoredItem]:
        rows = self.db.execute(
            "SELECT * FROM items WHERE first_seen_at >= ? ORDER BY first_seen_at, identity", (iso(since),)
        ).fetchall()
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start: start + CHUNK]
            sightings = self._sightings([r["identity"] for r in chunk])
            for r in chunk:
                yield _stored(r, sightings.get(r["identity"], ()))

    def count_since(self, since: datetime) -> int:
        return int(self.db.execute("SELECT count(*) FROM items WHERE first_seen_at >= ?", (iso(since),)).fetchone()[0])

    def latest(self, limit: int) -> list[Item]:
        """The last ``limit`` items stored, newest first (without their sightings: a sample to measure on)."""
        rows = self.db.execute("SELECT * FROM items ORDER BY first_seen_at DESC, rowid DESC LIMIT ?", (limit,))
        return [_stored(r, ()).item for r in rows]

    def get(self, identities: Sequence[str]) -> dict[str, StoredItem]:
        out: dict[str, StoredItem] = {}
        for start in range(0, len(identities), CHUNK):
            chunk = list(identities[start: start + CHUNK])
            rows = self.db.execute(f"SELECT * FROM items WHERE identity IN ({marks(chunk)})", chunk).fetchall()
            sightings = self._sightings(chunk)
            for r in rows:
                out[r["identity"]] = _stored(r, sightings.get(r["identity"], ()))
        return out

    def _sightings(self, identities: Sequence[str]) -> dict[str, tuple[tuple[str, str, datetime], ...]]:
        if not identities:
            return {}
        rows = self.db.execute(
            f"SELECT identity, feed_url, feed_name, seen_at FROM sightings WHERE identity IN ({marks(identities)}) "
            "ORDER BY seen_at, feed_url",
            list(identities),
        )
        grouped: dict[str, list[tuple[str, str, datetime]]] = {}
        for r in rows:
            grouped.setdefault(r["identity"], []).append((r["feed_url"], r["feed_name"], at(r["seen_at"])))
        return {k: tuple(v) for k, v in grouped.items()}


def _stored(r: sqlite3.Row, sightings: tuple[tuple[str, str, datetime], ...]) -> StoredItem:
    item = Item(
        identity=r["identity"], url=r["url"], link=r["link"], guid=r["guid"], title=r["title"], lede=r["lede"],
        language=r["language"], published=dt(r["published_at"]), feed_url=r["feed_url"],
        feed_title=sightings[0][1] if sightings else "",
    )
    return StoredItem(item=item, first_seen_at=at(r["first_seen_at"]), sightings=sightings)
