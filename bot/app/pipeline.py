"""The one place that wires the stages of a poll:

    due feeds | fetch (conditional GET) | parse | normalize | dedupe (seen?) | match | outbox | deliver

Each stage is a module with a narrow job; this use-case only moves values between them and records
what happened. The fetcher, the store, the rules, the alert channels and the clock are passed in.
Parsing runs in a small pool of worker threads, store work (dedupe, matching, queueing) in the
store's own thread: the event loop never waits on either. One bad feed never stops the others: its
failure is recorded and the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.app.alerts import Alerts, DrainReport
from bot.app.polling import due, next_poll
from bot.config import Config
from bot.errors import FeedError, ParseError, StoreError
from bot.feeds.fetch import Fetched, Fetcher, FetchRequest
from bot.feeds.parse import parse_feed
from bot.items.normalize import Item, normalize
from bot.store.protocols import FeedState, Store
from bot.watch import Matcher

log = logging.getLogger("watchbot.poll")

# Parsing multi-MB bodies in many threads grows glibc's per-thread arenas (RSS that never comes back);
# two threads keep both cores busy and the arenas few.
PARSE_THREADS = 2
_parsers: ThreadPoolExecutor | None = None


def _parse_pool() -> ThreadPoolExecutor:
    global _parsers
    if _parsers is None:
        _parsers = ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="parse")
    return _parsers


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
    """Polls feeds and queues alerts with the parts it is given."""

    def __init__(self, *, config: Config, store: Store, fetcher: Fetcher, matcher: Callable[[], Matcher],
                 alerts: Alerts, clock: Callable[[], datetime], rng: random.Random | None = None) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher  # a callable so rule reloads take effect on the next item
        self.alerts = alerts
        self.clock = clock
        self.rng = rng or random.Random()
        self.intervals = {f.url: f.interval or config.poll.interval for f in config.feeds}

    def interval(self, url: str) -> float:
        return self.intervals.get(url, self.config.poll.interval)

    async def due(self, now: datetime, only: Sequence[str] | None = None) -> list[FeedState]:
        """Feeds whose next poll time has come (all named ones when ``only`` is given)."""
        if only:
            return await self.store.run(self.store.feeds.get, list(only))
        feeds = await self.store.run(self.store.feeds.all)
        return due(self.polled(feeds), now)

    def polled(self, feeds: Sequence[FeedState]) -> list[FeedState]:
        """The feeds to poll: the config's and those added in the store (web, `watchbot feeds add`), unpaused."""
        return [f for f in feeds if not f.paused and (f.url in self.intervals or f.origin == "store")]

    async def poll_once(self, only: Sequence[str] | None = None, *, deliver: bool = True,
                        progress: Callable[[FeedResult], None] | None = None) -> PollSummary:
        """Poll the due (or named) feeds concurrently, then drain the outbox."""
        summary = PollSummary()
        feeds = await self.due(self.clock(), only)

        async def one(feed: FeedState) -> None:
            result = await self.poll_feed(feed)
            summary.feeds.append(result)
            if progress:
                progress(result)

        await asyncio.gather(*(one(f) for f in feeds))
        if deliver:
            summary.delivery = await self.alerts.drain()
        return summary

    async def poll_feed(self, feed: FeedState) -> FeedResult:
        """fetch | parse | normalize | dedupe | match | outbox, for one feed. Never raises FeedError."""
        started = time.perf_counter()
        interval = timedelta(seconds=self.interval(feed.url))
        try:
            fetched = await self.fetcher.fetch(FetchRequest(feed.url, feed.etag, feed.last_modified))
            if fetched.not_modified:
                now = self.clock()
                await self.store.run(
                    self.store.feeds.record_fetch, feed.url, now=now, status=fetched.status, etag=fetched.etag,
                    last_modified=fetched.last_modified, title=None,
                    next_poll_at=next_poll(now, interval, 0, retry_after=None, rng=self.rng, url=feed.url))
                return self._done(FeedResult(feed.url, feed.label, fetched.status), started)
            loop = asyncio.get_running_loop()
            items, title, warning = await loop.run_in_executor(
                _parse_pool(), lambda: parse_items(fetched.body, url=feed.url, headers=dict(fetched.headers),
                                                   label=feed.name))
        except FeedError as e:
            kind = "parse" if isinstance(e, ParseError) else "fetch"
            return await self._failed(feed, interval, e.reason, e.status, e.retry_after, kind, started)

        now = self.clock()
        try:
            new, matched, alerts = await self.store.run(self._ingest, feed, items, title, fetched, interval, now)
        except StoreError as e:
            return await self._failed(feed, interval, str(e), fetched.status, None, "store", started)
        return self._done(FeedResult(feed.url, feed.label, fetched.status, items=len(items), new=new,
                                     matched=matched, alerts=alerts, warning=warning), started)

    def _ingest(self, feed: FeedState, items: list[Item], title: str, fetched: Fetched, interval: timedelta,
                now: datetime) -> tuple[int, int, int]:
        """dedupe | match | outbox | record the fetch, in the store's thread and one transaction:
        a crash in between must not leave items stored as seen but never matched or alerted."""
        matcher = self.matcher()
        matched = alerts = 0
        with self.store.transaction():
            new = self.store.items.add(items, feed_name=feed.name or title, now=now)
            for item in new:
                try:
                    matches = matcher.match({"title": item.title, "lede": item.lede})
                except Exception:  # a matcher bug on one item must not lose the feed's other items
                    log.exception("matching %s failed; the item is stored unmatched", item.link or item.identity)
                    continue
                if not matches:
                    continue
                matched += 1
                self.store.items.record_matches(item.identity, matches, now=now)
                if self._fresh(item, now):
                    alerts += self.alerts.enqueue(item, [m.watchlist for m in matches], now)
            self.store.feeds.record_fetch(
                feed.url, now=now, status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                title=title,
                next_poll_at=next_poll(now, interval, 0, retry_after=None, rng=self.rng, url=feed.url))
        return len(new), matched, alerts

    async def _failed(self, feed: FeedState, interval: timedelta, reason: str, status: int | None,
                      retry_after: float | None, kind: str, started: float) -> FeedResult:
        now = self.clock()
        when = next_poll(now, interval, feed.consecutive_failures + 1, retry_after=retry_after, rng=self.rng)
        try:
            await self.store.run(self.store.feeds.record_failure, feed.url, now=now, status=status, error=reason,
                                 next_poll_at=when)
        except StoreError as e:
            log.error("feed %s: cannot record its failure: %s", feed.label, e)
        log.warning("feed %s: %s failed: %s", feed.label, kind, reason)
        return self._done(FeedResult(feed.url, feed.label, status, error=reason), started)

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
