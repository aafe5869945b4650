"""Our pacing of Bot API requests, plugged into python-telegram-bot as a BaseRateLimiter. IO: sleeps.

Telegram's documented limits are at most one message per second to a chat, 20 per minute to a
group and 30 per second overall. PTB's AIORateLimiter does not pace private chats and lets bursts
through, so we schedule every message ourselves: each request reserves a time slot that keeps

- consecutive slots of one chat at least ``chat_interval`` apart,
- a group at most ``group_limit`` slots in any ``group_period`` window,
- all slots at least ``spacing`` apart, so any one-second window holds at most 1/spacing + 1,

and then sleeps until its slot. The default spacing (1/28 s) leaves the server-side 30/s window
room for jitter; a last guard on real departure times keeps at most 30 in any 1.12 s, so a delay of
up to 120 ms between us and the server (a busy event loop, a slow write) cannot push a one-second
window the server sees past 30, and keeps one chat's messages a second apart as they leave (a busy
loop wakes one sleeper late and the next on time: the soak saw two messages to one chat 0.16 s
apart from slots a second apart). Slots are reserved under a lock, in request order, so pacing
is fair and deterministic. Only requests that post into a chat are paced; getUpdates never comes
here (PTB) and the other calls (getChatMember, answerCallbackQuery, setMyCommands) pass straight
through. A 429 ``RetryAfter`` holds that chat for the time asked and, when the wait is short
(``max_retry_wait``, 5 s), retries in place; otherwise it propagates and the sender hands the
alert back to the outbox with Telegram's wait, so a long flood wait never holds a delivery round.
"""

from __future__ import annotations

import asyncio
import bisect
import logging
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger("watchbot.telegram")

PACED_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage")


def retry_after_seconds(error: RetryAfter) -> float:
    """The wait a 429 asked for, in seconds (PTB returns an int or a timedelta, with a warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def is_group(chat_id: object) -> bool:
    """Groups, supergroups and channels have negative ids (or an @username)."""
    if isinstance(chat_id, str) and not chat_id.lstrip("-").isdigit():
        return True
    try:
        return int(str(chat_id)) < 0
    except ValueError:
        return False


class Pacer(BaseRateLimiter[None]):
    """Slot scheduling for Bot API messages; defaults are Telegram's limits with a margin."""

    def __init__(self, *, per_second: float = 28.0, overall: int = 30, lateness: float = 0.12,
                 chat_interval: float = 1.05, group_limit: int = 20, group_period: float = 61.0,
                 max_retries: int = 2, max_retry_wait: float = 5.0,
                 clock: Callable[[], float] | None = None) -> None:
        self.spacing = 1.0 / per_second
        self.chat_interval = chat_interval
        self.group_limit = group_limit
        self.group_period = group_period
        self.max_retries = max_retries
        self.max_retry_wait = max_retry_wait
        self._clock = clock
        self._lock = asyncio.Lock()
        self._slots: list[float] = []  # overall, sorted
        self._chat_next: dict[str, float] = {}
        self._group_log: dict[str, deque[float]] = {}
        self._reserved = 0
        self.overall = overall
        self.guard_window = 1.0 + lateness
        self._sent: deque[float] = deque()
        # seconds between real departures to one chat: Telegram's one a second, a little under the slots' spacing
        self.chat_gap = min(1.0, chat_interval)
        self._left: dict[str, float] = {}  # chat -> when its last message left

    def now(self) -> float:
        return self._clock() if self._clock else asyncio.get_running_loop().time()

    async def initialize(self) -> None:
        """Nothing to open: the state is in memory."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = data.get("chat_id")
        if chat is None or not endpoint.startswith(PACED_PREFIXES):
            return await callback(*args, **kwargs)
        key = str(chat)
        attempt = 0
        while True:
            await self.wait_turn(key)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as e:
                wait = retry_after_seconds(e)
                self.hold(key, wait)
                attempt += 1
                if attempt > self.max_retries or wait > self.max_retry_wait:
                    raise
                log.info("telegram: flood control for chat %s, retrying in %.0f s", key, wait)

    async def wait_turn(self, chat: str) -> float:
        """Reserve the next slot for a message to ``chat`` and sleep until it; returns the slot time."""
        async with self._lock:
            slot = self.reserve(chat, self.now())
        delay = slot - self.now()
        if delay > 0:
            await asyncio.sleep(delay)
        await self._depart(chat)
        return slot

    async def _depart(self, chat: str) -> None:
        """The last guard, on real departure times. A busy event loop wakes late sleepers together
        and a request can wait between this point and the wire, so arrivals bunch: at most
        ``overall`` leave in any ``1 + lateness`` seconds, which keeps any one-second window the
        server sees within ``overall`` for any delay up to ``lateness``; and a message to a chat
        leaves at least ``chat_gap`` after the last one to it left."""
        while True:
            now = self.now()
            last = self._left.get(chat)
            if last is not None and now < last + self.chat_gap:
                await asyncio.sleep(last + self.chat_gap - now)
                continue
            sent = self._sent
            while sent and sent[0] <= now - self.guard_window:
                sent.popleft()
            if len(sent) < self.overall:
                sent.append(now)
                self._forget_left(now)
                self._left[chat] = now
                return
            await asyncio.sleep(sent[0] + self.guard_window - now + 1e-4)

    def _forget_left(self, now: float) -> None:
        """Drop departures too old to hold anyone back (the dict would grow with every chat ever sent to)."""
        if len(self._left) >= 4096:
            self._left = {c: t for c, t in self._left.items() if t > now - self.chat_gap}

    async def until_free(self, chat: str) -> None:
        """Return when a message to ``chat`` would get a slot at once (its chat pacing and any flood hold
        are past). A sender waits here holding nothing, then asks for its slot: a chat with many alerts
        queued does not keep a delivery slot asleep while other chats could be served."""
        while True:
            left = self._left.get(chat)
            free = max(self._chat_next.get(chat, 0.0), left + self.chat_gap if left is not None else 0.0)
            wait = free - self.now()
            if wait <= 0:
                return
            await asyncio.sleep(wait)

    def hold(self, chat: str, seconds: float) -> None:
        """Flood control: nothing goes to ``chat`` for ``seconds``."""
        until = self.now() + seconds
        self._chat_next[chat] = max(self._chat_next.get(chat, 0.0), until)

    def reserve(self, chat: str, now: float) -> float:
        """The slot (loop time) for the next message to ``chat``, asked at ``now``; recorded as taken."""
        slot = max(now, self._chat_next.get(chat, now))
        group = None
        if is_group(chat):
            group = self._group_log.setdefault(chat, deque())
            while group and group[0] <= now - self.group_period:
                group.popleft()
            if len(group) >= self.group_limit:
                slot = max(slot, group[-self.group_limit] + self.group_period)
        slot = self._free_overall(slot)
        bisect.insort(self._slots, slot)
        self._chat_next[chat] = slot + self.chat_interval
        if group is not None:
            group.append(slot)
        self._reserved += 1
        if self._reserved % 512 == 0:
            self._prune(now)
        return slot

    def _free_overall(self, at: float) -> float:
        """The earliest time >= ``at`` at least ``spacing`` away from every reserved slot."""
        slots, gap = self._slots, self.spacing
        i = bisect.bisect_left(slots, at - gap)
        candidate = at
        while i < len(slots):
            if slots[i] >= candidate + gap - 1e-9:
                break  # the next reserved slot is far enough ahead
            candidate = max(candidate, slots[i] + gap)
            i += 1
        return candidate

    def _prune(self, now: float) -> None:
        keep = bisect.bisect_left(self._slots, now - 2.0)
        del self._slots[:keep]
        self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}
        self._group_log = {k: v for k, v in self._group_log.items() if v and v[-1] > now - self.group_period}
