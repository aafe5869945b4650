"""Times of day and zones: the one parser every command, config check and trigger uses."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from bot.times import hhmm, parse_hhmm, valid_zone, zone


@pytest.mark.parametrize(("text", "expected"), [
    ("07:30", time(7, 30)), ("7:30", time(7, 30)), (" 7:05 ", time(7, 5)), ("00:00", time(0, 0)),
    ("23:59", time(23, 59)),
])
def test_times_of_day(text: str, expected: time) -> None:
    assert parse_hhmm(text) == expected
    assert hhmm(text) == f"{expected:%H:%M}"


@pytest.mark.parametrize("text", ["7", "24:00", "07:60", "ab:cd", "7:5", "", "07:30:00", "-1:00", "007:30"])
def test_not_times_of_day(text: str) -> None:
    with pytest.raises(ValueError, match="HH:MM"):
        parse_hhmm(text)
    assert hhmm(text) is None


def test_zones() -> None:
    assert valid_zone("asia/shanghai") == "Asia/Shanghai"
    assert valid_zone("Mars/Olympus") is None
    assert zone("Mars/Olympus").key == "UTC"
    assert zone("Europe/Amsterdam").key == "Europe/Amsterdam"


@pytest.mark.parametrize(("typed", "meant"), [
    ("UTC+8", ["Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong"]),
    ("GMT+8", ["Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong"]),  # (not Etc/GMT+8, which is UTC-8)
    ("+08:00", ["Asia/Shanghai", "Asia/Taipei", "Asia/Hong_Kong"]),
    ("UTC-5", ["America/New_York"]),  # (in December: New York keeps UTC-5 in winter)
    ("PST", ["America/Los_Angeles"]),
    ("北京", ["Asia/Shanghai"]), ("Beijing", ["Asia/Shanghai"]), ("臺北", ["Asia/Taipei"]),
    ("New York", ["America/New_York"]),
    ("Asia/Shangai", ["Asia/Shanghai"]),
])
def test_a_zone_is_suggested_for_what_people_type(typed: str, meant: list[str]) -> None:
    """Found by a helper session: /tz GMT+8 suggested Etc/GMT+8 (UTC-8), /tz UTC+8 only UTC, /tz 上海 nothing."""
    from bot.times import suggest_zones

    assert suggest_zones(typed, datetime(2026, 12, 6, 12, tzinfo=UTC))[:len(meant)] == meant


def test_fixed_offsets_are_told_apart_from_a_citys_zone() -> None:
    from bot.times import is_fixed_offset

    assert [is_fixed_offset(z) for z in ("EST", "Etc/GMT-8", "UTC", "Etc/UTC", "EST5EDT", "Asia/Tokyo")] == [
        True, True, False, False, False, False]
