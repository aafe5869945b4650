"""Delivering the outbox: each alert settled as soon as it is answered, failures kept apart, writes never forgotten."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.alerts import Alerts, retry_delay
from bot.errors import PermanentDeliveryError, SkippedDelivery, TemporaryDeliveryError
from bot.items.normalize import Item
from bot.model import Alert
from bot.store.sqlite import SqliteStore

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


class Scripted:
    """A channel that answers each alert as told: None (accepted), an error, or a crash."""

    name = "test"
    concurrency = 2

    def __init__(self, fates: dict[str, BaseException | None] | None = None) -> None:
        self.fates = fates or {}
        self.seen: list[str] = []

    def recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {"42": tuple(watchlists)}

    async def ready(self, target: str) -> None:
        """Never paced."""

    async def deliver(self, target: str, alert: Alert) -> None:
        self.seen.append(alert.title)
        fate = self.fates.get(alert.title)
        if fate is not None:
            raise fate


def _store(tmp_path: Path, titles: list[str], target: str = "42") -> SqliteStore:
    store = SqliteStore(tmp_path / "w.db")
    items = [Item(identity=f"v1:{t}", url=None, link=None, guid=t, title=t, lede="", language="en",
                  published=NOW, feed_url="f") for t in titles]
    store.items.add(items, feed_name="F", now=NOW)
    for item in items:
        store.outbox.enqueue(item.identity, "test", target, ["w"], now=NOW)
    return store


def states(store: SqliteStore) -> dict[str, str]:
    return {r.identity: r.state for r in store.outbox.rows()}


async def test_a_crash_mid_batch_keeps_what_was_already_accepted(tmp_path: Path) -> None:
    store = _store(tmp_path, ["a", "b", "c"])
    alerts = Alerts(store, [Scripted({"b": asyncio.CancelledError()})], clock=lambda: NOW)
    with pytest.raises(asyncio.CancelledError):
        await alerts.drain()
    assert states(store) == {"v1:a": "sent", "v1:b": "sending", "v1:c": "sending"}
    assert store.outbox.release_in_flight() == 2  # what a restart does: only b and c go out again
    assert states(store) == {"v1:a": "sent", "v1:b": "pending", "v1:c": "pending"}
    store.close()


async def test_outcomes_become_sent_retry_and_dead(tmp_path: Path) -> None:
    store = _store(tmp_path, ["ok", "never", "skipped", "later", "held"])
    channel = Scripted({"later": TemporaryDeliveryError("42", "timed out"),
                        "never": PermanentDeliveryError("42", "Bad Request: can't parse entities"),
                        "skipped": SkippedDelivery("42", "skipped: the chat paused alerts (/pause)")})
    reports = await Alerts(store, [channel], clock=lambda: NOW).drain()
    report = reports["test"]
    assert (report.sent, report.retried, report.dead) == (1, 2, 2)
    rows = {r.identity: r for r in store.outbox.rows()}
    assert rows["v1:ok"].state == "sent"
    assert rows["v1:later"].state == "pending" and rows["v1:later"].next_attempt_at == NOW + timedelta(seconds=30)
    assert rows["v1:never"].state == "dead" and rows["v1:never"].last_error == "Bad Request: can't parse entities"
    # a temporary failure holds the target's later alerts back with it, untried
    assert channel.seen == ["ok", "never", "skipped", "later"] and rows["v1:held"].state == "pending"
    # the admins hear of the malformed message, not of a paused chat's choice
    assert [r.identity for r in store.outbox.unnotified_dead()] == ["v1:never"]
    assert (await Alerts(store, [channel], clock=lambda: NOW).drain())["test"].sent == 0  # nothing due yet
    store.close()


async def test_a_settle_write_refused_by_a_lock_is_retried_and_the_loop_keeps_running(tmp_path: Path) -> None:
    store = _store(tmp_path, ["a"])
    store.db.execute("PRAGMA busy_timeout = 50")  # fail fast, so the retry path is what runs
    blocker = sqlite3.connect(tmp_path / "w.db", isolation_level=None)
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.05)
            ticks += 1

    class LockAfterSend(Scripted):
        async def deliver(self, target: str, alert: Alert) -> None:
            await super().deliver(target, alert)
            blocker.execute("BEGIN IMMEDIATE")  # another process takes the write lock as the message goes out
            asyncio.get_running_loop().call_later(1.0, blocker.execute, "COMMIT")

    beat = asyncio.create_task(heartbeat())
    try:
        report = (await Alerts(store, [LockAfterSend()], clock=lambda: NOW).drain())["test"]
    finally:
        beat.cancel()
    assert report.sent == 1 and states(store) == {"v1:a": "sent"}
    assert ticks >= 10  # the event loop went on while the store was locked
    blocker.close()
    store.close()


def test_retry_delay_backs_off_and_obeys_the_peer() -> None:
    assert [retry_delay(n, None) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30, None) == 3600
    assert retry_delay(1, 7.5) == 7.5


class Paced(Scripted):
    """A channel whose targets each take one message per ``interval`` (as Telegram's chats do), with at
    most one send in flight; it records sends in the order they leave."""

    concurrency = 1

    def __init__(self, interval: float) -> None:
        super().__init__()
        self.interval = interval
        self.next: dict[str, float] = {}
        self.sent: list[tuple[str, str]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def ready(self, target: str) -> None:
        loop = asyncio.get_running_loop()
        wait = self.next.get(target, 0.0) - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)

    async def deliver(self, target: str, alert: Alert) -> None:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.001)
        self.sent.append((target, alert.title))
        self.next[target] = asyncio.get_running_loop().time() + self.interval
        self.in_flight -= 1


async def test_targets_waiting_for_their_pacing_do_not_hold_the_send_slots(tmp_path: Path) -> None:
    """Three chats with three alerts each and one send slot: while a chat waits its second, the others
    are served (the slot is held for the send, not for the chat's whole queue); one send in flight."""
    store = _store(tmp_path, ["a1", "a2", "a3"], target="1")
    for n in (2, 3):
        for t in ("a1", "a2", "a3"):
            store.outbox.enqueue(f"v1:{t}", "test", str(n), ["w"], now=NOW)
    channel = Paced(interval=0.2)
    report = (await Alerts(store, [channel], clock=lambda: NOW).drain())["test"]
    assert report.sent == 9
    assert [target for target, _ in channel.sent[:3]] == ["1", "2", "3"]  # each chat's first, side by side
    for target in ("1", "2", "3"):  # each chat's alerts in order
        assert [title for t, title in channel.sent if t == target] == ["a1", "a2", "a3"]
    assert channel.most_in_flight == 1
    store.close()


async def test_a_poll_by_hand_delivers_every_due_alert_round_after_round(tmp_path: Path) -> None:
    """`watchbot poll` must not exit with alerts still queued because there were more than one round takes."""
    store = _store(tmp_path, [f"t{n}" for n in range(7)] + ["later"])
    channel = Scripted({"later": TemporaryDeliveryError("42", "timed out")})
    told: list[int] = []
    reports = await Alerts(store, [channel], clock=lambda: NOW, limit=3).drain_all(told.append)
    report = reports["test"]
    assert (report.sent, report.retried, report.claimed) == (7, 1, 8)
    assert told == [3, 6]  # after each full round
    assert sorted(channel.seen) == sorted([f"t{n}" for n in range(7)] + ["later"])  # "later" once: not due again
    assert [r.identity for r in store.outbox.rows() if r.state != "sent"] == ["v1:later"]
    store.close()


async def test_a_poll_by_hand_stops_delivering_when_a_full_round_only_met_failures(tmp_path: Path) -> None:
    store = _store(tmp_path, ["a", "b", "c", "d"])
    channel = Scripted({t: TemporaryDeliveryError("42", "Too Many Requests", retry_after=0) for t in "abcd"})
    clock = [NOW]

    def tick() -> datetime:  # every retry is due again at once: only the stop rule ends the rounds
        clock[0] += timedelta(minutes=5)
        return clock[0]

    report = (await Alerts(store, [channel], clock=tick, limit=2).drain_all())["test"]
    assert (report.sent, report.retried, report.claimed) == (0, 2, 2)  # one round, then the rest waits
    store.close()
