"""Waiting for something that happens on another task, thread or process: the one polling helper.

``await eventually(check)`` returns ``check()``'s first truthy value, or fails naming ``what`` after
``timeout`` seconds; ``wait_until`` is the same for code that cannot await. No test sleeps a fixed time
hoping something happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
STEP = 0.02


async def eventually(check: Callable[[], T], what: str = "the condition", timeout: float = 5.0) -> T:  # noqa: ASYNC109
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(STEP)


def wait_until(check: Callable[[], T], what: str = "the condition", timeout: float = 5.0) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(STEP)
