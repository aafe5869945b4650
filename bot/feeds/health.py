"""Feed health: when to poll next, what Retry-After means, and failures in words. Pure, no IO.

The fetcher (fetch.py) turns transport trouble into FetchError with a ``reason`` built here, and
the pipeline asks ``next_poll`` when a feed is due again:

- success (``failures == 0``): exactly one interval later;
- after ``n`` consecutive failures: ``interval * 2**n``, capped at ``max(MAX_BACKOFF, interval)``,
  minus up to a quarter of jitter so that feeds which failed together do not return together
  (but never sooner than one interval);
- a server's Retry-After (429/503) is obeyed when it asks for longer, up to the same cap,
  because a hostile or confused server must not park a feed for a year.

``now`` and the random source are passed in, so every decision here can be tested as a table.
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

MAX_BACKOFF = timedelta(hours=6)
JITTER = 0.25  # a backed-off delay is drawn from [delay * (1 - JITTER), delay]

# 4xx answers that say "not now" rather than "never".
_TEMPORARY_4XX = frozenset({408, 425, 429})


def next_poll(
    now: datetime,
    interval: timedelta,
    failures: int,
    *,
    retry_after: float | None,
    rng: random.Random,
) -> datetime:
    """When a feed is due again, given its interval and its consecutive failures so far."""
    if now.tzinfo is None:
        raise ValueError("next_poll needs a timezone-aware 'now'")
    if interval <= timedelta(0):
        raise ValueError(f"poll interval must be positive (got {interval})")
    cap = max(MAX_BACKOFF, interval)
    if failures <= 0:
        delay = interval
    else:
        # 2**n grows past any cap quickly; stop doubling once it is reached (and before overflow).
        factor = 2 ** min(failures, 62)
        base = cap if interval > cap / factor else interval * factor
        delay = max(interval, base * (1 - JITTER * rng.random()))  # never sooner than when healthy
    if retry_after is not None and math.isfinite(retry_after) and retry_after > 0:
        asked = cap if retry_after >= cap.total_seconds() else timedelta(seconds=retry_after)
        delay = max(delay, asked)
    return now + delay


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
    """'20 s', '1.5 s', '12 min', '3 h': a duration the way a person says it."""
    if seconds < 600:
        return f"{round(seconds, 1):g} s"
    if seconds < 2 * 3600:
        return f"{round(seconds / 60):g} min"
    if seconds < 3 * 86400:
        return f"{round(seconds / 3600, 1):g} h"
    return f"{round(seconds / 86400):g} days"


def describe_size(size: int) -> str:
    """'10 MB', '512 kB', '300 bytes' (decimal units, as max_bytes is written in config)."""
    if size >= 1_000_000:
        return f"{round(size / 1_000_000, 1):g} MB"
    if size >= 1_000:
        return f"{round(size / 1_000, 1):g} kB"
    return f"{size} bytes"
