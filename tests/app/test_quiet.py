"""Quiet hours: when they hold alerts and for how long, in the chat's zone (DST included). Pure."""

from __future__ import annotations

from datetime import datetime

import pytest

from bot.app.alerts import quiet_remaining
from bot.store.protocols import Chat


def chat(tz: str, start: str | None, end: str | None) -> Chat:
    return Chat(chat_id=1, type="private", title="", tz=tz, quiet_start=start, quiet_end=end)


@pytest.mark.parametrize(("now", "tz", "window", "seconds"), [
    ("2024-03-27T12:00:00+00:00", "UTC", ("11:00", "13:00"), 3600),
    ("2024-03-27T13:00:00+00:00", "UTC", ("11:00", "13:00"), None),  # the end is not quiet
    ("2024-03-27T10:59:00+00:00", "UTC", ("11:00", "13:00"), None),
    ("2024-03-27T23:30:00+00:00", "UTC", ("22:00", "07:00"), 7.5 * 3600),  # across midnight
    ("2024-03-28T06:00:00+00:00", "UTC", ("22:00", "07:00"), 3600),
    ("2024-03-28T12:00:00+00:00", "UTC", ("22:00", "07:00"), None),
    ("2024-03-27T15:00:00+00:00", "Asia/Shanghai", ("22:00", "07:00"), 8 * 3600),  # 23:00 local
    # Amsterdam springs forward on 31 March 2024 at 02:00: the night is an hour shorter
    ("2024-03-30T22:00:00+00:00", "Europe/Amsterdam", ("23:00", "07:00"), 7 * 3600),
    ("2024-03-27T12:00:00+00:00", "UTC", (None, None), None),
])
def test_quiet_remaining(now: str, tz: str, window: tuple[str | None, str | None], seconds: float | None) -> None:
    assert quiet_remaining(datetime.fromisoformat(now), chat(tz, *window)) == seconds
