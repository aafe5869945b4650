"""What a chat chose not to get at once, decided when its alerts are queued. Use-case: the store, the bot.

    recipients | muted phrase or feed? (drop) | over telegram.max_alerts_per_hour? (hold for the digest) | outbox

``admit`` runs in the store's thread inside the pipeline's transaction, once per (item, chat).
Mutes drop the alert for that chat alone. Beyond the hourly cap (alerts queued for the chat in
the last hour) an alert is held for the chat's next digest (``pending_chat`` reads held alerts),
and the chat is told once per spell over the cap; ``tell`` sends that message after each
delivery round.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.app.phrases import Phrases
from bot.deliver.telegram import CHANNEL as TELEGRAM
from bot.deliver.telegram import TelegramSender
from bot.errors import DeliveryError
from bot.items.normalize import Item
from bot.store.protocols import Chat, Store

log = logging.getLogger("watchbot.deliver")

HOUR = timedelta(hours=1)

# (the chat, its cap, its next digest time "HH:MM") -> the message telling it alerts go to its digest
CapNotice = Callable[[Chat, int, str], str]


class ChatScreen:
    """Mutes and the hourly cap of Telegram chats (other channels pass untouched)."""

    def __init__(self, store: Store, phrases: Phrases, *, clock: Callable[[], datetime],
                 max_per_hour: int | None = None, sender: TelegramSender | None = None,
                 notice: CapNotice | None = None, digest_at: str = "08:00") -> None:
        self.store = store
        self.phrases = phrases
        self.clock = clock
        self.max_per_hour = max_per_hour
        self.sender = sender
        self.notice = notice
        self.digest_at = digest_at

    def admit(self, channel: str, target: str, item: Item, watchlists: tuple[str, ...], now: datetime) -> bool:
        """True: queue the alert; False: muted (dropped) or over the cap (held for the digest). Store thread."""
        if channel != TELEGRAM:
            return True
        try:
            chat_id = int(target)
        except ValueError:
            return True
        if self.phrases.muted(chat_id, item):
            return False
        if not self.max_per_hour:
            return True
        if self.store.outbox.count_recent(TELEGRAM, target, since=now - HOUR) < self.max_per_hour:
            self.store.phrases.under_cap(chat_id)
            return True
        self.store.phrases.hold(chat_id, item.identity, watchlists, now=now)
        if self.store.phrases.over_cap(chat_id, now=now):
            log.info("telegram: chat %s is over %d alerts an hour; the rest go to its digest", chat_id,
                     self.max_per_hour)
        return False

    async def tell(self) -> None:
        """Tell each chat that went over its cap, once per spell over it."""
        if not self.max_per_hour or self.sender is None or self.notice is None:
            return
        for chat_id in await self.store.run(self.store.phrases.untold):
            chat = await self.store.run(self.store.chats.get, chat_id)
            if chat is None or not chat.active:
                await self.store.run(self.store.phrases.told, chat_id, now=self.clock())
                continue
            text = self.notice(chat, self.max_per_hour, chat.digest_at or self.digest_at)
            try:
                await self.sender.post(chat_id, text)
            except DeliveryError as e:
                if e.temporary:
                    continue  # told at the next round
                log.warning("telegram: cannot tell chat %s it is over its cap: %s", chat_id, e)
            await self.store.run(self.store.phrases.told, chat_id, now=self.clock())
