"""Items, their sightings and their matches on PostgreSQL. IO: SQL."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from psycopg.types.json import Jsonb

from bot.items.normalize import Item
from bot.store.postgres._db import Db, Row, at, ts, utc
from bot.store.protocols import FeedRhythm, ItemText, StoredItem, StoryMember

if TYPE_CHECKING:
    from bot.watch import Match

CHUNK = 500  # identities per = ANY(...) list


STORY_LOCK_WAIT = 60.0  # seconds an ingest waits for the story lock (lock_stories)


class PostgresItems:
    def __init__(self, db: Db) -> None:
        self.db = db

    def add(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]:
        """Store items and their sightings; return the ones never seen before, in order."""
        inserted_now: set[str] = set()
        with self.db.transaction():
            # in identity order: two processes adding the same items lock their rows in one order (no deadlock)
            for item in sorted(items, key=lambda i: (i.identity, i.feed_url)):
                inserted = self.db.run(
                    """INSERT INTO items (identity, url, link, guid, title, lede, language, published_at,
                                          first_seen_at, feed_url, story)
                       VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (identity) DO NOTHING""",
                    (item.identity, item.url, item.link, item.guid, item.title, item.lede, item.language,
                     ts(item.published), ts(now), item.feed_url, item.identity),
                )
                if inserted:
                    inserted_now.add(item.identity)
                self.db.run(
                    """INSERT INTO sightings (identity, feed_url, feed_name, link, seen_at)
                       VALUES (%s, %s, %s, %s, %s) ON CONFLICT (identity, feed_url) DO NOTHING""",
                    (item.identity, item.feed_url, feed_name, item.link, ts(now)),
                )
            new: list[Item] = []
            for item in items:  # in the feed's order, each once
                if item.identity in inserted_now:
                    new.append(item)
                    inserted_now.discard(item.identity)
            if new:
                self.db.run("UPDATE feeds SET items_total = items_total + %s WHERE url = %s",
                            (len(new), items[0].feed_url))
        return new

    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime, backlog: bool = False) -> None:
        """``backlog``: the item is too old to alert (poll.backlog, poll.max_age): its matches reach no digest."""
        from bot.watch import to_json

        with self.db.transaction():
            for m in matches:
                self.db.run(
                    """INSERT INTO matches (identity, watchlist, score, hits, matched_at, backlog)
                       VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (identity, watchlist) DO NOTHING""",
                    (identity, m.watchlist, m.score, Jsonb(to_json(m)["hits"]), ts(now), backlog),
                )

    def matched_watchlists(self, identity: str) -> dict[str, float]:
        rows = self.db.all("SELECT watchlist, score FROM matches WHERE identity = %s", (identity,))
        return {r["watchlist"]: r["score"] for r in rows}

    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]:
        rows = self.db.all("SELECT watchlist, hits FROM matches WHERE identity = %s", (identity,))
        return {r["watchlist"]: r["hits"] for r in rows}

    def set_story(self, identity: str, story: str) -> None:
        self.db.run("UPDATE items SET story = %s WHERE identity = %s", (story, identity))

    def texts_since(self, since: datetime) -> list[ItemText]:
        """The title and lede of every item first seen at or after ``since``, matched or not, oldest first."""
        rows = self.db.all(
            "SELECT identity, title, lede, first_seen_at, published_at FROM items WHERE first_seen_at >= %s "
            "ORDER BY first_seen_at, identity", (ts(since),))
        return [ItemText(r["identity"], r["title"], r["lede"], at(r["first_seen_at"]), utc(r["published_at"]))
                for r in rows]

    def story_members(self, since: datetime) -> list[StoryMember]:
        """Every matched item of every story that has one first seen since ``since`` (older members included:
        they tell the story index which feeds already carried the story). Unmatched items join no story."""
        rows = self.db.all(
            """SELECT i.identity, i.story, i.feed_url, i.title, i.lede, i.language, i.first_seen_at,
                      i.published_at,
                      COALESCE((SELECT s.feed_name FROM sightings s WHERE s.identity = i.identity
                                ORDER BY s.seen_at LIMIT 1), '') AS feed_name
               FROM items i WHERE EXISTS (SELECT 1 FROM matches m WHERE m.identity = i.identity)
                   AND i.story IN (SELECT DISTINCT story FROM items WHERE first_seen_at >= %s)
               ORDER BY i.first_seen_at, i.identity""", (ts(since),))
        return [StoryMember(identity=r["identity"], story=r["story"] or r["identity"], feed_url=r["feed_url"],
                            feed_name=r["feed_name"], title=r["title"], lede=r["lede"], language=r["language"],
                            first_seen_at=at(r["first_seen_at"]),
                            published_at=utc(r["published_at"])) for r in rows]

    def lock_stories(self, wait: float = STORY_LOCK_WAIT) -> None:
        """Held until this transaction ends: the other processes place items in stories before or after it. A
        process that cannot have it within ``wait`` seconds (another one stuck in its transaction) gets an error
        (the ingest fails and its feed is polled again later) instead of waiting for ever."""
        self.db.run(f"SET LOCAL lock_timeout = {int(wait * 1000)}")
        self.db.run("SELECT pg_advisory_xact_lock(hashtextextended(current_schema() || ':stories', 0))")
        self.db.run("SET LOCAL lock_timeout TO DEFAULT")

    def placed_after(self, number: int) -> tuple[list[StoryMember], int]:
        """The items placed in stories with a number above ``number`` (by other processes since this one last
        looked), and the highest number among them (``number`` if none)."""
        rows = self.db.all(
            """SELECT i.identity, i.story, i.feed_url, i.title, i.lede, i.language, i.first_seen_at,
                      i.published_at, i.placed,
                      COALESCE((SELECT s.feed_name FROM sightings s WHERE s.identity = i.identity
                                ORDER BY s.seen_at LIMIT 1), '') AS feed_name
               FROM items i WHERE i.placed > %s ORDER BY i.placed, i.first_seen_at, i.identity""", (number,))
        members = [StoryMember(identity=r["identity"], story=r["story"] or r["identity"], feed_url=r["feed_url"],
                               feed_name=r["feed_name"], title=r["title"], lede=r["lede"], language=r["language"],
                               first_seen_at=at(r["first_seen_at"]),
                               published_at=utc(r["published_at"])) for r in rows]
        return members, int(rows[-1]["placed"]) if rows else number

    def last_placed(self) -> int:
        top = self.db.one("SELECT COALESCE(max(placed), 0) AS n FROM items")
        return int(top["n"]) if top else 0

    def mark_placed(self, identities: Sequence[str]) -> int:
        top = self.db.one("SELECT COALESCE(max(placed), 0) + 1 AS n FROM items")
        number = top["n"] if top else 1
        self.db.run("UPDATE items SET placed = %s WHERE identity = ANY(%s)", (number, list(identities)))
        return int(number)

    def outlets(self, story: str) -> list[str]:
        """The feeds that carried any item of the story, each once, in the order they were seen."""
        rows = self.db.all(
            """SELECT s.feed_url, COALESCE(NULLIF(s.feed_name, ''), NULLIF(f.name, ''), NULLIF(f.title, ''),
                      s.feed_url) AS label
               FROM sightings s JOIN items i ON i.identity = s.identity LEFT JOIN feeds f ON f.url = s.feed_url
               WHERE i.story = %s ORDER BY s.seen_at, s.feed_url""", (story,))
        return list(dict.fromkeys(r["label"] for r in rows))

    def recent(self, limit: int) -> list[tuple[str, str, str]]:
        """(identity, title, lede) of the ``limit`` items first seen last, newest first."""
        rows = self.db.all("SELECT identity, title, lede FROM items ORDER BY first_seen_at DESC, identity DESC "
                           "LIMIT %s", (limit,))
        return [(r["identity"], r["title"], r["lede"]) for r in rows]

    def matched_by(self, watchlist: str, identities: Sequence[str]) -> set[str]:
        """Which of ``identities`` the watchlist matched when they were stored."""
        found: set[str] = set()
        for start in range(0, len(identities), CHUNK):
            chunk = list(identities[start: start + CHUNK])
            rows = self.db.all("SELECT identity FROM matches WHERE watchlist = %s AND identity = ANY(%s)",
                               (watchlist, chunk))
            found.update(r["identity"] for r in rows)
        return found

    def rename_watchlist(self, old: str, new: str) -> int:
        """A watchlist's id changed: what it matched is kept under ``new`` (pending digests, previews' differences);
        how many matches moved."""
        return self.db.run(
            """UPDATE matches SET watchlist = %s WHERE watchlist = %s AND identity NOT IN
                   (SELECT identity FROM matches WHERE watchlist = %s)""", (new, old, new))

    def rhythm(self, feed_url: str, *, since: datetime) -> FeedRhythm:
        """When the feed's items since ``since`` appeared, and its first sighting.

        An item appeared when it was published, or when the feed first showed it if it has no
        date or a date after that (a future date is a typo, not a schedule). An item without such a date that the
        feed already showed when first seen appeared at some unknown time before (an About page, a project list
        beside dated posts): left out, unless none of the feed's items has a date (then first seen is all there is).
        """
        first = self.db.one("SELECT MIN(seen_at) AS first FROM sightings WHERE feed_url = %s", (feed_url,))
        watched = first["first"] if first else None
        dated = self.db.one(
            """SELECT EXISTS (SELECT 1 FROM sightings s JOIN items i ON i.identity = s.identity
                              WHERE s.feed_url = %s AND i.published_at <= s.seen_at) AS any""", (feed_url,))
        rows = self.db.all(
            """SELECT LEAST(COALESCE(i.published_at, s.seen_at), s.seen_at) AS appeared
                 FROM sightings s JOIN items i ON i.identity = s.identity
                WHERE s.feed_url = %s AND s.seen_at >= %s
                  AND LEAST(COALESCE(i.published_at, s.seen_at), s.seen_at) >= %s
                  -- (not: a feed with dates, its first sighting, and no usable date)
                  AND NOT (%s AND s.seen_at = %s AND COALESCE(i.published_at > s.seen_at, TRUE))
                ORDER BY appeared""",
            (feed_url, ts(since), ts(since), bool(dated and dated["any"]), watched),
        )
        return FeedRhythm(times=tuple(at(r["appeared"]) for r in rows), watched_since=utc(watched))

    def latest(self, limit: int) -> list[Item]:
        """The last ``limit`` items stored, newest first (without their sightings: a sample to measure on)."""
        rows = self.db.all("SELECT * FROM items ORDER BY first_seen_at DESC, identity DESC LIMIT %s", (limit,))
        return [_stored(r, ()).item for r in rows]

    def since(self, since: datetime) -> Iterator[StoredItem]:
        rows = self.db.all("SELECT * FROM items WHERE first_seen_at >= %s ORDER BY first_seen_at, identity",
                           (ts(since),))
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start: start + CHUNK]
            sightings = self._sightings([r["identity"] for r in chunk])
            for r in chunk:
                yield _stored(r, sightings.get(r["identity"], ()))

    def count_since(self, since: datetime) -> int:
        row = self.db.one("SELECT count(*) AS n FROM items WHERE first_seen_at >= %s", (ts(since),))
        return int(row["n"]) if row else 0

    def get(self, identities: Sequence[str]) -> dict[str, StoredItem]:
        out: dict[str, StoredItem] = {}
        for start in range(0, len(identities), CHUNK):
            chunk = list(identities[start: start + CHUNK])
            rows = self.db.all("SELECT * FROM items WHERE identity = ANY(%s)", [chunk])
            sightings = self._sightings(chunk)
            for r in rows:
                out[r["identity"]] = _stored(r, sightings.get(r["identity"], ()))
        return out

    def by_guid(self, feed_url: str, guids: Sequence[str]) -> dict[str, tuple[str, str]]:
        """guid -> (identity, title) of an item ``feed_url`` stored with that guid, the latest first seen."""
        out: dict[str, tuple[str, str]] = {}
        for start in range(0, len(guids), CHUNK):
            chunk = list(guids[start: start + CHUNK])
            for r in self.db.all("SELECT guid, identity, title FROM items WHERE feed_url = %s AND guid = ANY(%s) "
                                 "ORDER BY first_seen_at", [feed_url, chunk]):
                out[r["guid"]] = (r["identity"], r["title"])
        return out

    def by_published(self, feed_url: str, times: Sequence[datetime]) -> dict[tuple[datetime, str], str]:
        """(published, title) -> identity of an item ``feed_url`` stored with that time (UTC, to the second) and title,
        the latest first seen."""
        out: dict[tuple[datetime, str], str] = {}
        stamps = list(dict.fromkeys(ts(t) for t in times))
        for start in range(0, len(stamps), CHUNK):
            chunk = stamps[start: start + CHUNK]
            for r in self.db.all("SELECT published_at, title, identity FROM items WHERE feed_url = %s AND "
                                 "published_at = ANY(%s) ORDER BY first_seen_at", [feed_url, chunk]):
                out[at(r["published_at"]), r["title"]] = r["identity"]
        return out

    def prune(self, before: datetime) -> dict[str, int]:
        """Forget items first seen before ``before`` with their sightings, matches and finished alerts.

        Kept: items with an alert still pending or sending, and items with a match some digest
        recipient has not received yet (at or above its floor, or followed by a chat in digest mode).
        """
        cut = ts(before)
        with self.db.transaction():
            self.db.run("CREATE TEMP TABLE prune_ids ON COMMIT DROP AS "
                        f"SELECT identity FROM items i WHERE i.first_seen_at < %s AND NOT ({KEPT})", (cut,))
            counts = {
                "sightings": self.db.run("DELETE FROM sightings WHERE identity IN (SELECT identity FROM prune_ids)"),
                "matches": self.db.run("DELETE FROM matches WHERE identity IN (SELECT identity FROM prune_ids)"),
                # edits of the alerts that go: their outbox rows cascade; judgments stay (they keep what was alerted)
                "alerts": self.db.run("DELETE FROM outbox WHERE identity IN (SELECT identity FROM prune_ids)"),
                "items": self.db.run("DELETE FROM items WHERE identity IN (SELECT identity FROM prune_ids)"),
            }
            self.db.run("DELETE FROM digest_runs WHERE at < %s", (cut,))
        return counts

    def _sightings(self, identities: Sequence[str]) -> dict[str, tuple[tuple[str, str, datetime], ...]]:
        if not identities:
            return {}
        rows = self.db.all(
            "SELECT identity, feed_url, feed_name, seen_at FROM sightings WHERE identity = ANY(%s) "
            "ORDER BY seen_at, feed_url",
            [list(identities)],
        )
        grouped: dict[str, list[tuple[str, str, datetime]]] = {}
        for r in rows:
            grouped.setdefault(r["identity"], []).append((r["feed_url"], r["feed_name"], at(r["seen_at"])))
        return {k: tuple(v) for k, v in grouped.items()}


# An item is kept while an alert for it waits, or a digest recipient has not received one of its matches.
KEPT = """EXISTS (SELECT 1 FROM outbox o WHERE o.identity = i.identity AND o.state IN ('pending', 'sending'))
    OR EXISTS (SELECT 1 FROM matches m JOIN digest_recipients r ON r.channel = 'email'
                   AND m.matched_at >= COALESCE(r.since, '-infinity') AND NOT m.backlog
                   AND (r.watchlists = '[]'::jsonb OR r.watchlists ? m.watchlist)
               WHERE m.identity = i.identity
                 AND NOT EXISTS (SELECT 1 FROM digest_delivered d WHERE d.key = r.key AND d.match_id = m.id))
    OR EXISTS (SELECT 1 FROM matches m
               JOIN subscriptions s ON s.watchlist = m.watchlist AND s.mode = 'digest'
               JOIN chats c ON c.chat_id = s.chat_id AND c.active
               LEFT JOIN digest_recipients r ON r.key = 'chat:' || s.chat_id
               WHERE m.identity = i.identity AND NOT m.backlog
                 AND m.matched_at >= GREATEST(s.since, c.digest_since, r.since)
                 AND NOT EXISTS (SELECT 1 FROM digest_delivered d
                                 WHERE d.key = 'chat:' || s.chat_id AND d.match_id = m.id))"""


def _stored(r: Row, sightings: tuple[tuple[str, str, datetime], ...]) -> StoredItem:
    item = Item(
        identity=r["identity"], url=r["url"], link=r["link"], guid=r["guid"], title=r["title"], lede=r["lede"],
        language=r["language"], published=utc(r["published_at"]), feed_url=r["feed_url"],
        feed_title=sightings[0][1] if sightings else "",
    )
    return StoredItem(item=item, first_seen_at=at(r["first_seen_at"]), sightings=sightings)
