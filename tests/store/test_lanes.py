"""The store's two lanes (bot/store/lanes.py): person first, each lane in order, errors handed back."""

from __future__ import annotations

import asyncio
import threading

import pytest

from bot.store.lanes import BACKGROUND, Lanes


async def test_one_thread_takes_the_person_lane_first_and_each_lane_in_order() -> None:
    lanes = Lanes(1)
    release = threading.Event()
    order: list[str] = []

    def record(name: str, wait: bool = False) -> str:
        if wait:
            release.wait(10)
        order.append(name)
        return name

    try:
        running = lanes.submit(lambda: record("running", wait=True), lane=BACKGROUND)
        await asyncio.sleep(0.1)
        queued = [lanes.submit(lambda n=n: record(f"b{n}"), lane=BACKGROUND) for n in range(3)]
        asked = [lanes.submit(lambda n=n: record(f"p{n}")) for n in range(2)]
        release.set()
        assert await asyncio.gather(running, *queued, *asked) == ["running", "b0", "b1", "b2", "p0", "p1"]
        assert order == ["running", "p0", "p1", "b0", "b1", "b2"]
    finally:
        lanes.shutdown()


async def test_an_exception_reaches_the_caller_and_the_thread_goes_on() -> None:
    lanes = Lanes(1)
    try:
        with pytest.raises(ZeroDivisionError):
            await lanes.submit(lambda: 1 / 0)
        assert await lanes.submit(lambda: 7, lane=BACKGROUND) == 7
    finally:
        lanes.shutdown()


async def test_shutdown_finishes_the_queue_and_a_later_call_starts_the_threads_again() -> None:
    lanes = Lanes(2)
    done: list[int] = []
    futures = [lanes.submit(lambda n=n: done.append(n), lane=BACKGROUND) for n in range(20)]
    await asyncio.gather(*futures)
    lanes.shutdown()
    assert sorted(done) == list(range(20))
    assert await lanes.submit(lambda: "again") == "again"
    lanes.shutdown()
