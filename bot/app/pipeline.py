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
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot.app.alerts import Alerts, DrainReport
from bot.app.polling import RHYTHM_WINDOW, Asks, Policy, after_hand_poll, choose_interval, due, next_poll
from bot.config import Config
from bot.errors import FeedError, ParseError, StoreError
from bot.feeds.fetch import Fetched, Fetcher, FetchRequest
from bot.feeds.parse import ParsedFeed, parse_feed
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


def parse_items(body: bytes, *, url: str, headers: dict[str, str], label: str) -> tuple[list[Item], ParsedFeed]:
    """parse | normalize, for one body (run in a worker thread: it is CPU work)."""
    parsed = parse_feed(body, url=url, headers=headers)
    items = [normalize(e, feed_url=url, feed_title=label or parsed.title) for e in parsed.entries]
    return items, dataclasses.replace(parsed, entries=())


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
        self.policies = {f.url: Policy.of(config.poll, f) for f in config.feeds}

    def policy(self, url: str) -> Policy:
        return self.policies.get(url) or Policy.of(self.config.poll)

    def interval(self, url: str) -> float:
        """The feed's fixed interval, else the shortest adaptive one (to try again soon after a surprise)."""
        policy = self.policy(url)
        return policy.fixed if policy.fixed is not None else policy.low

    async def due(self, now: datetime, only: Sequence[str] | None = None) -> list[FeedState]:
        """Feeds whose next poll time has come (all named ones when ``only`` is given)."""
        if only:
            return await self.store.run(self.store.feeds.get, list(only))
        configured = set(self.policies)
        feeds = await self.store.run(self.store.feeds.all)
        return due([f for f in feeds if f.url in configured], now)

    async def poll_once(self, only: Sequence[str] | None = None, *, deliver: bool = True,
                        progress: Callable[[FeedResult], None] | None = None,
                        by_hand: bool = False) -> PollSummary:
        """Poll the due (or named) feeds concurrently, then drain the outbox.

        ``by_hand`` (``watchbot poll``): the polls never move a feed's planned next poll later.
        """
        summary = PollSummary()
        feeds = await self.due(self.clock(), only)

        async def one(feed: FeedState) -> None:
            result = await self.poll_feed(feed, by_hand=by_hand)
            summary.feeds.append(result)
            if progress:
                progress(result)

        await asyncio.gather(*(one(f) for f in feeds))
        if deliver:
            summary.delivery = await self.alerts.drain()
        return summary

    async def poll_feed(self, feed: FeedState, *, by_hand: bool = False) -> FeedResult:
        """fetch | parse | normalize | dedupe | match | outbox, for one feed. Never raises FeedError."""
        started = time.perf_counter()
        try:
            fetched = await self.fetcher.fetch(FetchRequest(feed.url, feed.etag, feed.last_modified))
            if fetched.not_modified:
                await self.store.run(self._unchanged, feed, fetched, self.clock(), by_hand)
                return self._done(FeedResult(feed.url, feed.label, fetched.status), started)
            loop = asyncio.get_running_loop()
            items, parsed = await loop.run_in_executor(
                _parse_pool(), lambda: parse_items(fetched.body, url=feed.url, headers=dict(fetched.headers),
                                                   label=feed.name))
        except FeedError as e:
            kind = "parse" if isinstance(e, ParseError) else "fetch"
            return await self._failed(feed, e.reason, e.status, e.retry_after, kind, started, by_hand)
        except StoreError as e:
            return await self._failed(feed, str(e), None, None, "store", started, by_hand)

        now = self.clock()
        try:
            new, matched, alerts = await self.store.run(self._ingest, feed, items, parsed, fetched, now, by_hand)
        except StoreError as e:
            return await self._failed(feed, str(e), fetched.status, None, "store", started, by_hand)
        return self._done(FeedResult(feed.url, feed.label, fetched.status, items=len(items), new=new,
                                     matched=matched, alerts=alerts, warning=parsed.warning), started)

    def _schedule(self, feed: FeedState, fetched: Fetched, parsed: ParsedFeed | None, now: datetime,
                  by_hand: bool) -> datetime:
        """Choose the feed's interval (polling.choose_interval), record it with its reason; its next poll.
        In the store's thread, inside the caller's transaction."""
        policy = self.policy(feed.url)
        if policy.fixed is not None:
            chosen = choose_interval(now, None, policy)
        else:
            ttl, update = (parsed.ttl, parsed.update_period) if parsed else (feed.ttl_seconds, feed.update_seconds)
            rhythm = self.store.items.rhythm(feed.url, since=now - RHYTHM_WINDOW)
            chosen = choose_interval(now, rhythm, policy, Asks.of(ttl, update, fetched.headers, now))
        self.store.feeds.record_interval(feed.url, seconds=chosen.seconds, reason=chosen.reason)
        when = next_poll(now, timedelta(seconds=chosen.seconds), 0, retry_after=None, rng=self.rng, url=feed.url)
        return after_hand_poll(when, feed.next_poll_at, now) if by_hand else when

    def _unchanged(self, feed: FeedState, fetched: Fetched, now: datetime, by_hand: bool) -> None:
        """A 304: record the fetch and the next poll, in the store's thread."""
        with self.store.transaction():
            self.store.feeds.record_fetch(
                feed.url, now=now, status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                title=None, next_poll_at=self._schedule(feed, fetched, None, now, by_hand))

    def _ingest(self, feed: FeedState, items: list[Item], parsed: ParsedFeed, fetched: Fetched, now: datetime,
                by_hand: bool) -> tuple[int, int, int]:
        """dedupe | match | outbox | record the fetch, in the store's thread and one transaction:
        a crash in between must not leave items stored as seen but never matched or alerted."""
        matcher = self.matcher()
        matched = alerts = 0
        title = parsed.title
        with self.store.transaction():
            self.store.feeds.record_body(feed.url, items=len(items), ttl=parsed.ttl, update=parsed.update_period)
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
                title=title, next_poll_at=self._schedule(feed, fetched, parsed, now, by_hand))
        return len(new), matched, alerts

    async def _failed(self, feed: FeedState, reason: str, status: int | None, retry_after: float | None,
                      kind: str, started: float, hand: bool = False) -> FeedResult:
        now = self.clock()
        policy = self.policy(feed.url)
        # Backoff starts from the interval chosen after the last success (the shortest one if none yet).
        base = policy.fixed if policy.fixed is not None else (feed.interval_seconds or policy.low)
        when = next_poll(now, timedelta(seconds=base), feed.consecutive_failures + 1, retry_after=retry_after,
                         rng=self.rng)
        if hand:
            when = after_hand_poll(when, feed.next_poll_at, now)
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
