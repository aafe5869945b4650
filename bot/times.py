"""Clocks, times of day and zones: the one home of HH:MM parsing and zone look-ups. Pure (but ``utcnow``).

Every time in watchbot is timezone-aware. Times of day ("07:30") are wall-clock times in a named
IANA zone; an unknown zone name falls back to UTC only where it was validated before (a chat's
/tz, a config entry) and this is a last guard.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


def utcnow() -> datetime:
    """The real clock, timezone-aware (use-cases take a clock; only the wiring passes this one)."""
    return datetime.now(UTC)


def parse_hhmm(text: str) -> time:
    """'07:30' or '7:30' -> time(7, 30); ValueError with a readable message otherwise."""
    m = _HHMM.match(text.strip())
    if m is None:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM in 24-hour time, e.g. 07:30)")
    return time(int(m.group(1)), int(m.group(2)))


def hhmm(text: str) -> str | None:
    """'7:30' -> '07:30'; None when ``text`` is not a 24-hour time of day."""
    try:
        return f"{parse_hhmm(text):%H:%M}"
    except ValueError:
        return None


def zone(name: str) -> ZoneInfo:
    """The IANA zone, or UTC for a name that is not one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@cache
def _zones() -> dict[str, str]:
    return {z.lower(): z for z in available_timezones()}


def valid_zone(name: str) -> str | None:
    """The IANA zone name if ``name`` is one (case-insensitive), else None."""
    return _zones().get(name.strip().lower())


def all_zones() -> list[str]:
    return sorted(_zones().values())
