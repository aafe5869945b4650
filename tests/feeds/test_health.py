"""health.py as tables: Retry-After forms, failures and sizes in words."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.feeds.health import describe_seconds, describe_size, http_failure, parse_retry_after

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("Tue, 24 Nov 2026 09:00:00 GMT", 3600.0),  # IMF-fixdate
        ("Tuesday, 24-Nov-26 08:02:00 GMT", 120.0),  # obsolete RFC 850 form
        ("Tue Nov 24 08:00:30 2026", 30.0),  # obsolete asctime form
        ("Tue, 24 Nov 2026 09:00:00 +0100", 0.0),  # 08:00 UTC: now
        ("Mon, 23 Nov 2026 08:00:00 GMT", 0.0),  # in the past: now
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1e3", None),
        ("9" * 400, None),  # past float range
        ("١٢٠", None),  # non-ASCII digits are not delay-seconds
    ],
)
def test_parse_retry_after(value: str, expected: float | None) -> None:
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("status", "retry_after", "reason", "temporary"),
    [
        (500, None, "HTTP 500", True),
        (502, None, "HTTP 502", True),
        (503, 30.0, "HTTP 503 (retry after 30 s)", True),
        (429, 120.0, "HTTP 429 (retry after 2 min)", True),
        (429, 7200.0, "HTTP 429 (retry after 2 h)", True),
        (408, None, "HTTP 408", True),
        (404, None, "HTTP 404 (not found: is the feed URL right?)", False),
        (410, None, "HTTP 410 (gone: the feed was removed)", False),
        (403, None, "HTTP 403 (access denied: the feed needs a login or blocks us)", False),
        (400, None, "HTTP 400", False),
    ],
)
def test_http_failure(status: int, retry_after: float | None, reason: str, temporary: bool) -> None:
    assert http_failure(status, retry_after) == (reason, temporary)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(20, "20 s"), (0.5, "0.5 s"), (119, "119 s"), (120, "2 min"), (900, "15 min"), (3 * 3600, "3 h"),
     (5 * 86400, "5 days")],
)
def test_describe_seconds(seconds: float, text: str) -> None:
    assert describe_seconds(seconds) == text


@pytest.mark.parametrize(
    ("size", "text"),
    [(10_000_000, "10 MB"), (1_500_000, "1.5 MB"), (4_000, "4 kB"), (512, "512 bytes")],
)
def test_describe_size(size: int, text: str) -> None:
    assert describe_size(size) == text



@given(st.text(max_size=60))
def test_parse_retry_after_never_raises_and_never_goes_negative(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    assert seconds is None or (math.isfinite(seconds) and seconds >= 0)
