"""When each feed is polled: the one home of poll scheduling. Pure, no IO.

``choose_interval`` decides how long a healthy feed waits between polls, and says why in words:

- a fixed interval pins it: the feed's own ``interval``, or a duration in ``poll.interval``;
- otherwise (``poll.interval = "auto"``, the default) it follows the feed's posting rhythm, as
  miniflux's entry-frequency scheduler does, from the items of the last week: a feed with ``n``
  new items a day is polled every ``PACE / sqrt(n)``, within ``poll.min_interval`` and
  ``poll.max_interval``, and a feed with none every ``poll.max_interval``. The square root, not
  miniflux's ``week / n``: for a given number of requests, the average delay of an alert is
  smallest when intervals shrink with the square root of the rate (delay weighs rate x interval,
  cost 1 / interval). bench/adaptive.py replays the corpus feeds' real rhythm: 84 % fewer requests
  than fixed 10-minute polling, median alert delay 3.6 min against 4.9;
- it is never shorter than the feed (RSS ``<ttl>``, ``sy:updatePeriod`` / ``sy:updateFrequency``)
  or its server (Cache-Control ``max-age``, ``Expires``) asks, up to ``poll.max_interval``.

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

A poll run by hand (``watchbot poll``) never moves the next planned poll later (``after_hand_poll``):
running it three times must not push the service's next poll of a feed out by three intervals.

``Reachability`` tells a machine cut off from the network from feeds that fail: when feeds of
``OFFLINE_HOSTS`` different hosts got no answer at all (no connection made: timed out connecting, no
route, no name server answering; errors.FeedError.silent) and no host answered since, such a failure is
this machine's, not the feed's, and is not counted (no backoff): after an hour without network every
feed would otherwise wait hours more once it is back. A refusal or an unknown host name is an answer
(some machine out there said no), so dead hosts are never taken for a machine offline.
"""

from __future__ import annotations

import hashlib
import heapq
import math
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from bot.config import Config, FeedConfig, PollConfig
from bot.feeds.address import ip_of, non_public
from bot.feeds.freshness import freshness
from bot.feeds.health import describe_seconds as describe_interval  # one home for durations in words
from bot.feeds.model import PERIODS
from bot.store.protocols import FeedRhythm, FeedState

MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.25  # a backed-off delay is drawn from [delay * (1 - JITTER), delay]

JITTER_SHARE = 0.1  # a feed's jitter is a stable share of up to 10 % of its interval ...
JITTER_CAP = 30.0  # ... and never more than 30 s

RHYTHM_WINDOW = timedelta(days=7)  # how far back a feed's posting rhythm is read (miniflux: a week)
RHYTHM_FLOOR = timedelta(days=1)  # a feed known for less than a day counts as a day: a burst is not a rate
PACE = timedelta(minutes=10)  # one new item a day: polled every PACE; n a day: every PACE / sqrt(n) (bench/adaptive.py)
_PERIOD_NAMES = {seconds: name for name, seconds in PERIODS.items()}  # 3600.0 -> "hourly"


@dataclass(frozen=True, slots=True)
class Policy:
    """What the config says about one feed's interval: pinned (``fixed``), or adaptive within bounds (seconds)."""

    fixed: float | None
    low: float
    high: float

    @classmethod
    def of(cls, poll: PollConfig, feed: FeedConfig | None = None) -> Policy:
        if feed is not None and feed.adaptive:
            return cls(fixed=None, low=poll.min_interval, high=poll.max_interval)
        fixed = feed.interval if feed is not None and feed.interval else poll.interval
        return cls(fixed=fixed, low=poll.min_interval, high=poll.max_interval)


@dataclass(frozen=True, slots=True)
class Asks:
    """How long the feed and its server ask us to wait (seconds), each None when they do not say."""

    ttl: float | None = None  # RSS <ttl>
    update: float | None = None  # sy:updatePeriod / sy:updateFrequency
    cache: float | None = None  # Cache-Control max-age or Expires of the last response ...
    cache_reason: str = ""  # ... and which ("Cache-Control max-age=1800")

    @classmethod
    def of(cls, ttl: float | None, update: float | None, headers: Mapping[str, str], now: datetime) -> Asks:
        """From the feed's hints (ParsedFeed.ttl / update_period) and the response's headers."""
        fresh = freshness(headers, now)
        return cls(ttl=ttl, update=update, cache=fresh[0] if fresh else None, cache_reason=fresh[1] if fresh else "")

    def longest(self) -> tuple[float, str] | None:
        """The longest wait asked for, and who asked."""
        asked = []
        if self.ttl:
            asked.append((self.ttl, describe_ttl(self.ttl)))
        if self.update:
            asked.append((self.update, describe_update(self.update)))
        if self.cache:
            asked.append((self.cache, self.cache_reason or f"cached for {describe_interval(self.cache)}"))
        return max(asked, key=lambda a: a[0], default=None)


def describe_ttl(seconds: float) -> str:
    """A feed's <ttl> as it says it: 'ttl 60 min' (the one wording for `watchbot feeds` and its --verbose)."""
    return f"ttl {round(seconds / 60)} min"


def describe_update(seconds: float) -> str:
    """A feed's sy:updatePeriod (and frequency) as it says it: 'sy:updatePeriod hourly', or
    'sy:updateFrequency: every 12 h' for a period cut by a frequency."""
    period = _PERIOD_NAMES.get(seconds)
    return f"sy:updatePeriod {period}" if period else f"sy:updateFrequency: every {describe_interval(seconds)}"


@dataclass(frozen=True, slots=True)
class Interval:
    """A chosen poll interval and why, in words."""

    seconds: float
    reason: str  # "about 3 new items a day", "ttl 60 min", "Cache-Control max-age=1800", "fixed by config"

    @property
    def every(self) -> str:
        return f"every {describe_interval(self.seconds)}"

    def describe(self) -> str:
        """'about 3 new items a day: every 23 min'."""
        return f"{self.reason}: {self.every}"


def choose_interval(now: datetime, rhythm: FeedRhythm | None, policy: Policy, asks: Asks = Asks()) -> Interval:
    """How long a healthy feed waits before its next poll, and why (see the module docstring)."""
    if policy.fixed is not None:
        return Interval(policy.fixed, "fixed by config")
    per_day = posting_rate(rhythm, now)
    chosen = Interval(rhythm_seconds(per_day, policy.low, policy.high), describe_rate(per_day))
    asked = asks.longest()
    if asked is None or asked[0] <= chosen.seconds:
        return chosen
    seconds, who = asked
    if seconds > policy.high:  # a confused server must not park a feed for a year
        return Interval(policy.high, f"{who}, cut to poll.max_interval")
    return Interval(seconds, who)


def posting_rate(rhythm: FeedRhythm | None, now: datetime) -> float:
    """New items a day over the last week, or over the time the feed has been known if shorter (at least a day).

    A feed that keeps only its last 20 items shows 20 items of the last few hours on its first
    poll: counted over a whole week, as miniflux does, that busy feed would look like a quiet one.
    """
    if rhythm is None:
        return 0.0
    recent = [t for t in rhythm.times if t >= now - RHYTHM_WINDOW]
    if not recent:
        return 0.0
    known_from = min(min(recent), rhythm.watched_since or now)
    span = min(RHYTHM_WINDOW, max(RHYTHM_FLOOR, now - known_from))
    return len(recent) / (span / timedelta(days=1))


def rhythm_seconds(per_day: float, low: float, high: float) -> float:
    """The interval for ``per_day`` new items a day: PACE / sqrt(per_day) within [low, high]; none: high."""
    if per_day <= 0:
        return high
    return min(high, max(low, PACE.total_seconds() / math.sqrt(per_day)))


def describe_rate(per_day: float) -> str:
    """'about 3 new items a day', 'about 2 new items a week', 'no new items in the last week'."""
    if per_day >= 1:
        n, unit = round(per_day), "day"
    else:
        n, unit = round(per_day * 7), "week"
    if n < 1:
        return "no new items in the last week"
    return f"about {n} new item{'s' * (n != 1)} a {unit}"


def after_hand_poll(computed: datetime, planned: datetime | None, now: datetime) -> datetime:
    """The next poll after a poll run by hand: never later than the one already planned (if still ahead)."""
    if planned is not None and planned > now:
        return min(computed, planned)
    return computed


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


OFFLINE_HOSTS = 3  # hosts failing to connect, none answering since, that make this machine the one cut off
OFFLINE_MEMORY = timedelta(minutes=30)  # failures older than this say nothing about now


class Reachability:
    """Whether feed hosts answer at all (see the module docstring). Told every fetch's outcome by the pipeline."""

    def __init__(self) -> None:
        self._unreachable: dict[str, datetime] = {}  # host -> its last silent failure since anything answered

    def answered(self) -> None:
        """Something answered a fetch (any HTTP status, a refusal, "no such host"): the network works."""
        self._unreachable.clear()

    def unreachable(self, host: str, now: datetime) -> None:
        """A fetch from ``host`` got no answer at all (a silent failure: no connection made)."""
        self._unreachable[host] = now

    def offline(self, now: datetime) -> int:
        """How many hosts gave no answer, none answering since, when they are at least OFFLINE_HOSTS; else 0."""
        hosts = sum(1 for at in self._unreachable.values() if now - at <= OFFLINE_MEMORY)
        return hosts if hosts >= OFFLINE_HOSTS else 0


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


EAGER = 60.0  # seconds: a fixed interval shorter than this, on a host out there, is warned of at start


def eager(config: Config) -> list[str]:
    """One line for each feed on a public host that the config pins to be polled more often than once a minute: every
    second hammers the publisher, who may block the reader (adaptive polling never goes below poll.min_interval, but a
    fixed interval is the config's word). Loopback, private and file feeds are left alone: tests and local mirrors."""
    lines = []
    for n, feed in enumerate(config.feeds):
        seconds = Policy.of(config.poll, feed).fixed
        host = urlsplit(feed.url).hostname if feed.url.startswith(("http://", "https://")) else None
        if seconds is None or seconds >= EAGER or host is None or _nearby(host):
            continue
        where = f"feeds[{n}].interval" if feed.interval is not None else "poll.interval"
        lines.append(f"{where}: {host} is polled every {seconds:g} s: a publisher may block a reader this eager; "
                     "leave the interval out to adapt to the feed, or pin it to a few minutes")
    return lines


def _nearby(host: str) -> bool:
    """Whether ``host`` is this machine or a private network's: localhost, or an address that is not public (as the
    redirect rule reads it: ``bot.feeds.address``)."""
    ip = ip_of(host)
    return host == "localhost" or host.endswith(".localhost") or (ip is not None and non_public(ip) is not None)
