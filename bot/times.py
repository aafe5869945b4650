"""Clocks, times of day and zones: the one home of HH:MM parsing and zone look-ups. Pure (but ``utcnow``).

Every time in watchbot is timezone-aware. Times of day ("07:30") are wall-clock times in a named
IANA zone; an unknown zone name falls back to UTC only where it was validated before (a chat's
/tz, a config entry) and this is a last guard.
"""

from __future__ import annotations

import difflib
import re
from datetime import UTC, datetime, time, timedelta
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


# Zones people mean by an offset, an abbreviation or a city that is no IANA name ("/tz UTC+8", "/tz PST", "/tz 北京"):
# the cities of the zones the users of watchbot live in first.
_PEOPLES_ZONES = ("Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Asia/Seoul",
                  "Asia/Kolkata", "Asia/Dubai", "Europe/London", "Europe/Amsterdam", "Europe/Berlin", "Europe/Paris",
                  "Europe/Kyiv", "Europe/Moscow", "America/New_York", "America/Chicago", "America/Denver",
                  "America/Los_Angeles", "America/Sao_Paulo", "Australia/Sydney", "Pacific/Auckland", "UTC")
_ABBREVIATIONS = {"pst": "America/Los_Angeles", "pdt": "America/Los_Angeles", "mst": "America/Denver",
                  "mdt": "America/Denver", "cst": "Asia/Shanghai America/Chicago", "cdt": "America/Chicago",
                  "est": "America/New_York", "edt": "America/New_York", "bst": "Europe/London",
                  "cet": "Europe/Berlin Europe/Paris", "cest": "Europe/Berlin Europe/Paris", "jst": "Asia/Tokyo",
                  "kst": "Asia/Seoul", "hkt": "Asia/Hong_Kong", "ist": "Asia/Kolkata", "sgt": "Asia/Singapore",
                  "aest": "Australia/Sydney", "msk": "Europe/Moscow"}
_CITIES = {"beijing": "Asia/Shanghai", "北京": "Asia/Shanghai", "上海": "Asia/Shanghai", "深圳": "Asia/Shanghai",
           "广州": "Asia/Shanghai", "廣州": "Asia/Shanghai", "中国": "Asia/Shanghai", "中國": "Asia/Shanghai",
           "台北": "Asia/Taipei", "臺北": "Asia/Taipei", "台湾": "Asia/Taipei", "台灣": "Asia/Taipei",
           "香港": "Asia/Hong_Kong", "新加坡": "Asia/Singapore", "东京": "Asia/Tokyo", "東京": "Asia/Tokyo",
           "首尔": "Asia/Seoul", "首爾": "Asia/Seoul", "伦敦": "Europe/London", "倫敦": "Europe/London",
           "纽约": "America/New_York", "紐約": "America/New_York", "washington": "America/New_York",
           "san francisco": "America/Los_Angeles", "brussels": "Europe/Brussels", "the hague": "Europe/Amsterdam",
           "delhi": "Asia/Kolkata", "new delhi": "Asia/Kolkata", "mumbai": "Asia/Kolkata",
           "hong kong": "Asia/Hong_Kong"}
_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$")


def suggest_zones(text: str, now: datetime) -> list[str]:
    """IANA zones a person may mean by ``text`` that is not one: a city with spaces ("New York"), an offset ("UTC+8",
    "+08:00": the zones at that offset ``now``; Etc/GMT-8 means UTC+8, which misleads), an abbreviation ("PST"), a
    city in Chinese ("北京") or a near spelling. At most three, best first."""
    said = " ".join(text.split()).strip()
    found = _named(said, now)
    if not found:
        names = sorted(_zones().values())
        lowered = said.lower()
        found = difflib.get_close_matches(said, names, n=3) or [
            z for z in names for last in [z.rsplit("/", 1)[-1].replace("_", " ").lower()]
            if last in difflib.get_close_matches(lowered, [last], n=1, cutoff=0.8)]
    return list(dict.fromkeys(found))[:3]


def meant_zone(text: str, now: datetime) -> str | None:
    """The one IANA zone ``text`` names as a city, an abbreviation or an offset ("台北", "Taipei", "PST"), or None
    when it names several or none (a near spelling is only ever suggested)."""
    found = list(dict.fromkeys(_named(" ".join(text.split()).strip(), now)))
    return found[0] if len(found) == 1 else None


def _named(said: str, now: datetime) -> list[str]:
    lowered = said.lower()
    zones = _zones()
    found: list[str] = []
    spaced = lowered.replace(" ", "_")
    found += [z for key, z in zones.items()  # (not Etc/GMT+8 for "GMT+8": that one is UTC-8)
              if not key.startswith("etc/") and (key == spaced or key.rsplit("/", 1)[-1] == spaced)]
    found += _CITIES.get(lowered, "").split()
    found += _ABBREVIATIONS.get(lowered, "").split()
    offset = _OFFSET.match(lowered)
    if offset:
        sign = 1 if offset[1] == "+" else -1
        minutes = sign * (int(offset[2]) * 60 + int(offset[3] or 0))
        found += [z for z in _PEOPLES_ZONES
                  if (now.astimezone(ZoneInfo(z)).utcoffset() or timedelta()).total_seconds() == minutes * 60]
    return found


def is_fixed_offset(name: str) -> bool:
    """Whether the IANA zone ``name`` is a fixed offset that never follows daylight saving (EST, Etc/GMT+5)."""
    return name.startswith("Etc/") and name not in ("Etc/UTC", "Etc/GMT") or name in ("EST", "MST", "HST")
