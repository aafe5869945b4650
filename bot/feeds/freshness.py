"""How long a server says its answer stays fresh: Cache-Control max-age and Expires. Pure, no IO.

Adaptive polling (bot/app/polling.py) never polls a feed more often than its server asks: a
response that is fresh for an hour would only be served again from the same bytes (or a 304).
The rules are RFC 9111's for a private cache: ``max-age`` wins over ``Expires``, an ``Expires``
is counted from the response's ``Date`` (the server's clock, not ours), ``Age`` is what an
intermediate cache already used up, and ``no-store`` / ``no-cache`` ask for no pause at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from bot.feeds.health import describe_seconds


def freshness(headers: Mapping[str, str], now: datetime) -> tuple[float, str] | None:
    """Seconds the response stays fresh and how the server said so; None when it sets no lifetime.

    ``headers`` has lower-cased names (as ``Fetched.headers``).
    """
    directives = _directives(headers.get("cache-control", ""))
    if "no-store" in directives or "no-cache" in directives:
        return None
    age = float(_seconds(headers.get("age", "")) or 0)
    max_age = _seconds(directives.get("max-age", ""))
    if max_age is not None:
        left = max_age - age
        return (float(left), f"Cache-Control max-age={max_age}") if left > 0 else None
    if "expires" not in headers:
        return None
    expires = _http_date(headers["expires"])
    if expires is None:
        return None  # "0", "-1" and other invalid dates mean "already expired" (RFC 9111 5.3)
    sent = _http_date(headers.get("date", "")) or now
    left = (expires - sent).total_seconds() - age
    return (left, f"Expires (in {describe_seconds(left)})") if left > 0 else None


def _directives(value: str) -> dict[str, str]:
    """``max-age=60, no-cache`` -> {"max-age": "60", "no-cache": ""} (names lower-cased, quotes removed)."""
    found: dict[str, str] = {}
    for part in value.split(","):
        name, _, argument = part.strip().partition("=")
        if name:
            found.setdefault(name.strip().lower(), argument.strip().strip('"'))
    return found


def _seconds(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _http_date(text: str) -> datetime | None:
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)  # HTTP dates are GMT; "-0000" parses naive
