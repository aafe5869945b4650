"""Feed health in words: what Retry-After means, HTTP failures, durations and sizes. Pure, no IO.

The fetcher (fetch.py) turns transport trouble into FetchError with a ``reason`` built here.
When a feed is polled next is ``bot/app/polling.py``'s business.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

# 4xx answers that say "not now" rather than "never".
_TEMPORARY_4XX = frozenset({408, 425, 429})


def parse_retry_after(value: str, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds or an HTTP date (RFC 9110 10.2.3).

    Returns None for a value that is neither; a date in the past means "now" (0 seconds).
    """
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.replace(".", "", 1).isdigit():
        try:
            seconds = float(text)
        except (ValueError, OverflowError):
            return None
        return seconds if math.isfinite(seconds) else None
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # HTTP dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def http_failure(status: int, retry_after: float | None = None) -> tuple[str, bool]:
    """The reason and whether it is temporary, for an HTTP status that is not a feed body or a 304."""
    reason = f"HTTP {status}"
    if retry_after is not None:
        reason += f" (retry after {describe_seconds(retry_after)})"
    elif status in (401, 403):
        reason += " (access denied: the feed needs a login or blocks us)"
    elif status == 404:
        reason += " (not found: is the feed URL right?)"
    elif status == 410:
        reason += " (gone: the feed was removed)"
    temporary = status >= 500 or status in _TEMPORARY_4XX or status < 400
    return reason, temporary


def describe_seconds(seconds: float) -> str:
    """'0.5 s', '45 s', '12 min', '1.5 h', '3 days': a duration the way a person says it (the one home of it:
    timeouts, Retry-After and poll intervals read alike)."""
    if seconds < 10:
        return f"{round(seconds, 1):g} s"
    if seconds < 120:
        return f"{round(seconds):g} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60):g} min"
    if seconds < 2 * 86400:
        return f"{round(seconds / 3600, 1):g} h"
    return f"{round(seconds / 86400, 1):g} days"


def describe_size(size: int) -> str:
    """'10 MB', '512 kB', '300 bytes' (decimal units, as max_bytes is written in config)."""
    if size >= 1_000_000:
        return f"{round(size / 1_000_000, 1):g} MB"
    if size >= 1_000:
        return f"{round(size / 1_000, 1):g} kB"
    return f"{size} bytes"
