"""Feeds and their fetch state on SQLite. IO: SQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from datetime import datetime

from bot.store.protocols import FeedState
from bot.store.sqlite._db import Transaction, dt, iso, marks


class SqliteFeeds:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def sync(self, feeds: Iterable[tuple[str, str]]) -> None:
        """Make sure each configured (url, name) has a row; names follow the config, which owns them from now on."""
        with Transaction(self.db):
            for url, name in feeds:
                self.db.execute(
                    "INSERT INTO feeds (url, name) VALUES (?, ?) "
                    "ON CONFLICT (url) DO UPDATE SET name = excluded.name, origin = 'config'",
                    (url, name),
                )

    def add(self, url: str, name: str, *, now: datetime) -> bool:
        """A feed added outside the config (origin 'store'); False when the URL is already there."""
        cur = self.db.execute(
            "INSERT INTO feeds (url, name, origin, added_at) VALUES (?, ?, 'store', ?) ON CONFLICT (url) DO NOTHING",
            (url, name, iso(now)))
        return cur.rowcount > 0

    def remove(self, url: str) -> bool:
        """Forget a feed added outside the config (its items stay); False when there is no such feed."""
        return self.db.execute("DELETE FROM feeds WHERE url = ? AND origin = 'store'", (url,)).rowcount > 0

    def set_paused(self, url: str, paused: bool) -> bool:
        """Pause or resume polling a feed; False when there is no such feed."""
        return self.db.execute("UPDATE feeds SET paused = ? WHERE url = ?", (int(paused), url)).rowcount > 0

    def all(self) -> list[FeedState]:
        return [_feed(r) for r in self.db.execute("SELECT * FROM feeds ORDER BY url")]

    def get(self, urls: Sequence[str]) -> list[FeedState]:
        if not urls:
            return []
        rows = self.db.execute(f"SELECT * FROM feeds WHERE url IN ({marks(urls)}) ORDER BY url", list(urls))
        return [_feed(r) for r in rows]

    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None:
        """A successful poll (200 or 304): keep validators, clear the failure streak."""
        self.db.execute(
            """UPDATE feeds SET last_status = ?, last_polled_at = ?, last_success_at = ?,
                   etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),
                   title = COALESCE(?, title), consecutive_failures = 0, failure_notified = 0,
                   next_poll_at = ? WHERE url = ?""",
            (status, iso(now), iso(now), etag, last_modified, title or None, iso(next_poll_at), url),
        )

    def record_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                       next_poll_at: datetime, counted: bool = True) -> int:
        """A failed poll; returns the failure streak (not lengthened when not ``counted``: not the feed's failure)."""
        with Transaction(self.db):
            self.db.execute(
                """UPDATE feeds SET last_status = ?, last_polled_at = ?, last_error = ?, last_error_at = ?,
                       consecutive_failures = consecutive_failures + ?, next_poll_at = ? WHERE url = ?""",
                (status, iso(now), error, iso(now), int(counted), iso(next_poll_at), url),
            )
            row = self.db.execute("SELECT consecutive_failures FROM feeds WHERE url = ?", (url,)).fetchone()
        return int(row[0]) if row else 0

    def mark_failure_notified(self, url: str) -> None:
        self.db.execute("UPDATE feeds SET failure_notified = 1 WHERE url = ?", (url,))

    def record_body(self, url: str, *, items: int, ttl: float | None, update: float | None,
                    warning: str | None = None) -> None:
        """What the feed's last body held and asked for (None: nothing), and what was wrong with it although it
        was read; kept for the polls that get a 304."""
        self.db.execute("UPDATE feeds SET last_items = ?, ttl_seconds = ?, update_seconds = ?, last_warning = ? "
                        "WHERE url = ?",
                        (items, ttl, update, warning, url))

    def record_interval(self, url: str, *, seconds: float, reason: str) -> None:
        """The poll interval chosen after the last poll, and why."""
        self.db.execute("UPDATE feeds SET interval_seconds = ?, interval_reason = ? WHERE url = ?",
                        (seconds, reason, url))

    def claim_due(self, now: datetime, *, until: datetime, limit: int = 1000) -> list[str]:
        """Due feeds, each handed out once: their next poll moves to ``until`` until the poll records its own (a paused
        feed is never due: no process would poll it)."""
        rows = self.db.execute(
            """UPDATE feeds SET next_poll_at = ? WHERE url IN
                   (SELECT url FROM feeds WHERE (next_poll_at IS NULL OR next_poll_at <= ?) AND NOT paused
                    ORDER BY next_poll_at IS NOT NULL, next_poll_at, url LIMIT ?)
               RETURNING url""", (iso(until), iso(now), limit)).fetchall()
        return sorted(r[0] for r in rows)


def _feed(r: sqlite3.Row) -> FeedState:
    return FeedState(
        url=r["url"], name=r["name"], title=r["title"], etag=r["etag"], last_modified=r["last_modified"],
        last_status=r["last_status"], last_polled_at=dt(r["last_polled_at"]),
        last_success_at=dt(r["last_success_at"]), last_error=r["last_error"],
        last_error_at=dt(r["last_error_at"]), consecutive_failures=r["consecutive_failures"],
        next_poll_at=dt(r["next_poll_at"]), items_total=r["items_total"],
        failure_notified=bool(r["failure_notified"]), last_items=r["last_items"], ttl_seconds=r["ttl_seconds"],
        update_seconds=r["update_seconds"], interval_seconds=r["interval_seconds"],
        interval_reason=r["interval_reason"], origin=r["origin"], paused=bool(r["paused"]),
        last_warning=r["last_warning"],
    )
