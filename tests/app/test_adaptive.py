"""Adaptive poll intervals: the posting rhythm, what the feed and its server ask, pins, words. Pure, no IO."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.polling import (
    PACE,
    Asks,
    Interval,
    Policy,
    after_hand_poll,
    choose_interval,
    describe_interval,
    describe_rate,
    posting_rate,
)
from bot.config import FeedConfig, PollConfig
from bot.store.protocols import FeedRhythm

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
AUTO = Policy(fixed=None, low=120.0, high=6 * 3600.0)
DAY = timedelta(days=1)


def steady(per_day: float, days: float = 7, *, known: timedelta = timedelta(days=30)) -> FeedRhythm:
    """A feed that has posted ``per_day`` items a day, evenly, for ``days`` days; known for ``known``."""
    count = round(per_day * days)
    step = timedelta(days=days) / max(count, 1)
    return FeedRhythm(times=tuple(NOW - step * (i + 0.5) for i in reversed(range(count))),
                      watched_since=NOW - known)


@pytest.mark.parametrize(
    ("rhythm", "per_day"),
    [
        (None, 0.0),  # never polled
        (FeedRhythm((), NOW - DAY * 30), 0.0),  # quiet all week
        (steady(3), 3.0),  # 21 items over a week
        (steady(1 / 7), 1 / 7),  # one item in the week
        (steady(48, days=0.5, known=timedelta(0)), 24.0),  # first poll: 24 items of the last 12 h, read over a day
        (steady(48, days=2, known=timedelta(days=2)), 48.0),  # known for two days: read over two days
        (FeedRhythm((NOW - DAY * 8,), NOW - DAY * 30), 0.0),  # older than the week: not counted
    ],
    ids=["never", "quiet", "3-a-day", "1-a-week", "first-poll-burst", "two-days-known", "too-old"],
)
def test_posting_rate(rhythm: FeedRhythm | None, per_day: float) -> None:
    assert posting_rate(rhythm, NOW) == pytest.approx(per_day)


@pytest.mark.parametrize(
    ("rhythm", "asks", "policy", "seconds", "reason"),
    [
        (steady(1), Asks(), AUTO, PACE.total_seconds(), "about 1 new item a day"),
        (steady(4), Asks(), AUTO, PACE.total_seconds() / 2, "about 4 new items a day"),
        (steady(2 / 7), Asks(), AUTO, PACE.total_seconds() / (2 / 7) ** 0.5, "about 2 new items a week"),
        (steady(500), Asks(), AUTO, 120.0, "about 500 new items a day"),  # poll.min_interval
        (FeedRhythm((), None), Asks(), AUTO, 6 * 3600.0, "no new items in the last week"),  # poll.max_interval
        (steady(4), Asks(ttl=3600.0), AUTO, 3600.0, "ttl 60 min"),
        (steady(4), Asks(ttl=60.0), AUTO, PACE.total_seconds() / 2, "about 4 new items a day"),  # asks less
        (steady(4), Asks(update=3600.0), AUTO, 3600.0, "sy:updatePeriod hourly"),
        (steady(4), Asks(update=1800.0), AUTO, 1800.0, "sy:updateFrequency: every 30 min"),
        (steady(4), Asks(cache=1800.0, cache_reason="Cache-Control max-age=1800"), AUTO, 1800.0,
         "Cache-Control max-age=1800"),
        (steady(4), Asks(ttl=900.0, update=3600.0, cache=1800.0, cache_reason="Cache-Control max-age=1800"), AUTO,
         3600.0, "sy:updatePeriod hourly"),  # the longest ask wins
        (steady(4), Asks(ttl=86400.0 * 365), AUTO, 6 * 3600.0, "ttl 525600 min, cut to poll.max_interval"),
        (steady(4), Asks(ttl=3600.0), Policy(fixed=300.0, low=120.0, high=21600.0), 300.0, "fixed by config"),
        (None, Asks(), Policy(fixed=5.0, low=120.0, high=21600.0), 5.0, "fixed by config"),  # a pin may be short
    ],
    ids=["1-a-day", "4-a-day", "2-a-week", "min", "max", "ttl", "ttl-shorter", "sy-hourly", "sy-twice-hourly",
         "cache-control", "longest-ask", "ttl-capped", "pinned", "pinned-short"],
)
def test_choose_interval(rhythm: FeedRhythm | None, asks: Asks, policy: Policy, seconds: float, reason: str) -> None:
    chosen = choose_interval(NOW, rhythm, policy, asks)
    assert chosen.seconds == pytest.approx(seconds)
    assert chosen.reason == reason


def test_a_busier_feed_is_never_polled_less_often() -> None:
    intervals = [choose_interval(NOW, steady(n), AUTO).seconds for n in (1 / 7, 1, 3, 10, 30, 100, 1000)]
    assert intervals == sorted(intervals, reverse=True)
    assert intervals[0] > intervals[-1]


@pytest.mark.parametrize(
    ("poll", "feed", "fixed"),
    [
        (PollConfig(), FeedConfig("u"), None),  # "auto" is the default
        (PollConfig(interval=600.0), FeedConfig("u"), 600.0),  # a duration in poll.interval pins every feed
        (PollConfig(), FeedConfig("u", interval=300.0), 300.0),  # the feed's own interval pins it
        (PollConfig(interval=600.0), FeedConfig("u", interval=300.0), 300.0),  # ... over poll.interval
        (PollConfig(interval=600.0), FeedConfig("u", adaptive=True), None),  # its "auto" adapts it all the same
    ],
)
def test_policy_from_config(poll: PollConfig, feed: FeedConfig, fixed: float | None) -> None:
    policy = Policy.of(poll, feed)
    assert (policy.fixed, policy.low, policy.high) == (fixed, poll.min_interval, poll.max_interval)


@pytest.mark.parametrize(
    ("interval", "words"),
    [
        (Interval(7200.0, "about 3 new items a day"), "about 3 new items a day: every 2 h"),
        (Interval(3600.0, "ttl 60 min"), "ttl 60 min: every 60 min"),
        (Interval(1800.0, "Cache-Control max-age=1800"), "Cache-Control max-age=1800: every 30 min"),
        (Interval(600.0, "fixed by config"), "fixed by config: every 10 min"),
        (Interval(45.0, "fixed by config"), "fixed by config: every 45 s"),
        (Interval(5400.0, "ttl 90 min"), "ttl 90 min: every 90 min"),
        (Interval(9000.0, "x"), "x: every 2.5 h"),
        (Interval(3 * 86400.0, "x"), "x: every 3 days"),
    ],
)
def test_interval_in_words(interval: Interval, words: str) -> None:
    assert interval.describe() == words


@pytest.mark.parametrize(
    ("per_day", "words"),
    [(0.0, "no new items in the last week"), (1 / 7, "about 1 new item a week"), (0.5, "about 4 new items a week"),
     (1.0, "about 1 new item a day"), (2.6, "about 3 new items a day"), (250.0, "about 250 new items a day")],
)
def test_rate_in_words(per_day: float, words: str) -> None:
    assert describe_rate(per_day) == words


def test_describe_interval_rounds_to_what_a_person_says() -> None:
    assert [describe_interval(s) for s in (30, 119, 120, 7199, 7200, 86400, 2 * 86400)] == [
        "30 s", "119 s", "2 min", "120 min", "2 h", "24 h", "2 days"]


@pytest.mark.parametrize(
    ("computed", "planned", "expected"),
    [
        (NOW + timedelta(hours=2), NOW + timedelta(minutes=20), NOW + timedelta(minutes=20)),  # keeps the plan
        (NOW + timedelta(minutes=5), NOW + timedelta(minutes=20), NOW + timedelta(minutes=5)),  # sooner is fine
        (NOW + timedelta(hours=2), NOW - timedelta(minutes=1), NOW + timedelta(hours=2)),  # the plan was overdue
        (NOW + timedelta(hours=2), None, NOW + timedelta(hours=2)),  # never planned
    ],
    ids=["keeps-plan", "sooner", "overdue", "never"],
)
def test_a_poll_by_hand_never_moves_the_next_poll_later(computed: datetime, planned: datetime | None,
                                                         expected: datetime) -> None:
    assert after_hand_poll(computed, planned, NOW) == expected


_times = st.lists(st.integers(min_value=-10 * 86400, max_value=3600), max_size=300).map(
    lambda offsets: tuple(sorted(NOW + timedelta(seconds=o) for o in offsets)))
_asked = st.one_of(st.none(), st.floats(min_value=1.0, max_value=1e9))


@given(
    times=_times,
    known=st.one_of(st.none(), st.integers(min_value=0, max_value=60 * 86400)),
    low=st.floats(min_value=10.0, max_value=3600.0),
    span=st.floats(min_value=0.0, max_value=7 * 86400.0),
    ttl=_asked, update=_asked, cache=_asked,
    fixed=st.one_of(st.none(), st.floats(min_value=0.5, max_value=1e6)),
)
def test_the_interval_stays_within_the_bounds_unless_pinned(
    times: tuple[datetime, ...], known: int | None, low: float, span: float, ttl: float | None,
    update: float | None, cache: float | None, fixed: float | None,
) -> None:
    policy = Policy(fixed=fixed, low=low, high=low + span)
    rhythm = FeedRhythm(times, None if known is None else NOW - timedelta(seconds=known))
    chosen = choose_interval(NOW, rhythm, policy, Asks(ttl=ttl, update=update, cache=cache, cache_reason="asked"))
    if fixed is not None:
        assert chosen == Interval(fixed, "fixed by config")
    else:
        assert policy.low <= chosen.seconds <= policy.high
        assert chosen.reason
        longest = max((a for a in (ttl, update, cache) if a), default=0.0)
        assert chosen.seconds >= min(longest, policy.high)  # never more often than asked, up to the bound

