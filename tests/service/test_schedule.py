"""The poll plan: due times from stored state, jitter, slots, in-flight feeds. Pure, no IO."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.schedule import PollPlan, due_at, jitter, tick_seconds
from bot.store.base import FeedState

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


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
    (feed("u", next_poll_at=NOW + timedelta(minutes=10)), NOW + timedelta(minutes=10) + jitter("u", 600)),
])
def test_due_at(state: FeedState, expected: datetime) -> None:
    assert due_at(state, 600, NOW) == expected


@pytest.mark.parametrize(("intervals", "tick"), [([2.0], 0.2), ([0.5], 0.1), ([600.0, 30.0], 1.0), ([], 1.0)])
def test_tick(intervals: list[float], tick: float) -> None:
    assert tick_seconds(intervals) == tick


def test_take_gives_due_feeds_earliest_first_within_the_slots() -> None:
    plan = PollPlan()
    for i, minutes in enumerate([5, -3, -1, -2]):
        plan.set(feed(f"f{i}", next_poll_at=NOW + timedelta(minutes=minutes), failures=1), 60, NOW)
    assert plan.take(NOW, slots=2) == ["f1", "f3"]
    assert plan.take(NOW, slots=5) == ["f2"]  # the in-flight ones are not handed out again
    assert plan.next_due() == NOW + timedelta(minutes=5)
    assert plan.take(NOW + timedelta(minutes=6), slots=5) == ["f0"]
    assert plan.take(NOW + timedelta(minutes=6), slots=5) == []


def test_done_replans_with_the_state_set_while_in_flight() -> None:
    plan = PollPlan()
    plan.set(feed("a"), 60, NOW)
    assert plan.take(NOW, 1) == ["a"]
    later = replace(feed("a"), next_poll_at=NOW + timedelta(minutes=1))
    plan.set(later, 60, NOW)  # the poll finished: stored next_poll_at moved on
    assert plan.take(NOW + timedelta(hours=1), 1) == []  # still in flight
    plan.done("a")
    assert plan.take(NOW, 1) == []
    assert plan.take(NOW + timedelta(minutes=2), 1) == ["a"]


def test_overdue_counts_feeds_waiting_past_the_grace() -> None:
    plan = PollPlan()
    plan.set(feed("a", next_poll_at=NOW - timedelta(minutes=10), failures=1), 60, NOW)
    plan.set(feed("b", next_poll_at=NOW - timedelta(seconds=10), failures=1), 60, NOW)
    assert plan.overdue(NOW, timedelta(minutes=1)) == 1
    plan.take(NOW, 5)
    assert plan.overdue(NOW, timedelta(minutes=1)) == 0  # in flight is not overdue
