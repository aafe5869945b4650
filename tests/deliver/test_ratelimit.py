"""The Pacer's schedule: Telegram's limits hold in every window, whatever order requests come in."""

from __future__ import annotations

import bisect
import random

import pytest

from bot.deliver.ratelimit import Pacer


def most_in_window(times: list[float], width: float) -> int:
    """The highest count of times in any closed window of ``width``."""
    times = sorted(times)
    return max(bisect.bisect_right(times, t + width) - i for i, t in enumerate(times))


def test_overall_rate_never_over_30_in_any_second() -> None:
    pacer = Pacer()
    slots = [pacer.reserve(str(chat), 0.0) for chat in range(1000)]
    assert most_in_window(slots, 1.0) <= 29
    assert max(slots) == pytest.approx(999 / 28, rel=0.01)  # and no slower than the margin asks


def test_one_chat_gets_one_message_per_second_and_groups_20_per_minute() -> None:
    pacer = Pacer()
    private = [pacer.reserve("42", 0.0) for _ in range(10)]
    group = [pacer.reserve("-100", 0.0) for _ in range(45)]
    assert all(b - a >= 1.0 for a, b in zip(private, private[1:], strict=False))
    assert most_in_window(group, 60.0) <= 20
    assert all(b - a >= 1.0 for a, b in zip(group, group[1:], strict=False))


def test_mixed_random_load_keeps_every_limit() -> None:
    rng = random.Random(7)
    pacer = Pacer()
    now = 0.0
    taken: dict[str, list[float]] = {}
    for _ in range(3000):
        now += rng.expovariate(60)  # offered faster than allowed
        chat = rng.choice(["1", "2", "3", "-10", "-11", *map(str, range(100, 140))])
        taken.setdefault(chat, []).append(pacer.reserve(chat, now))
    everything = [t for ts in taken.values() for t in ts]
    assert most_in_window(everything, 1.0) <= 29
    for chat, ts in taken.items():
        assert most_in_window(ts, 0.999) == 1, chat
        if chat.startswith("-"):
            assert most_in_window(ts, 60.0) <= 20


def test_flood_control_holds_the_chat() -> None:
    pacer = Pacer(clock=lambda: 100.0)
    pacer.hold("5", 7.0)
    assert pacer.reserve("5", 100.0) >= 107.0
    assert pacer.reserve("6", 100.0) < 101.0


async def test_departures_never_exceed_the_overall_limit_in_a_guard_window() -> None:
    """Even when slots allow more (here 1,000/s), at most `overall` leave in any 1 + lateness seconds."""
    import asyncio

    pacer = Pacer(per_second=1000, overall=3, lateness=0.1)
    loop = asyncio.get_running_loop()
    left = []
    for chat in range(7):
        await pacer.wait_turn(str(chat))
        left.append(loop.time())
    assert most_in_window(left, 1.0999) == 3


async def test_one_chats_messages_leave_a_second_apart_even_when_the_first_wakes_late() -> None:
    """Slots a second apart do not make departures a second apart: a busy loop can wake the first
    sender late and the second on time (the soak saw 0.16 s). The departure guard holds the second."""
    import asyncio

    pacer = Pacer(chat_interval=0.3)  # (slots 0.3 s apart: a late first wake-up lands beside the second)
    assert pacer.chat_gap == 0.3
    loop = asyncio.get_running_loop()
    left: list[float] = []

    async def late_first() -> None:
        slot = pacer.reserve("7", loop.time())
        await asyncio.sleep(slot - loop.time() + 0.25)  # woken 0.25 s late
        await pacer._depart("7")
        left.append(loop.time())

    async def on_time_second() -> None:
        await asyncio.sleep(0.01)
        await pacer.wait_turn("7")  # its slot is 0.3 s after the first's
        left.append(loop.time())

    await asyncio.gather(late_first(), on_time_second())
    assert len(left) == 2
    assert left[1] - left[0] >= 0.3 - 1e-3
