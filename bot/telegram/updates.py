"""How incoming updates are processed: chats side by side, each chat in order, and no user can flood the bot.

A python-telegram-bot ``BaseUpdateProcessor``: updates of different chats run concurrently (up to
``max_concurrent``), the updates of one chat one after the other (so /subscribe then /list answer in
that order), and a user who sends more than ``per_user`` updates within ``window`` seconds is told once
to slow down while the rest of the burst is dropped. One user's 40 /help never hold another's reply.
That warning is in the user's Telegram language (no store is read here, so not a chat's /lang).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from bot.i18n import language_for, t

log = logging.getLogger("watchbot.telegram")


# Updates taken in at once (PTB's own bound); ``max_concurrent`` of them run. A slot is taken only once the chat's
# turn has come: PTB's slot is held from the start, and 16 updates of one chat waiting on its lock (and its 1 s reply
# pacing) had held all 16, so 150 users' 1,800 /watch kept an uninvolved /help waiting more than two minutes.
TAKEN_IN = 4096


class FairUpdates(BaseUpdateProcessor):
    def __init__(self, max_concurrent: int = 16, *, per_user: int = 12, window: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(max(TAKEN_IN, max_concurrent))
        self._slots = asyncio.Semaphore(max_concurrent)
        self.per_user = per_user
        self.window = window
        self.clock = clock
        self._chats: dict[int, asyncio.Lock] = {}
        self._seen: dict[int, deque[float]] = {}
        self._warned: dict[int, float] = {}

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat_id = user_id = None
        if isinstance(update, Update):
            chat_id = update.effective_chat.id if update.effective_chat else None
            user_id = update.effective_user.id if update.effective_user else None
        if user_id is not None and self._flooding(user_id):
            if hasattr(coroutine, "close"):
                coroutine.close()  # dropped, never awaited
            await self._slow_down(update, user_id)
            return
        if chat_id is None:
            async with self._slots:
                await coroutine
            return
        lock = self._chats.setdefault(chat_id, asyncio.Lock())
        try:
            async with lock, self._slots:  # (the chat's turn first, then a slot)
                await coroutine
        finally:
            if not lock.locked() and len(self._chats) > 10_000:
                self._chats.pop(chat_id, None)  # keep the table bounded; a new lock is made on demand

    def _flooding(self, user_id: int) -> bool:
        now = self.clock()
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= now - self.window:
            seen.popleft()
        if len(seen) >= self.per_user:
            return True
        seen.append(now)
        if len(self._seen) > 10_000:  # forget users quiet for a whole window
            for uid in [u for u, d in self._seen.items() if not d or d[-1] <= now - self.window]:
                del self._seen[uid]
        return False

    async def _slow_down(self, update: object, user_id: int) -> None:
        now = self.clock()
        if now - self._warned.get(user_id, -self.window) < self.window:
            return
        self._warned[user_id] = now
        log.warning("telegram: user %s sent more than %d updates in %g s; skipping the rest", user_id,
                    self.per_user, self.window)
        message = update.effective_message if isinstance(update, Update) else None
        if message is not None:
            user = update.effective_user if isinstance(update, Update) else None
            try:
                await message.reply_text(t(language_for(user.language_code if user else None), "slow_down"),
                                         allow_sending_without_reply=True)
            except TelegramError as e:
                log.info("telegram: could not ask user %s to slow down: %s", user_id, e)
