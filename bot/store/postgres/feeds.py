"""Feeds and their fetch state on PostgreSQL. IO: SQL."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.store.postgres._db import Db, Row, ts, utc
from bot.store.protocols import FeedState


class PostgresFeeds:
    def __init__(self, db: Db) -> None:
        self.db = db

    def sync(self, feeds: Iterable[tuple[str, str]]) -> None:
        """Make sure each configured (url, name) has a row; names follow the config, which owns them from now on."""
        rows = sorted(dict(feeds).items())  # sorted: two processes syncing lock rows in one order
        with self.db.transaction():
            self.db.many("INSERT INTO feeds (url, name) VALUES (%s, %s) "
                         "ON CONFLICT (url) DO UPDATE SET name = excluded.name, origin = 'config' "
                         "WHERE feeds.name <> excluded.name OR feeds.origin <> 'config'",
                         rows)

    def add(self, url: str, name: str, *, now: datetime) -> bool:
        """A feed added outside the config (origin 'store'); False when the URL is already there."""
        return self.db.run("INSERT INTO feeds (url, name, origin, added_at) VALUES (%s, %s, 'store', %s) "
                           "ON CONFLICT (url) DO NOTHING", (url, name, ts(now))) > 0

    def remove(self, url: str) -> bool:
        """Forget a feed added outside the config (its items stay); False when there is no such feed."""
        return self.db.run("DELETE FROM feeds WHERE url = %s AND origin = 'store'", (url,)) > 0

    def set_paused(self, url: str, paused: bool) -> bool:
        """Pause or resume polling a feed; False when there is no such feed."""
        return self.db.run("UPDATE feeds SET paused = %s WHERE url = %s", (paused, url)) > 0

    def all(self) -> list[FeedState]:
        return [_feed(r) for r in self.db.all("SELECT * FROM feeds ORDER BY url")]

    def get(self, urls: Sequence[str]) -> list[FeedState]:
        if not urls:
            return []
        return [_feed(r) for r in self.db.all("SELECT * FROM feeds WHERE url = ANY(%s) ORDER BY url", [list(urls)])]

    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None:
        """A successful poll (200 or 304): keep validators, clear the failure streak.

        Committed without waiting for the disk (as SQLite's WAL with synchronous=NORMAL does): losing
        the last few fetch states to a server crash only means polling those feeds once more."""
        self.db.run(
            """UPDATE feeds SET last_status = %s, last_polled_at = %s, last_success_at = %s,
                   etag = COALESCE(%s, etag), last_modified = COALESCE(%s, last_modified),
                   title = COALESCE(%s, title), consecutive_failures = 0, failure_notified = false,
                   next_poll_at = %s WHERE url = %s AND set_config('synchronous_commit', 'off', true) = 'off'""",
            (status, ts(now), ts(now), etag, last_modified, title or None, ts(next_poll_at), url),
        )

    def record_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                       next_poll_at: datetime, counted: bool = True) -> int:
        """A failed poll; returns the failure streak (not lengthened when not ``counted``: not the feed's failure)."""
        row = self.db.one(
            """UPDATE feeds SET last_status = %s, last_polled_at = %s, last_error = %s, last_error_at = %s,
                   consecutive_failures = consecutive_failures + %s, next_poll_at = %s WHERE url = %s
               RETURNING consecutive_failures""",
            (status, ts(now), error, ts(now), int(counted), ts(next_poll_at), url),
        )
        return int(row["consecutive_failures"]) if row else 0

    def mark_failure_notified(self, url: str) -> None:
        self.db.run("UPDATE feeds SET failure_notified = true WHERE url = %s", (url,))

    def record_body(self, url: str, *, items: int, ttl: float | None, update: float | None,
                    warning: str | None = None) -> None:
        """What the feed's last body held and asked for (None: nothing), and what was wrong with it although it
        was read; kept for the polls that get a 304."""
        self.db.run("UPDATE feeds SET last_items = %s, ttl_seconds = %s, update_seconds = %s, last_warning = %s "
                    "WHERE url = %s",
                    (items, ttl, update, warning, url))

    def record_interval(self, url: str, *, seconds: float, reason: str) -> None:
        """The poll interval chosen after the last poll, and why."""
        self.db.run("UPDATE feeds SET interval_seconds = %s, interval_reason = %s WHERE url = %s",
                    (seconds, reason, url))

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 1000) -> list[str]:
        """Due feeds, each handed out once (rows another process is claiming are skipped): their next poll
        moves to ``until`` until the poll records its own (a paused feed is never due: no process would poll it)."""
        rows = self.db.all(
            """UPDATE feeds SET next_poll_at = %s WHERE url IN
                   (SELECT url FROM feeds WHERE (next_poll_at IS NULL OR next_poll_at <= %s) AND NOT paused
                    ORDER BY next_poll_at NULLS FIRST, url LIMIT %s FOR UPDATE SKIP LOCKED)
               RETURNING url""", (ts(until), ts(now), limit))
        return sorted(r["url"] for r in rows)


def _feed(r: Row) -> FeedState:
    return FeedState(
        url=r["url"], name=r["name"], title=r["title"], etag=r["etag"], last_modified=r["last_modified"],
        last_status=r["last_status"], last_polled_at=utc(r["last_polled_at"]),
        last_success_at=utc(r["last_success_at"]), last_error=r["last_error"],
        last_error_at=utc(r["last_error_at"]), consecutive_failures=r["consecutive_failures"],
        next_poll_at=utc(r["next_poll_at"]), items_total=r["items_total"],
        failure_notified=bool(r["failure_notified"]), last_items=r["last_items"], ttl_seconds=r["ttl_seconds"],
        update_seconds=r["update_seconds"], interval_seconds=r["interval_seconds"],
        interval_reason=r["interval_reason"], origin=r["origin"], paused=bool(r["paused"]),
        last_warning=r["last_warning"],
    )
