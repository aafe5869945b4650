"""health.py as tables: backoff growth, cap, jitter bounds, recovery, Retry-After forms, wording."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feeds.health import (
    MAX_BACKOFF,
    describe_seconds,
    describe_size,
    http_failure,
    next_poll,
    parse_retry_after,
)

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
TEN_MIN = timedelta(minutes=10)


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


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Tue, 24 Nov 2026 09:00:00 GMT", 3600.0),  # IMF-fixdate
        ("Tuesday, 24-Nov-26 08:02:00 GMT", 120.0),  # obsolete RFC 850 form
        ("Tue Nov 24 08:00:30 2026", 30.0),  # obsolete asctime form
        ("Tue, 24 Nov 2026 09:00:00 +0100", 0.0),  # 08:00 UTC: now
        ("Mon, 23 Nov 2026 08:00:00 GMT", 0.0),  # in the past: now
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("9" * 400, None),  # past float range
        ("١٢٠", None),  # non-ASCII digits are not delay-seconds
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("status", "retry_after", "reason", "temporary"),
    [
        (500, None, "HTTP 500", True),
        (502, None, "HTTP 502", True),
        (503, 30.0, "HTTP 503 (retry after 30 s)", True),
        (429, 120.0, "HTTP 429 (retry after 120 s)", True),
        (429, 7200.0, "HTTP 429 (retry after 2 h)", True),
        (408, None, "HTTP 408", True),
        (404, None, "HTTP 404 (not found: is the feed URL right?)", False),
        (410, None, "HTTP 410 (gone: the feed was removed)", False),
        (403, None, "HTTP 403 (access denied: the feed needs a login or blocks us)", False),
        (400, None, "HTTP 400", False),
    ],
)
def test_http_failure(status: int, retry_after: float | None, reason: str, temporary: bool) -> None:
    assert http_failure(status, retry_after) == (reason, temporary)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "20 s"), (0.5, "0.5 s"), (120, "120 s"), (900, "15 min"), (3 * 3600, "3 h"), (5 * 86400, "5 days")],
)
def test_describe_seconds(seconds: float, text: str) -> None:
    assert describe_seconds(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(10_000_000, "10 MB"), (1_500_000, "1.5 MB"), (4_000, "4 kB"), (512, "512 bytes")],
)
def test_describe_size(size: int, text: str) -> None:
    assert describe_size(size) == text


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


@given(st.text(max_size=60))
def test_parse_retry_after_never_raises_and_never_goes_negative(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
