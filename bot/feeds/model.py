"""The values a feed body is read into: raw entries and the feed around them. No IO."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from time import struct_time


@dataclass(frozen=True, slots=True)
class Entry:
    """One raw entry as the feed gave it, before normalization."""

    title: str
    link: str | None
    guid: str | None
    content_html: str  # the fullest HTML the entry carries (content, else summary)
    published: datetime | None  # published, else updated; UTC
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    """What a feed body yielded."""

    title: str
    link: str | None
    language: str | None
    entries: tuple[Entry, ...]
    warning: str | None = None  # set when the feed was malformed but still readable
    skipped: tuple[str, ...] = ()  # one reason per entry that could not be read (see skip_reason)
    ttl: float | None = None  # seconds: RSS <ttl>, how long the feed may be cached
    update_period: float | None = None  # seconds: sy:updatePeriod / sy:updateFrequency, how often it changes


# RSS 1.0's syndication module: "hourly" ... "yearly", updateFrequency times per period.
SY = "http://purl.org/rss/1.0/modules/syndication/"
PERIODS = {"hourly": 3600.0, "daily": 86400.0, "weekly": 7 * 86400.0, "monthly": 30 * 86400.0,
            "yearly": 365 * 86400.0}


def ttl_seconds(text: str | None) -> float | None:
    """RSS <ttl> (whole minutes) in seconds; None when absent, zero or not a number."""
    value = (text or "").strip()
    if not value.isascii() or not value.isdigit() or int(value) == 0:
        return None
    return int(value) * 60.0


def update_seconds(period: str | None, frequency: str | None) -> float | None:
    """sy:updatePeriod / sy:updateFrequency in seconds between updates; None when the feed says nothing usable.

    The module's defaults apply to the half that is missing ("daily", 1); a frequency that is not a
    positive whole number counts as 1, an unknown period as nothing said.
    """
    period_text = (period or "").strip().lower()
    frequency_text = (frequency or "").strip()
    if not period_text and not frequency_text:
        return None
    length = PERIODS.get(period_text or "daily")
    if length is None:
        return None
    times = int(frequency_text) if frequency_text.isascii() and frequency_text.isdigit() else 1
    return length / max(times, 1)


def utc_from_struct(value: struct_time | None) -> datetime | None:
    if value is None or value[0] < 1970:  # "Mon, 01 Jan 0001" means "no date"
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def skip_reason(position: int, title: str, why: str) -> str:
    """Why one entry was skipped, naming it by position (1-based) and the start of its title."""
    short = " ".join(title.split())
    name = f"item {position}" + (f" ({short[:60]!r})" if short else "")
    return f"{name}: {why}"


def describe_error(exc: object) -> str:
    """The first line of an exception's text (or its type name), at most 200 characters."""
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:200]
