"""When each feed is polled next: the service's plan over the stored ``next_poll_at``. Pure, no IO.

The store keeps each feed's ``next_poll_at``; feeds/health.py folds the interval, backoff and
Retry-After into it. The plan adds a small stable jitter per feed, so feeds configured together
spread over their interval instead of firing in the same instant, and hands out the due feeds
earliest first, never more than the free slots, never a feed that is already in flight:

    plan.set(feed, interval, now)       # after start-up and after each poll of that feed
    plan.take(now, slots)               # the due feeds, now in flight
    plan.done(url)                      # the poll ended (set() again with its new state)

A heap keeps ``take`` cheap with thousands of feeds; superseded heap entries are skipped lazily.
"""

from __future__ import annotations

import hashlib
import heapq
from datetime import datetime, timedelta

from bot.store.base import FeedState

JITTER_SHARE = 0.1  # a feed's jitter is a stable share of up to 10 % of its interval ...
JITTER_CAP = 30.0  # ... and never more than 30 s


def jitter(url: str, interval: float) -> timedelta:
    """A stable per-feed delay in [0, min(10 % of interval, 30 s)): the same feed always gets the same."""
    fraction = int.from_bytes(hashlib.blake2b(url.encode(), digest_size=8).digest(), "big") / 2**64
    return timedelta(seconds=fraction * min(interval * JITTER_SHARE, JITTER_CAP))


def due_at(feed: FeedState, interval: float, now: datetime) -> datetime:
    """When ``feed`` should be polled: never polled means now; a backed-off time is kept as stored."""
    if feed.next_poll_at is None:
        return now  # the first poll of a feed alerts on its current items: no reason to wait
    if feed.consecutive_failures:
        return feed.next_poll_at  # backoff already carries its own jitter
    return feed.next_poll_at + jitter(feed.url, interval)


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

    def set(self, feed: FeedState, interval: float, now: datetime) -> datetime:
        """(Re)plan ``feed`` from its stored state; returns its due time."""
        when = due_at(feed, interval, now)
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
