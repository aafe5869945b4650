"""When digests go out: a daily wall-clock trigger in a recipient's zone, and job specs. No IO.

APScheduler 3's CronTrigger with the zone handles daylight saving; DailyTrigger wraps it so that
a digest comes once a day even in the hour the clocks repeat. A DigestJob is what the service
hands to ``scheduler.add_job``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger

from bot.times import parse_hhmm
from bot.times import zone as zone_of


@dataclass(frozen=True, slots=True)
class DigestJob:
    """One scheduler job: add with scheduler.add_job(job.func, job.trigger, args=job.args, id=job.id)."""

    id: str
    trigger: BaseTrigger
    func: Callable[..., Awaitable[Any]]
    args: tuple[Any, ...] = ()


class DailyTrigger(BaseTrigger):
    """Every day at HH:MM wall-clock time in a zone, once a day.

    A CronTrigger with the zone does the work. Around daylight-saving changes: a time the clocks
    skip fires an hour later that day (CronTrigger's choice); a time they repeat (autumn, 02:30 in
    Europe) would fire twice, at both offsets, and fires only the first time here.
    """

    def __init__(self, at: str, zone: str) -> None:
        when = parse_hhmm(at)
        self.at = f"{when:%H:%M}"
        self.zone = zone_of(zone)
        self.cron = CronTrigger(hour=when.hour, minute=when.minute, timezone=self.zone)

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        nxt: datetime | None = self.cron.get_next_fire_time(previous_fire_time, now)
        if previous_fire_time is not None and nxt is not None and _wall(nxt, self.zone) == _wall(
                previous_fire_time, self.zone):
            nxt = self.cron.get_next_fire_time(nxt, max(now, nxt))
        return nxt

    def __repr__(self) -> str:
        return f"<DailyTrigger (at='{self.at}', timezone='{self.zone.key}')>"

    def __str__(self) -> str:
        return f"daily at {self.at} {self.zone.key}"


def _wall(when: datetime, zone: ZoneInfo) -> tuple[int, ...]:
    local = when.astimezone(zone)
    return (local.year, local.month, local.day, local.hour, local.minute)


def daily(at: str, zone: str) -> DailyTrigger:
    """A trigger firing every day at HH:MM wall-clock time in ``zone`` (an IANA name)."""
    return DailyTrigger(at, zone)


def last_fire(trigger: BaseTrigger, now: datetime, *, within: timedelta) -> datetime | None:
    """The trigger's latest fire time in (now - within, now], or None."""
    fire = trigger.get_next_fire_time(None, now - within)
    last = None
    while fire is not None and fire <= now:
        last = fire
        fire = trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
    return last
