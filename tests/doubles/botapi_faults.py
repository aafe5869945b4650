"""Faults, flood limits and window statistics for the Bot API double. No IO.

A Fault is what the double answers instead of the real result; the builders name the ones the
Bot API really produces, with Telegram's descriptions and parameters, so python-telegram-bot
raises its real exceptions: RetryAfter, Forbidden, BadRequest, ChatMigrated, NetworkError (5xx,
a dropped connection), TimedOut (a delay longer than the client's read timeout).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ChatId = int | str


@dataclass(frozen=True, slots=True)
class Fault:
    """An answer to inject. status 0 with a delay is a slow but otherwise normal answer."""

    status: int = 0
    description: str = ""
    parameters: dict[str, Any] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (or before handling normally when status is 0)
    drop: bool = False  # close the connection without an answer
    html: bool = False  # an HTML error page from the proxy in front of the API, not Telegram's JSON


def retry_after(seconds: int) -> Fault:
    """429 flood control: PTB raises RetryAfter(seconds)."""
    return Fault(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


def server_error(status: int = 500) -> Fault:
    """A 5xx with Telegram's JSON body: PTB raises NetworkError."""
    descriptions = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                    504: "Gateway Timeout"}
    return Fault(status, descriptions.get(status, "Internal Server Error"))


def bad_gateway() -> Fault:
    """A 502 HTML page as nginx in front of api.telegram.org sends it: PTB raises NetworkError."""
    return Fault(502, "Bad Gateway", html=True)


def blocked() -> Fault:
    """403 for a user who blocked the bot: PTB raises Forbidden."""
    return Fault(403, "Forbidden: bot was blocked by the user")


def kicked() -> Fault:
    """403 for a group the bot was removed from: PTB raises Forbidden."""
    return Fault(403, "Forbidden: bot was kicked from the group chat")


def too_long() -> Fault:
    """400 as for a text over 4,096 UTF-16 code units: PTB raises BadRequest."""
    return Fault(400, "Bad Request: message is too long")


def chat_not_found() -> Fault:
    return Fault(400, "Bad Request: chat not found")


def migrated(new_chat_id: int) -> Fault:
    """400 for a group upgraded to a supergroup: PTB raises ChatMigrated(new_chat_id)."""
    return Fault(400, "Bad Request: group chat was upgraded to a supergroup chat",
                 {"migrate_to_chat_id": new_chat_id})


def slow(seconds: float) -> Fault:
    """Answer normally after `seconds` (beyond the client's read timeout PTB raises TimedOut)."""
    return Fault(delay=seconds)


def disconnect() -> Fault:
    """Close the connection without answering: PTB raises NetworkError."""
    return Fault(drop=True)


def error(status: int, description: str, **parameters: Any) -> Fault:
    """Any other error answer."""
    return Fault(status, description, dict(parameters))


@dataclass(slots=True)
class FaultRule:
    """Inject `fault` into calls of `method` (None: any) for `chat_id` (None: any chat)."""

    fault: Fault
    method: str | None = "sendMessage"
    chat_id: ChatId | None = None
    remaining: int | None = 1  # None: every matching call until cleared

    def matches(self, method: str, chat_id: ChatId | None) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method is not None and self.method.lower() != method.lower():
            return False
        return self.chat_id is None or self.chat_id == chat_id


@dataclass(frozen=True, slots=True)
class Stats:
    """Pacing as the double saw it, from receipt times (time.monotonic()) of sendMessage calls."""

    messages: int  # sendMessage requests received (accepted or not)
    accepted: int  # answered ok
    rejected_429: int  # answered 429 (injected or by limit enforcement)
    max_per_second: int  # most requests received in any sliding 1 s window, all chats
    max_per_chat_second: int  # the same within one chat, for the busiest chat
    max_group_per_minute: int  # most in any sliding 60 s window within one group (chat id < 0)
    busiest_chat: ChatId | None  # the chat of max_per_chat_second
    first_at: float | None  # receipt time of the first and last request
    last_at: float | None


def max_in_window(times: Iterable[float], width: float = 1.0) -> int:
    """Most of `times` inside any window [t, t + width)."""
    ordered = sorted(times)
    best = 0
    lo = 0
    for hi, t in enumerate(ordered):
        while t - ordered[lo] >= width:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


def window_stats(received: Sequence[tuple[float, ChatId | None, int]]) -> Stats:
    """Stats from (receipt time, chat id, HTTP status) of each sendMessage request."""
    per_chat: dict[ChatId | None, list[float]] = {}
    for at, chat, _status in received:
        per_chat.setdefault(chat, []).append(at)
    busiest, chat_max = None, 0
    for chat, times in per_chat.items():
        peak = max_in_window(times)
        if peak > chat_max:
            busiest, chat_max = chat, peak
    groups = [max_in_window(t, 60.0) for c, t in per_chat.items() if isinstance(c, int) and c < 0]
    times = [at for at, _c, _s in received]
    return Stats(messages=len(received), accepted=sum(1 for *_x, s in received if s == 200),
                 rejected_429=sum(1 for *_x, s in received if s == 429),
                 max_per_second=max_in_window(times), max_per_chat_second=chat_max,
                 max_group_per_minute=max(groups, default=0), busiest_chat=busiest,
                 first_at=min(times, default=None), last_at=max(times, default=None))


class FloodLimits:
    """Telegram's documented limits, enforced on accepted messages in sliding windows.

    At most `overall` per second, `per_chat` per second to one chat, `group_per_minute` per
    minute to one group (chat id < 0). A message over a limit gets 429 with retry_after, the
    whole seconds until the window has room again (at least 1), and is not counted.
    """

    def __init__(self, overall: int = 30, per_chat: int = 1, group_per_minute: int = 20) -> None:
        self.overall, self.per_chat, self.group_per_minute = overall, per_chat, group_per_minute
        self._all: deque[float] = deque()
        self._chats: dict[ChatId, deque[float]] = {}
        self._groups: dict[ChatId, deque[float]] = {}

    def verdict(self, chat_id: ChatId, now: float) -> int | None:
        """Seconds to wait, or None when a message to `chat_id` at `now` is within the limits."""
        waits = [_wait(self._all, self.overall, 1.0, now),
                 _wait(self._chats.get(chat_id, deque()), self.per_chat, 1.0, now)]
        if isinstance(chat_id, int) and chat_id < 0:
            waits.append(_wait(self._groups.get(chat_id, deque()), self.group_per_minute, 60.0, now))
        worst = max((w for w in waits if w is not None), default=None)
        return None if worst is None else max(1, math.ceil(worst))

    def accept(self, chat_id: ChatId, now: float) -> None:
        self._all.append(now)
        self._chats.setdefault(chat_id, deque()).append(now)
        if isinstance(chat_id, int) and chat_id < 0:
            self._groups.setdefault(chat_id, deque()).append(now)


def _wait(times: deque[float], limit: int, width: float, now: float) -> float | None:
    while times and now - times[0] >= width:
        times.popleft()
    if len(times) < limit:
        return None
    return times[len(times) - limit] + width - now
