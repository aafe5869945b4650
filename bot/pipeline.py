"""The one place that wires the stages:

    due feeds | fetch (conditional GET) | parse | normalize | dedupe (seen?) | match | outbox | deliver

Each stage is a module with a narrow job; this module only moves values between them and records
what happened. The fetcher, the store, the rules, the senders and the clock are passed in. One
bad feed never stops the others: its failure is recorded and the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.config import Config
from bot.deliver.alert import Sender
from bot.deliver.outbox import DrainReport, drain
from bot.errors import FeedError, ParseError
from bot.feeds.fetch import Fetcher, FetchRequest
from bot.feeds.health import next_poll
from bot.feeds.parse import parse_feed
from bot.items.normalize import Item, normalize
from bot.store.base import FeedState
from bot.store.sqlite import SqliteStore
from bot.watch import Match, Matcher

log = logging.getLogger("watchbot.poll")

Recipients = Callable[[Sequence[str]], dict[str, tuple[str, ...]]]
"""Given the watchlists an item matched, the targets to alert and the watchlists each follows."""


@dataclass(frozen=True, slots=True)
class Channel:
    """An instant-alert channel: who follows what, and how to send."""

    sender: Sender
    recipients: Recipients


def everyone(watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The console follows every watchlist."""
    return {"stdout": tuple(watchlists)}


@dataclass(frozen=True, slots=True)
class FeedResult:
    url: str
    label: str
    status: int | None = None
    ms: float = 0.0
    items: int = 0
    new: int = 0
    matched: int = 0
    alerts: int = 0
    error: str | None = None
    warning: str | None = None


@dataclass
class PollSummary:
    feeds: list[FeedResult] = field(default_factory=list)
    delivery: dict[str, DrainReport] = field(default_factory=dict)

    @property
    def failed(self) -> list[FeedResult]:
        return [f for f in self.feeds if f.error]

    def line(self) -> str:
        ok = len(self.feeds) - len(self.failed)
        items = sum(f.items for f in self.feeds)
        new = sum(f.new for f in self.feeds)
        matched = sum(f.matched for f in self.feeds)
        sent = sum(r.sent for r in self.delivery.values())
        waiting = sum(r.retried for r in self.delivery.values())
        dead = sum(r.dead for r in self.delivery.values())
        text = (f"polled {len(self.feeds)} feed{'s' * (len(self.feeds) != 1)}: {ok} ok, {len(self.failed)} failed; "
                f"{items} items, {new} new, {matched} matched; {sent} alert{'s' * (sent != 1)} sent")
        if waiting:
            text += f", {waiting} waiting to retry"
        if dead:
            text += f", {dead} undeliverable"
        return text


def parse_items(body: bytes, *, url: str, headers: dict[str, str], label: str) -> tuple[list[Item], str, str | None]:
    """parse | normalize, for one body (run in a worker thread: it is CPU work)."""
    parsed = parse_feed(body, url=url, headers=headers)
    items = [normalize(e, feed_url=url, feed_title=label or parsed.title) for e in parsed.entries]
    return items, parsed.title, parsed.warning


class Pipeline:
    """Polls feeds and delivers alerts with the parts it is given."""

    def __init__(self, *, config: Config, store: SqliteStore, fetcher: Fetcher, matcher: Callable[[], Matcher],
                 channels: Sequence[Channel], clock: Callable[[], datetime], rng: random.Random | None = None) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher  # a callable so rule reloads take effect on the next item
        self.channels = list(channels)
        self.clock = clock
        self.rng = rng or random.Random()
        self.intervals = {f.url: f.interval or config.poll.interval for f in config.feeds}
        store.sync_feeds((f.url, f.name) for f in config.feeds)

    def due(self, now: datetime, only: Sequence[str] | None = None) -> list[FeedState]:
        """Feeds whose next poll time has come (all named ones when ``only`` is given)."""
        if only:
            return self.store.feeds(list(only))
        configured = set(self.intervals)
        return [f for f in self.store.feeds()
                if f.url in configured and (f.next_poll_at is None or f.next_poll_at <= now)]

    async def poll_once(self, only: Sequence[str] | None = None, *, deliver: bool = True,
                        progress: Callable[[FeedResult], None] | None = None) -> PollSummary:
        """Poll the due (or named) feeds concurrently, then drain the outbox."""
        summary = PollSummary()
        feeds = self.due(self.clock(), only)

        async def one(feed: FeedState) -> None:
            result = await self.poll_feed(feed)
            summary.feeds.append(result)
            if progress:
                progress(result)

        await asyncio.gather(*(one(f) for f in feeds))
        if deliver:
            summary.delivery = await self.deliver()
        return summary

    async def poll_feed(self, feed: FeedState) -> FeedResult:
        """fetch | parse | normalize | dedupe | match | outbox, for one feed. Never raises FeedError."""
        started = time.perf_counter()
        interval = timedelta(seconds=self.intervals.get(feed.url, self.config.poll.interval))
        try:
            fetched = await self.fetcher.fetch(FetchRequest(feed.url, feed.etag, feed.last_modified))
            if fetched.not_modified:
                now = self.clock()
                self.store.record_fetch(feed.url, now=now, status=fetched.status, etag=fetched.etag,
                                        last_modified=fetched.last_modified, title=None,
                                        next_poll_at=next_poll(now, interval, 0, retry_after=None, rng=self.rng))
                return self._done(FeedResult(feed.url, feed.label, fetched.status), started)
            items, title, warning = await asyncio.to_thread(
                parse_items, fetched.body, url=feed.url, headers=dict(fetched.headers), label=feed.name)
        except FeedError as e:
            now = self.clock()
            status = e.status
            failures = feed.consecutive_failures + 1
            when = next_poll(now, interval, failures, retry_after=e.retry_after, rng=self.rng)
            self.store.record_fetch_failure(feed.url, now=now, status=status, error=e.reason, next_poll_at=when)
            kind = "parse" if isinstance(e, ParseError) else "fetch"
            log.warning("feed %s: %s failed: %s", feed.label, kind, e.reason)
            return self._done(FeedResult(feed.url, feed.label, status, error=e.reason), started)

        now = self.clock()
        # One transaction from "seen" to "queued": a crash in between must not leave items stored
        # as seen but never matched or alerted (the next poll would find nothing new).
        with self.store.transaction():
            new = self.store.add_items(items, feed_name=feed.name or title, now=now)
            matched = alerts = 0
            matcher = self.matcher()
            for item in new:
                matches = matcher.match({"title": item.title, "lede": item.lede})
                if not matches:
                    continue
                matched += 1
                self.store.record_matches(item.identity, matches, now=now)
                if self._fresh(item, now):
                    alerts += self.enqueue(item, matches, now)
            self.store.record_fetch(feed.url, now=now, status=fetched.status, etag=fetched.etag,
                                    last_modified=fetched.last_modified, title=title,
                                    next_poll_at=next_poll(now, interval, 0, retry_after=None, rng=self.rng))
        return self._done(FeedResult(feed.url, feed.label, fetched.status, items=len(items), new=len(new),
                                     matched=matched, alerts=alerts, warning=warning), started)

    def enqueue(self, item: Item, matches: Sequence[Match], now: datetime) -> int:
        """Write one outbox row per (item, target), listing the watchlists that target follows."""
        watchlists = [m.watchlist for m in matches]
        count = 0
        for channel in self.channels:
            for target, followed in channel.recipients(watchlists).items():
                if followed and self.store.enqueue(item.identity, channel.sender.channel, target, followed, now=now):
                    count += 1
        return count

    async def deliver(self) -> dict[str, DrainReport]:
        """Drain the outbox of every channel once."""
        reports = {}
        for channel in self.channels:
            reports[channel.sender.channel] = await drain(self.store, channel.sender, clock=self.clock)
        return reports

    def _fresh(self, item: Item, now: datetime) -> bool:
        """poll.max_age: old items are stored and matched but not alerted."""
        max_age = self.config.poll.max_age
        if not max_age or item.published is None:
            return True
        return now - item.published <= timedelta(seconds=max_age)

    def _done(self, result: FeedResult, started: float) -> FeedResult:
        result = replace(result, ms=(time.perf_counter() - started) * 1000)
        log.info("poll %s status=%s ms=%.0f items=%d new=%d matched=%d%s", result.label, result.status,
                 result.ms, result.items, result.new, result.matched, f" error={result.error}" if result.error else "")
        return result
