"""Times of day and zones: the one parser every command, config check and trigger uses."""

from __future__ import annotations

from datetime import time

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
