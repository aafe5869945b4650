"""When each feed is polled: the one home of poll scheduling. Pure, no IO.

``next_poll`` decides when a feed is due again, and the store keeps that time as ``next_poll_at``:

- success (``failures == 0``): one interval later, plus a small stable jitter per feed (a share
  of up to 10 % of the interval, at most 30 s), so feeds configured together spread out;
- after ``n`` consecutive failures: ``interval * 2**n``, capped at ``max(MAX_BACKOFF, interval)``,
  minus up to a quarter of random jitter so that feeds which failed together do not return
  together (but never sooner than one interval);
- a server's Retry-After (429/503) is obeyed when it asks for longer, up to the same cap,
  because a hostile or confused server must not park a feed for a year.

``due`` picks the feeds whose time has come (``watchbot poll``); the service keeps a ``PollPlan``
over the same stored times and hands out due feeds earliest first, never more than the free
slots, never a feed that is already in flight:

    plan.set(feed, interval, now)       # after start-up and after each poll of that feed
    plan.take(now, slots)               # the due feeds, now in flight
    plan.done(url)                      # the poll ended (set() again with its new state)

A heap keeps ``take`` cheap with thousands of feeds; superseded heap entries are skipped lazily.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable
from datetime import datetime, timedelta

from bot.store.protocols import FeedState

MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.25  # a backed-off delay is drawn from [delay * (1 - JITTER), delay]

JITTER_SHARE = 0.1  # a feed's jitter is a stable share of up to 10 % of its interval ...
JITTER_CAP = 30.0  # ... and never more than 30 s


def jitter(url: str, interval: float) -> timedelta:
    """A stable per-feed delay in [0, min(10 % of interval, 30 s)): the same feed always gets the same."""
    fraction = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big") / 2**64
    return timedelta(seconds=fraction * min(interval * JITTER_SHARE, JITTER_CAP))


def next_poll(
    now: datetime,
    interval: timedelta,
    failures: int,
    *,
    retry_after: float | None,
    rng: random.Random,
    url: str = "",
) -> datetime:
    """When a feed is due again, given its interval and its consecutive failures so far."""
    if now.tzinfo is None:
        raise ValueError("next_poll needs a timezone-aware 'now'")
    if interval <= timedelta(0):
        raise ValueError(f"poll interval must be positive (got {interval})")
    cap = max(MAX_BACKOFF, interval)
    if failures <= 0:
        delay = interval + (jitter(url, interval.total_seconds()) if url else timedelta(0))
    else:
        # 2**n grows past any cap quickly; stop doubling once it is reached (and before overflow).
        factor = 2 ** min(failures, 62)
        base = cap if interval > cap / factor else interval * factor
        delay = max(interval, base * (1 - JITTER * rng.random()))  # never sooner than when healthy
    if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
        asked = cap if retry_after >= cap.total_seconds() else timedelta(seconds=retry_after)
        delay = max(delay, asked)
    return now + delay



def due_at(feed: FeedState, now: datetime) -> datetime:
    """When ``feed`` should be polled: never polled means now, else its stored time."""
    return now if feed.next_poll_at is None else feed.next_poll_at


def due(feeds: Iterable[FeedState], now: datetime) -> list[FeedState]:
    """The feeds whose time has come."""
    return [f for f in feeds if due_at(f, now) <= now]


def tick_seconds(intervals: list[float]) -> float:
    """How often the service looks for due feeds: a tenth of the shortest interval, within 0.1-1 s."""
    shortest = min(intervals, default=60.0)
    return min(1.0, max(0.1, shortest / 10))


class PollPlan:
    """Due times of the configured feeds and which of them are in flight."""

    def __init__(self) -> None:
        self._due: dict[str, datetime] = {}
        self._heap: list[tuple[datetime, str]] = []
        self.in_flight: set[str] = set()

    def __len__(self) -> int:
        return len(self._due)

    def set(self, feed: FeedState, now: datetime) -> datetime:
        """(Re)plan ``feed`` from its stored state; returns its due time."""
        when = due_at(feed, now)
        self.set_due(feed.url, when)
        return when

    def set_due(self, url: str, when: datetime) -> None:
        self._due[url] = when
        if url not in self.in_flight:
            heapq.heappush(self._heap, (when, url))

    def take(self, now: datetime, slots: int) -> list[str]:
        """Up to ``slots`` due feeds, earliest first; they count as in flight until ``done``."""
        taken: list[str] = []
        while self._heap and len(taken) < slots and self._heap[0][0] <= now:
            when, url = heapq.heappop(self._heap)
            if self._due.get(url) != when or url in self.in_flight:
                continue  # superseded by a later set(), or already taken
            self.in_flight.add(url)
            taken.append(url)
        return taken

    def __contains__(self, url: object) -> bool:
        return url in self._due

    def urls(self) -> frozenset[str]:
        return frozenset(self._due)

    def drop(self, url: str) -> None:
        """Stop planning ``url`` (removed or paused); a poll in flight finishes and is not planned again."""
        self._due.pop(url, None)

    def done(self, url: str) -> None:
        """The poll of ``url`` ended; plan it again (its due time as last set, unless set() since)."""
        self.in_flight.discard(url)
        if url in self._due:
            heapq.heappush(self._heap, (self._due[url], url))

    def next_due(self) -> datetime | None:
        """The earliest due time of a feed not in flight."""
        while self._heap:
            when, url = self._heap[0]
            if self._due.get(url) == when and url not in self.in_flight:
                return when
            heapq.heappop(self._heap)
        return None

    def overdue(self, now: datetime, grace: timedelta) -> int:
        """Feeds waiting longer than ``grace`` past their due time (a stuck or saturated poller)."""
        return sum(1 for url, when in self._due.items() if url not in self.in_flight and when + grace < now)
