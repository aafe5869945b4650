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
