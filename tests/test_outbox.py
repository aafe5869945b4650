"""drain(): alerts are marked as each message is answered, so a crash mid-batch repeats only what was in flight."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.deliver.alert import Alert, Outcome, Report
from bot.deliver.outbox import drain, retry_delay
from bot.errors import PermanentDeliveryError, TemporaryDeliveryError
from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


class OneMessageThenCrash:
    """A sender whose process dies after the first of its messages was accepted."""

    channel = "test"
    concurrency = 1

    async def send(self, target: str, alerts: Sequence[Alert], report: Report | None = None) -> list[Outcome]:
        assert report is not None
        report(Outcome((alerts[0].outbox_id,)))
        raise RuntimeError("killed")


class Scripted:
    """Answers each alert as told: None (accepted) or an error."""

    channel = "test"
    concurrency = 2

    def __init__(self, fates: dict[str, object]) -> None:
        self.fates = fates
        self.seen: list[list[str]] = []

    async def send(self, target: str, alerts: Sequence[Alert], report: Report | None = None) -> list[Outcome]:
        self.seen.append([a.title for a in alerts])
        return [Outcome((a.outbox_id,), self.fates.get(a.title)) for a in alerts]  # type: ignore[arg-type]


def _store(tmp_path: Path, titles: list[str], target: str = "42") -> SqliteStore:
    store = SqliteStore(tmp_path / "w.db")
    items = [Item(identity=f"v1:{t}", url=None, link=None, guid=t, title=t, lede="", language="en",
                  published=NOW, feed_url="f") for t in titles]
    store.add_items(items, feed_name="F", now=NOW)
    for item in items:
        store.enqueue(item.identity, "test", target, ["w"], now=NOW)
    return store


async def test_a_crash_mid_batch_keeps_what_was_already_accepted(tmp_path: Path) -> None:
    store = _store(tmp_path, ["a", "b", "c"])
    report = await drain(store, OneMessageThenCrash(), clock=lambda: NOW)
    rows = {r.identity: r.state for r in store.outbox_rows()}
    assert rows == {"v1:a": "sent", "v1:b": "pending", "v1:c": "pending"}
    assert report.sent == 1 and report.retried == 2
    store.close()


async def test_outcomes_become_sent_retry_and_dead(tmp_path: Path) -> None:
    store = _store(tmp_path, ["ok", "later", "never"])
    sender = Scripted({"later": TemporaryDeliveryError("42", "timed out"),
                       "never": PermanentDeliveryError("42", "Bad Request: can't parse entities")})
    report = await drain(store, sender, clock=lambda: NOW)
    assert (report.sent, report.retried, report.dead) == (1, 1, 1)
    rows = {r.identity: r for r in store.outbox_rows()}
    assert rows["v1:ok"].state == "sent"
    assert rows["v1:later"].state == "pending" and rows["v1:later"].next_attempt_at == NOW + timedelta(seconds=30)
    assert rows["v1:never"].state == "dead" and rows["v1:never"].last_error == "Bad Request: can't parse entities"
    assert sender.seen == [["ok", "later", "never"]]  # one batch per target
    assert await drain(store, sender, clock=lambda: NOW) == type(report)()  # nothing due yet
    store.close()


def test_retry_delay_backs_off_and_obeys_the_peer() -> None:
    assert [retry_delay(n, None) for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(30, None) == 3600
    assert retry_delay(1, 7.5) == 7.5
