"""Messages to Telegram chats through the Bot API: a thin sender. IO: Bot API calls.

``post`` sends one HTML message (with an optional inline keyboard) and returns its message id;
``edit`` replaces a sent message's text. Failures come back as our errors; ``classify`` is the one
place that says which Bot API failures are temporary:

    RetryAfter (429)          temporary, with the wait Telegram asked for
    timeouts, 5xx, network    temporary (the outbox retries with backoff)
    ChatMigrated              ChatMovedError(new id): the caller moves the chat and sends again
    Forbidden (403), 400 "chat not found"
                              ChatGoneError: permanent, the caller deactivates the chat
    BadRequest (400)          permanent with Telegram's reason (a malformed message)

Deciding who gets what, in which zone, and what to do with a moved or gone chat is the caller's.
Pacing is the bot's rate limiter's (``bot.deliver.ratelimit.Pacer``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.deliver.ratelimit import Pacer, retry_after_seconds
from bot.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError

CHANNEL = "telegram"


class ChatGoneError(PermanentDeliveryError):
    """The bot was blocked or removed, or the chat no longer exists."""


class ChatMovedError(TemporaryDeliveryError):
    """A group became a supergroup with a new id."""

    def __init__(self, target: str, new_chat_id: int) -> None:
        super().__init__(target, f"the group moved to supergroup {new_chat_id}")
        self.new_chat_id = new_chat_id


CANNOT_WRITE = "the bot cannot write to this chat: "  # before Telegram's own words, in a refusal's reason
REJECTED = "Telegram rejected the message: "


def classify(error: TelegramError, target: str) -> DeliveryError:
    """A Bot API failure as one of our delivery errors."""
    if isinstance(error, RetryAfter):
        wait = retry_after_seconds(error)
        return TemporaryDeliveryError(target, f"flood control: retry in {wait:.0f} s", retry_after=wait)
    if isinstance(error, ChatMigrated):
        return ChatMovedError(target, int(error.new_chat_id))
    if isinstance(error, Forbidden):
        return ChatGoneError(target, CANNOT_WRITE + error.message)
    if isinstance(error, BadRequest):
        if "chat not found" in error.message.lower():  # deleted, or the bot never was in it
            return ChatGoneError(target, REJECTED + error.message)
        return PermanentDeliveryError(target, REJECTED + error.message)
    return TemporaryDeliveryError(target, f"Bot API unavailable: {type(error).__name__}: {error.message}")


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup | None:
    """Rows of (label, callback data) as the Bot API's inline keyboard; None for no rows."""
    if not rows:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data) for label, data in row]
                                 for row in rows])


class TelegramSender:
    """Posts and edits HTML messages; one call, one message."""

    channel = CHANNEL

    def __init__(self, bot: Bot, *, timeout: float | None = None) -> None:
        self.bot = bot
        self.timeout = timeout  # seconds to wait for the Bot API's answer; None: the bot's default (5 s)

    async def ready(self, chat_id: int) -> None:
        """Return when a message to ``chat_id`` could leave without waiting for its chat's pacing."""
        limiter = getattr(self.bot, "rate_limiter", None)
        if isinstance(limiter, Pacer):
            await limiter.until_free(str(chat_id))

    async def post(self, chat_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> int:
        """Send one message; its message id. Raises DeliveryError."""
        extra: dict[str, Any] = {} if self.timeout is None else {"read_timeout": self.timeout}
        try:
            message = await self.bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                                                  link_preview_options=LinkPreviewOptions(is_disabled=True),
                                                  reply_markup=markup, **extra)
        except TelegramError as e:
            raise classify(e, str(chat_id)) from e
        return int(message.message_id)

    async def edit(self, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace a sent message's text (an unchanged text is no error). Raises DeliveryError."""
        try:
            await self.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id, parse_mode=ParseMode.HTML,
                                             link_preview_options=LinkPreviewOptions(is_disabled=True),
                                             reply_markup=markup)
        except BadRequest as e:
            if "not modified" not in e.message.lower():
                raise classify(e, str(chat_id)) from e
        except TelegramError as e:
            raise classify(e, str(chat_id)) from e
