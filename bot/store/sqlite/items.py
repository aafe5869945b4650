"""Items, their sightings and their matches on SQLite. IO: SQL."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.items.normalize import Item
from bot.store.protocols import FeedRhythm, ItemText, StoredItem, StoryMember
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
                                          first_seen_at, feed_url, story)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO NOTHING""",
                    (item.identity, item.url, item.link, item.guid, item.title, item.lede, item.language,
                     iso(item.published), iso(now), item.feed_url, item.identity),
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

    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime, backlog: bool = False) -> None:
        """``backlog``: the item is too old to alert (poll.backlog, poll.max_age): its matches reach no digest."""
        from bot.watch import to_json

        with Transaction(self.db):
            for m in matches:
                self.db.execute(
                    """INSERT INTO matches (identity, watchlist, score, hits, matched_at, backlog)
                       VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (identity, watchlist) DO NOTHING""",
                    (identity, m.watchlist, m.score, json.dumps(to_json(m)["hits"], ensure_ascii=False), iso(now),
                     int(backlog)),
                )

    def matched_watchlists(self, identity: str) -> dict[str, float]:
        rows = self.db.execute("SELECT watchlist, score FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: r["score"] for r in rows}

    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]:
        rows = self.db.execute("SELECT watchlist, hits FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: json.loads(r["hits"]) for r in rows}

    def set_story(self, identity: str, story: str) -> None:
        self.db.execute("UPDATE items SET story = ? WHERE identity = ?", (story, identity))

    def texts_since(self, since: datetime) -> list[ItemText]:
        """The title and lede of every item first seen at or after ``since``, matched or not, oldest first."""
        rows = self.db.execute(
            "SELECT identity, title, lede, first_seen_at, published_at FROM items WHERE first_seen_at >= ? "
            "ORDER BY first_seen_at, identity", (iso(since),))
        return [ItemText(r["identity"], r["title"], r["lede"], at(r["first_seen_at"]), dt(r["published_at"]))
                for r in rows]

    def story_members(self, since: datetime) -> list[StoryMember]:
        """Every matched item of every story that has one first seen since ``since`` (older members included:
        they tell the story index which feeds already carried the story). Unmatched items join no story."""
        rows = self.db.execute(
            """SELECT i.identity, i.story, i.feed_url, i.title, i.lede, i.language, i.first_seen_at,
                      i.published_at,
                      COALESCE((SELECT s.feed_name FROM sightings s WHERE s.identity = i.identity
                                ORDER BY s.seen_at LIMIT 1), '') AS feed_name
               FROM items i WHERE EXISTS (SELECT 1 FROM matches m WHERE m.identity = i.identity)
                   AND i.story IN (SELECT DISTINCT story FROM items WHERE first_seen_at >= ?)
               ORDER BY i.first_seen_at, i.identity""", (iso(since),))
        return [StoryMember(identity=r["identity"], story=r["story"] or r["identity"], feed_url=r["feed_url"],
                            feed_name=r["feed_name"], title=r["title"], lede=r["lede"], language=r["language"],
                            first_seen_at=at(r["first_seen_at"]),
                            published_at=dt(r["published_at"])) for r in rows]

    def lock_stories(self, wait: float = 60.0) -> None:
        """(One process writes a SQLite store: its transactions already place one at a time.)"""

    def placed_after(self, number: int) -> tuple[list[StoryMember], int]:
        """The items placed in stories with a number above ``number``, and the highest number among them
        (``number`` if none)."""
        rows = self.db.execute(
            """SELECT i.identity, i.story, i.feed_url, i.title, i.lede, i.language, i.first_seen_at,
                      i.published_at, i.placed,
                      COALESCE((SELECT s.feed_name FROM sightings s WHERE s.identity = i.identity
                                ORDER BY s.seen_at LIMIT 1), '') AS feed_name
               FROM items i WHERE i.placed > ? ORDER BY i.placed, i.first_seen_at, i.identity""", (number,)).fetchall()
        members = [StoryMember(identity=r["identity"], story=r["story"] or r["identity"], feed_url=r["feed_url"],
                               feed_name=r["feed_name"], title=r["title"], lede=r["lede"], language=r["language"],
                               first_seen_at=at(r["first_seen_at"]),
                               published_at=dt(r["published_at"])) for r in rows]
        return members, int(rows[-1]["placed"]) if rows else number

    def last_placed(self) -> int:
        return int(self.db.execute("SELECT COALESCE(max(placed), 0) FROM items").fetchone()[0])

    def mark_placed(self, identities: Sequence[str]) -> int:
        number = int(self.db.execute("SELECT COALESCE(max(placed), 0) + 1 FROM items").fetchone()[0])
        for start in range(0, len(identities), CHUNK):
            chunk = list(identities[start: start + CHUNK])
            self.db.execute(f"UPDATE items SET placed = ? WHERE identity IN ({marks(chunk)})", [number, *chunk])
        return number

    def outlets(self, story: str) -> list[str]:
        """The feeds that carried any item of the story, each once, in the order they were seen."""
        rows = self.db.execute(
            """SELECT s.feed_url, COALESCE(NULLIF(s.feed_name, ''), NULLIF(f.name, ''), NULLIF(f.title, ''),
                      s.feed_url) AS label
               FROM sightings s JOIN items i ON i.identity = s.identity LEFT JOIN feeds f ON f.url = s.feed_url
               WHERE i.story = ? ORDER BY s.seen_at, s.feed_url""", (story,))
        return list(dict.fromkeys(r["label"] for r in rows))

    def recent(self, limit: int) -> list[tuple[str, str, str]]:
        """(identity, title, lede) of the ``limit`` items first seen last, newest first."""
        rows = self.db.execute("SELECT identity, title, lede FROM items ORDER BY first_seen_at DESC, identity DESC "
                               "LIMIT ?", (limit,))
        return [(r[0], r[1], r[2]) for r in rows]

    def matched_by(self, watchlist: str, identities: Sequence[str]) -> set[str]:
        """Which of ``identities`` the watchlist matched when they were stored."""
        found: set[str] = set()
        for start in range(0, len(identities), CHUNK):
            chunk = list(identities[start: start + CHUNK])
            rows = self.db.execute(f"SELECT identity FROM matches WHERE watchlist = ? AND identity IN ({marks(chunk)})",
                                   [watchlist, *chunk])
            found.update(r[0] for r in rows)
        return found

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: what it matched is kept under ``new`` (pending digests, previews' differences);
        how many matches moved."""
        with Transaction(self.db):
            return self.db.execute(
                """UPDATE matches SET watchlist = ? WHERE watchlist = ? AND identity NOT IN
                       (SELECT identity FROM matches WHERE watchlist = ?)""", (new, old, new)).rowcount

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

    def rhythm(self, feed_url: str, *, since: datetime) -> FeedRhythm:
        """When the feed's items since ``since`` appeared, and its first sighting.

        An item appeared when it was published, or when the feed first showed it if it has no
        date or a date after that (a future date is a typo, not a schedule). An item without such a date that the
        feed already showed when first seen appeared at some unknown time before (an About page, a project list
        beside dated posts): left out, unless none of the feed's items has a date (then first seen is all there is).
        """
        first = self.db.execute("SELECT MIN(seen_at) FROM sightings WHERE feed_url = ?", (feed_url,)).fetchone()[0]
        dated = self.db.execute(
            """SELECT EXISTS (SELECT 1 FROM sightings s JOIN items i ON i.identity = s.identity
                              WHERE s.feed_url = ? AND i.published_at <= s.seen_at)""", (feed_url,)).fetchone()[0]
        rows = self.db.execute(
            """SELECT MIN(COALESCE(i.published_at, s.seen_at), s.seen_at) AS appeared
                 FROM sightings s JOIN items i ON i.identity = s.identity
                WHERE s.feed_url = ? AND s.seen_at >= ? AND MIN(COALESCE(i.published_at, s.seen_at), s.seen_at) >= ?
                  -- (not: a feed with dates, its first sighting, and no usable date)
                  AND NOT (? AND s.seen_at = ? AND COALESCE(i.published_at > s.seen_at, 1))
                ORDER BY appeared""",
            (feed_url, iso(since), iso(since), bool(dated), first),
        )
        return FeedRhythm(times=tuple(at(r["appeared"]) for r in rows), watched_since=dt(first))

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

    def by_guid(self, feed_url: str, guids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """guid -> (identity, title) of an item ``feed_url`` stored with that guid, the latest first seen."""
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(guids), CHUNK):
            chunk = list(guids[start: start + CHUNK])
            for r in self.db.execute(f"SELECT guid, identity, title FROM items WHERE feed_url = ? AND guid IN "
                                     f"({marks(chunk)}) ORDER BY first_seen_at", [feed_url, *chunk]):
                out[r["guid"]] = (r["identity"], r["title"])
        return out

    def by_published(self, feed_url: str, times: Sequence[datetime]) -> dict[tuple[datetime, str], str]:
        """(published, title) -> identity of an item ``feed_url`` stored with that time (UTC, to the second) and title,
        the latest first seen."""
        out: dict[tuple[datetime, str], str] = {}
        stamps = list(dict.fromkeys(iso(t) for t in times))
        for start in range(0, len(stamps), CHUNK):
            chunk = stamps[start: start + CHUNK]
            for r in self.db.execute(f"SELECT published_at, title, identity FROM items WHERE feed_url = ? AND "
                                     f"published_at IN ({marks(chunk)}) ORDER BY first_seen_at", [feed_url, *chunk]):
                out[at(r["published_at"]), r["title"]] = r["identity"]
        return out

    def prune(self, before: datetime) -> dict[str, int]:
        """Forget items first seen before ``before`` with their sightings, matches and finished alerts.

        Kept: items with an alert still pending or sending, and items with a match some digest
        recipient has not received yet (at or above its floor, or followed by a chat in digest mode).
        """
        cut = iso(before)
        with Transaction(self.db):
            self.db.execute("DROP TABLE IF EXISTS temp.prune_ids")
            self.db.execute("CREATE TEMP TABLE prune_ids (identity TEXT PRIMARY KEY)")
            self.db.execute(f"INSERT INTO prune_ids SELECT identity FROM items i WHERE i.first_seen_at < ? "
                            f"AND NOT ({KEPT})", (cut,))
            gone = "(SELECT identity FROM prune_ids)"
            # delivery records name matches by rowid, which SQLite may hand out again: they go first
            self.db.execute(f"DELETE FROM digest_delivered WHERE match_id IN "
                            f"(SELECT rowid FROM matches WHERE identity IN {gone})")
            counts = {
                "sightings": self.db.execute(f"DELETE FROM sightings WHERE identity IN {gone}").rowcount,
                "matches": self.db.execute(f"DELETE FROM matches WHERE identity IN {gone}").rowcount,
                # an alert's edits go with it (they point at it); judgments stay (they keep what was alerted)
                "alerts": self._delete_alerts(gone),
                "items": self.db.execute(f"DELETE FROM items WHERE identity IN {gone}").rowcount,
            }
            self.db.execute("DELETE FROM digest_runs WHERE at < ?", (cut,))
            self.db.execute("DROP TABLE temp.prune_ids")
        return counts

    def _delete_alerts(self, gone: str) -> int:
        self.db.execute(f"DELETE FROM edits WHERE outbox_id IN (SELECT id FROM outbox WHERE identity IN {gone})")
        return self.db.execute(f"DELETE FROM outbox WHERE identity IN {gone}").rowcount

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


# An item is kept while an alert for it waits, or a digest recipient has not received one of its matches.
KEPT = """EXISTS (SELECT 1 FROM outbox o WHERE o.identity = i.identity AND o.state IN ('pending', 'sending'))
    OR EXISTS (SELECT 1 FROM matches m JOIN digest_recipients r ON r.channel = 'email'
                   AND m.matched_at >= COALESCE(r.since, '') AND m.backlog = 0
                   AND (r.watchlists = '[]' OR EXISTS (SELECT 1 FROM json_each(r.watchlists) w
                                                      WHERE w.value = m.watchlist))
               WHERE m.identity = i.identity
                 AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = r.key AND d.match_id = m.rowid))
    OR EXISTS (SELECT 1 FROM matches m
               JOIN subscriptions s ON s.watchlist = m.watchlist AND s.mode = 'digest'
               JOIN chats c ON c.chat_id = s.chat_id AND c.active = 1
               LEFT JOIN digest_recipients r ON r.key = 'chat:' || s.chat_id
               WHERE m.identity = i.identity AND m.backlog = 0
                 AND m.matched_at >= MAX(s.since, COALESCE(c.digest_since, s.since), COALESCE(r.since, ''))
                 AND NOT EXISTS (SELECT 1 FROM digest_delivered d
                                 WHERE d.key = 'chat:' || s.chat_id AND d.match_id = m.rowid))"""


def _stored(r: sqlite3.Row, sightings: tuple[tuple[str, str, datetime], ...]) -> StoredItem:
    item = Item(
        identity=r["identity"], url=r["url"], link=r["link"], guid=r["guid"], title=r["title"], lede=r["lede"],
        language=r["language"], published=dt(r["published_at"]), feed_url=r["feed_url"],
        feed_title=sightings[0][1] if sightings else "",
    )
    return StoredItem(item=item, first_seen_at=at(r["first_seen_at"]), sightings=sightings)
