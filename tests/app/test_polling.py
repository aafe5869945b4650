"""Poll scheduling: backoff growth, cap, jitter, Retry-After, and the plan over stored due times. Pure, no IO."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.app.polling import MAX_BACKOFF, PollPlan, due_at, jitter, next_poll, tick_seconds
from bot.store.protocols import FeedState

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
TEN_MIN = timedelta(minutes=10)


def feed(url: str, *, next_poll_at: datetime | None = None, failures: int = 0) -> FeedState:
    return FeedState(url=url, name="", title="", etag=None, last_modified=None, last_status=None,
                     last_polled_at=None, last_success_at=None, last_error=None, last_error_at=None,
                     consecutive_failures=failures, next_poll_at=next_poll_at, items_total=0)


@pytest.mark.parametrize(("interval", "most"), [(2.0, 0.2), (600.0, 30.0), (86400.0, 30.0)])
def test_jitter_is_stable_and_bounded(interval: float, most: float) -> None:
    values = [jitter(f"https://feeds.example/{i}", interval) for i in range(300)]
    assert all(timedelta(0) <= v < timedelta(seconds=most) for v in values)
    assert len(set(values)) > 250  # spread, not one value
    assert jitter("https://feeds.example/7", interval) == values[7]


@pytest.mark.parametrize(("state", "expected"), [
    (feed("u"), NOW),  # never polled: now
    (feed("u", next_poll_at=NOW + timedelta(hours=2), failures=3), NOW + timedelta(hours=2)),  # backoff as stored
    (feed("u", next_poll_at=NOW + timedelta(minutes=10)), NOW + timedelta(minutes=10)),  # as stored
])
def test_due_at(state: FeedState, expected: datetime) -> None:
    assert due_at(state, NOW) == expected


def test_a_healthy_feed_is_due_one_interval_and_its_stable_jitter_later() -> None:
    """The jitter is in the stored time, so the CLI, the service and `watchbot feeds` agree."""
    when = next_poll(NOW, TEN_MIN, 0, retry_after=None, rng=random.Random(1), url="https://a.example/rss")
    assert when == NOW + TEN_MIN + jitter("https://a.example/rss", 600)


@pytest.mark.parametrize(("intervals", "tick"), [([2.0], 0.2), ([0.5], 0.1), ([600.0, 30.0], 1.0), ([], 1.0)])
def test_tick(intervals: list[float], tick: float) -> None:
    assert tick_seconds(intervals) == tick


def test_take_gives_due_feeds_earliest_first_within_the_slots() -> None:
    plan = PollPlan()
    for i, minutes in enumerate([5, -3, -1, -2]):
        plan.set(feed(f"f{i}", next_poll_at=NOW + timedelta(minutes=minutes), failures=1), NOW)
    assert plan.take(NOW, slots=2) == ["f1", "f3"]
    assert plan.take(NOW, slots=5) == ["f2"]  # the in-flight ones are not handed out again
    assert plan.next_due() == NOW + timedelta(minutes=5)
    assert plan.take(NOW + timedelta(minutes=6), slots=5) == ["f0"]
    assert plan.take(NOW + timedelta(minutes=6), slots=5) == []


def test_done_replans_with_the_state_set_while_in_flight() -> None:
    plan = PollPlan()
    plan.set(feed("a"), NOW)
    assert plan.take(NOW, 1) == ["a"]
    later = replace(feed("a"), next_poll_at=NOW + timedelta(minutes=1))
    plan.set(later, NOW)  # the poll finished: stored next_poll_at moved on
    assert plan.take(NOW + timedelta(hours=1), 1) == []  # still in flight
    plan.done("a")
    assert plan.take(NOW, 1) == []
    assert plan.take(NOW + timedelta(minutes=2), 1) == ["a"]


def test_overdue_counts_feeds_waiting_past_the_grace() -> None:
    plan = PollPlan()
    plan.set(feed("a", next_poll_at=NOW - timedelta(minutes=10), failures=1), NOW)
    plan.set(feed("b", next_poll_at=NOW - timedelta(seconds=10), failures=1), NOW)
    assert plan.overdue(NOW, timedelta(minutes=1)) == 1
    plan.take(NOW, 5)
    assert plan.overdue(NOW, timedelta(minutes=1)) == 0  # in flight is not overdue


class FixedRandom(random.Random):
    """A random source stuck at one value, to pin jitter to its bounds."""

    def __init__(self, value: float) -> None:
        super().__init__(0)
        self.value = value

    def random(self) -> float:
        return self.value


LOW, HIGH = FixedRandom(0.0), FixedRandom(math.nextafter(1.0, 0.0))


@pytest.mark.parametrize(
    ("failures", "longest", "shortest"),
    [
        (0, TEN_MIN, TEN_MIN),  # healthy: exactly one interval, no jitter
        (1, timedelta(minutes=20), timedelta(minutes=15)),
        (2, timedelta(minutes=40), timedelta(minutes=30)),
        (3, timedelta(minutes=80), timedelta(minutes=60)),
        (5, timedelta(minutes=320), timedelta(minutes=240)),
        (6, MAX_BACKOFF, MAX_BACKOFF * 0.75),  # 640 min would pass the cap
        (60, MAX_BACKOFF, MAX_BACKOFF * 0.75),
        (10_000, MAX_BACKOFF, MAX_BACKOFF * 0.75),  # no overflow
    ],
)
def test_backoff_grows_and_is_capped(failures: int, longest: timedelta, shortest: timedelta) -> None:
    assert next_poll(NOW, TEN_MIN, failures, retry_after=None, rng=LOW) == NOW + longest
    assert next_poll(NOW, TEN_MIN, failures, retry_after=None, rng=HIGH) - NOW == pytest.approx(
        shortest, abs=timedelta(milliseconds=1)
    )


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize("failures", [1, 2, 4, 7, 30])
def test_jitter_stays_within_bounds(seed: int, failures: int) -> None:
    delay = next_poll(NOW, TEN_MIN, failures, retry_after=None, rng=random.Random(seed)) - NOW
    base = min(MAX_BACKOFF, TEN_MIN * 2**failures)
    assert base * 0.75 <= delay <= base
    assert delay >= TEN_MIN  # a failing feed is never polled more often than a healthy one


def test_jitter_spreads_feeds_that_failed_together() -> None:
    rng = random.Random(42)
    delays = {next_poll(NOW, TEN_MIN, 3, retry_after=None, rng=rng) for _ in range(100)}
    assert len(delays) > 90


def test_recovery_returns_to_the_plain_interval() -> None:
    rng = random.Random(1)
    backed_off = next_poll(NOW, TEN_MIN, 8, retry_after=None, rng=rng)
    assert backed_off - NOW > timedelta(hours=4)
    assert next_poll(NOW, TEN_MIN, 0, retry_after=None, rng=rng) == NOW + TEN_MIN


def test_a_long_interval_is_never_shortened_by_the_cap() -> None:
    day = timedelta(days=1)
    assert next_poll(NOW, day, 3, retry_after=None, rng=LOW) == NOW + day
    assert next_poll(NOW, day, 0, retry_after=None, rng=LOW) == NOW + day


@pytest.mark.parametrize(
    ("failures", "retry_after", "expected"),
    [
        (0, 3600.0, timedelta(hours=1)),  # the server asks for longer than the interval
        (1, 3600.0, timedelta(hours=1)),  # ... and longer than the backoff
        (1, 60.0, timedelta(minutes=20)),  # shorter than the backoff: backoff wins
        (0, 60.0, TEN_MIN),  # never sooner than the interval
        (1, 86400.0 * 365, MAX_BACKOFF),  # a year is capped
        (1, math.inf, timedelta(minutes=20)),  # nonsense is ignored
        (1, math.nan, timedelta(minutes=20)),
        (1, -5.0, timedelta(minutes=20)),
    ],
)
def test_retry_after_is_obeyed_up_to_the_cap(
    failures: int, retry_after: float, expected: timedelta
) -> None:
    assert next_poll(NOW, TEN_MIN, failures, retry_after=retry_after, rng=LOW) == NOW + expected


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_poll(datetime(2026, 1, 1), TEN_MIN, 0, retry_after=None, rng=LOW)  # noqa: DTZ001


@given(
    failures=st.integers(min_value=0, max_value=10_000),
    interval_s=st.integers(min_value=1, max_value=7 * 86400),
    retry_after=st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_next_poll_laws(failures: int, interval_s: int, retry_after: float | None, seed: int) -> None:
    """Never sooner than one interval, never later than the cap (or the interval, if longer)."""
    interval = timedelta(seconds=interval_s)
    delay = next_poll(NOW, interval, failures, retry_after=retry_after, rng=random.Random(seed)) - NOW
    assert interval <= delay <= max(MAX_BACKOFF, interval)
    if failures == 0 and retry_after is None:
        assert delay == interval


def test_a_feed_out_there_pinned_to_seconds_is_warned_of_at_start(tmp_path) -> None:
    """`interval = "1s"` on a publisher's feed polled it every second (a fixed interval is the config's word); the
    service now says so at start. Loopback and private hosts (tests, local mirrors) and files are left alone."""
    import tomllib

    from bot.app.polling import eager
    from bot.config import parse_config

    text = """
[[feeds]]
url = "https://news.example/rss"
interval = "1s"
[[feeds]]
url = "https://calm.example/rss"
interval = "5m"
[[feeds]]
url = "http://127.0.0.1:8080/rss"
interval = "1s"
[[feeds]]
url = "http://10.0.0.7/rss"
interval = "1s"
[[feeds]]
url = "local.xml"
interval = "1s"
"""
    config = parse_config(tomllib.loads(text), source="config.toml", base_dir=tmp_path, env={})
    assert eager(config) == ["feeds[0].interval: news.example is polled every 1 s: a publisher may block a reader "
                             "this eager; leave the interval out to adapt to the feed, or pin it to a few minutes"]
