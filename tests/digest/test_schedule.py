"""Digest schedules: wall-clock times in each recipient's zone, across daylight-saving changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app.digests import DigestService
from bot.config import Config, EmailConfig, EmailDigestConfig, PollConfig, TelegramConfig
from bot.deliver.email import SmtpSender
from bot.deliver.telegram import TelegramSender
from bot.digest.schedule import daily
from bot.store.sqlite import SqliteStore


def fire_times(trigger: object, start: datetime, n: int) -> list[str]:
    """The next ``n`` fire times after ``start`` as the scheduler computes them (prev, now)."""
    out, prev, now = [], None, start
    for _ in range(n):
        nxt = trigger.get_next_fire_time(prev, now)  # type: ignore[attr-defined]
        assert nxt is not None
        out.append(f"{nxt.astimezone(UTC):%Y-%m-%d %H:%M}Z")
        prev, now = nxt, nxt.astimezone(UTC) + timedelta(seconds=1)
    return out


@pytest.mark.parametrize(("at", "zone", "start", "expected"), [
    # spring forward in Amsterdam: Sunday 29 March 2026, 02:00 CET -> 03:00 CEST
    ("08:00", "Europe/Amsterdam", datetime(2026, 3, 27, 12, tzinfo=UTC),
     ["2026-03-28 07:00Z", "2026-03-29 06:00Z", "2026-03-30 06:00Z"]),
    # fall back: Sunday 25 October 2026, 03:00 CEST -> 02:00 CET
    ("08:00", "Europe/Amsterdam", datetime(2026, 10, 23, 12, tzinfo=UTC),
     ["2026-10-24 06:00Z", "2026-10-25 07:00Z", "2026-10-26 07:00Z"]),
    # a time the clocks skip fires once that day, an hour later (03:30 CEST)
    ("02:30", "Europe/Amsterdam", datetime(2026, 3, 27, 12, tzinfo=UTC),
     ["2026-03-28 01:30Z", "2026-03-29 01:30Z", "2026-03-30 00:30Z"]),
    # a time the clocks repeat fires once, at its first occurrence (02:30 CEST)
    ("02:30", "Europe/Amsterdam", datetime(2026, 10, 23, 12, tzinfo=UTC),
     ["2026-10-24 00:30Z", "2026-10-25 00:30Z", "2026-10-26 01:30Z"]),
    # New York springs forward on 8 March 2026
    ("07:15", "America/New_York", datetime(2026, 3, 6, 18, tzinfo=UTC),
     ["2026-03-07 12:15Z", "2026-03-08 11:15Z", "2026-03-09 11:15Z"]),
    # no daylight saving in Shanghai; the evening before in UTC
    ("08:00", "Asia/Shanghai", datetime(2026, 3, 27, 12, tzinfo=UTC),
     ["2026-03-28 00:00Z", "2026-03-29 00:00Z", "2026-03-30 00:00Z"]),
])
def test_daily_trigger_follows_the_wall_clock(at: str, zone: str, start: datetime, expected: list[str]) -> None:
    assert fire_times(daily(at, zone), start, 3) == expected


def test_plain_cron_fires_twice_in_the_repeated_hour_which_daily_avoids() -> None:
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger

    start = datetime(2026, 10, 24, 12, tzinfo=UTC)
    cron = CronTrigger(hour=2, minute=30, timezone=ZoneInfo("Europe/Amsterdam"))
    assert fire_times(cron, start, 2) == ["2026-10-25 00:30Z", "2026-10-25 01:30Z"]
    assert fire_times(daily("02:30", "Europe/Amsterdam"), start, 2) == ["2026-10-25 00:30Z", "2026-10-26 01:30Z"]


def make_config() -> Config:
    email = EmailConfig(host="127.0.0.1", port=25, security="none", digests=(
        EmailDigestConfig(to=("a@example.com",), at="08:00", timezone="Asia/Shanghai"),
        EmailDigestConfig(to=("b@example.com",), at="18:30", timezone="Europe/Amsterdam"),
    ))
    return Config(storage_url="sqlite:///x.db", rules_path=Path("rules"), poll=PollConfig(), feeds=(), email=email,
                  telegram=TelegramConfig(token="t", digest_at="07:00"))


class NoBot(TelegramSender):
    def __init__(self) -> None:
        pass

    async def post(self, chat_id: int, text: str, markup: object = None) -> int:
        raise AssertionError("not sent in this test")


async def test_jobs_for_email_entries_and_digest_chats_in_their_zones(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    chats = store.chats
    chats.ensure(42, type="private", title="Ann", now=now)
    chats.update(42, tz="America/New_York", now=now)
    chats.subscribe(42, "asml", "digest", now=now)
    chats.ensure(43, type="private", title="Bo", now=now)
    chats.subscribe(43, "asml", "instant", now=now)  # instant only: no digest job
    config = make_config()
    assert config.email is not None
    service = DigestService(config, store, lambda: now, smtp=SmtpSender(config.email), bot=NoBot())
    jobs = {j.id: str(j.trigger) for j in await service.jobs()}
    assert jobs == {
        "digest:email:0": "daily at 08:00 Asia/Shanghai",
        "digest:email:1": "daily at 18:30 Europe/Amsterdam",
        "digest:chat:42": "daily at 07:00 America/New_York",
        "digest:retry": "interval[0:01:00]",
        "digest:sync": "interval[0:05:00]",
    }

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    try:
        await service.install(scheduler)
        assert {j.id for j in scheduler.get_jobs()} == {*jobs, "digest:catch-up"}
        before = scheduler.get_job("digest:chat:42").next_run_time
        retry_at = scheduler.get_job("digest:retry").next_run_time
        await service.set_chat_digest_at(42, "06:45")  # what /digest_at does
        assert scheduler.get_job("digest:retry").next_run_time == retry_at  # unchanged jobs are left alone
        after = scheduler.get_job("digest:chat:42")
        assert str(after.trigger) == "daily at 06:45 America/New_York" and after.next_run_time != before
        chats.unsubscribe(42)
        await service.reschedule()
        assert scheduler.get_job("digest:chat:42") is None
        assert scheduler.get_job("digest:email:0") is not None
    finally:
        scheduler.shutdown(wait=False)
        store.close()


async def test_a_fired_email_job_sends_the_digest_through_the_running_scheduler(tmp_path: Path) -> None:
    from tests.doubles.smtp import SmtpServer
    from tests.waiting import eventually
    from tests.worlds import seed

    store = SqliteStore(tmp_path / "w.db")
    now = datetime.now(UTC)
    seed(store, "a", watchlists=["asml"], at=now - timedelta(hours=1))
    with SmtpServer() as server:
        email = EmailConfig(host="127.0.0.1", port=server.port, security="none",
                            digests=(EmailDigestConfig(to=("a@example.com",), at="08:00", timezone="Asia/Shanghai"),))
        config = Config(storage_url="sqlite:///x.db", rules_path=Path("rules"), poll=PollConfig(), feeds=(),
                        email=email)
        service = DigestService(config, store, lambda: datetime.now(UTC), smtp=SmtpSender(email, timeout=5))
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.start(paused=True)
        try:
            await service.install(scheduler)
            scheduler.modify_job("digest:email:0", next_run_time=datetime.now(UTC))  # as if 08:00 had come
            scheduler.resume()
            await eventually(lambda: server.messages, "the digest to arrive")
            assert [m.rcpt_tos for m in server.messages] == [("a@example.com",)]
        finally:
            scheduler.shutdown(wait=False)
            store.close()
