"""TelegramSender: alerts from the outbox to chats through the Bot API. IO: Bot API calls, chat updates.

Implements bot.deliver.alert.Sender for channel "telegram" (target = str(chat_id)). Deciding
what a chat gets (paused, quiet hours, how alerts pack into messages) is pure and lives in
`quiet_remaining` and `format.pack`; this module sends and turns the Bot API's answers into
Outcomes (`classify` is the one place that says which failures are temporary):

    RetryAfter (429)          temporary, with the wait Telegram asked for
    timeouts, 5xx, network    temporary (drain retries with backoff)
    Forbidden (403)           permanent; the chat is deactivated and unsubscribed (so is a
                              400 "chat not found")
    ChatMigrated              the chat and its pending alerts move to the new id; sent again there
    BadRequest (400)          permanent with Telegram's reason (a combined message is retried
                              one alert at a time first, so one bad alert does not sink the rest)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, time, timedelta

from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter, TelegramError

from bot.deliver.alert import Alert, Outcome, Report
from bot.deliver.telegram.format import Message, pack, zone
from bot.deliver.telegram.ratelimit import retry_after_seconds
from bot.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from bot.store.chats import Chat, ChatStore

log = logging.getLogger("watchbot.telegram")

CHANNEL = "telegram"


def parse_hhmm(text: str) -> time:
    """'07:30' -> time(7, 30); ValueError with a readable message otherwise."""
    hours, sep, minutes = text.strip().partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM, e.g. 07:30)")
    h, m = int(hours), int(minutes)
    if not (0 <= h <= 23 and 0 <= m <= 59):
        raise ValueError(f"not a time of day: {text!r} (hours 00-23, minutes 00-59)")
    return time(h, m)


def quiet_remaining(now: datetime, chat: Chat) -> float | None:
    """Seconds until the chat's quiet hours end, or None when it is not quiet now."""
    if chat.quiet is None:
        return None
    tz, _ = zone(chat.tz)
    start, end = (parse_hhmm(t) for t in chat.quiet)
    if start == end:
        return None
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    if start < end:
        quiet = start <= t < end
        end_day = local.date()
    else:  # the window crosses midnight
        quiet = t >= start or t < end
        end_day = local.date() + timedelta(days=1) if t >= start else local.date()
    if not quiet:
        return None
    ends = datetime.combine(end_day, end, tzinfo=tz)
    return max(1.0, (ends - now).total_seconds())


def classify(error: TelegramError, target: str) -> DeliveryError:
    """A Bot API failure as a temporary or permanent delivery error."""
    if isinstance(error, RetryAfter):
        wait = retry_after_seconds(error)
        return TemporaryDeliveryError(target, f"flood control: retry in {wait:.0f} s", retry_after=wait)
    if isinstance(error, Forbidden):
        return PermanentDeliveryError(target, f"the bot cannot write to this chat: {error.message}")
    if isinstance(error, BadRequest):
        return PermanentDeliveryError(target, f"Telegram rejected the message: {error.message}")
    return TemporaryDeliveryError(target, f"Bot API unavailable: {type(error).__name__}: {error.message}")


class TelegramSender:
    """Sends alerts to one chat at a time; pacing is the bot's rate limiter's job."""

    channel = CHANNEL

    def __init__(self, bot: Bot, chats: ChatStore, *, clock: Callable[[], datetime], concurrency: int = 4,
                 timeout: float | None = None) -> None:
        self.bot = bot
        self.chats = chats
        self.clock = clock
        self.concurrency = concurrency
        self.timeout = timeout  # seconds to wait for the Bot API's answer; None: the bot's default (5 s)

    async def send(self, target: str, alerts: Sequence[Alert], report: Report | None = None) -> list[Outcome]:
        """Send ``alerts`` to one chat, packed into as few messages as fit; ``report`` hears of each
        message as soon as the Bot API accepted or refused it, so a crash repeats at most the one in flight."""
        ids = tuple(a.outbox_id for a in alerts)
        try:
            chat_id = int(target)
        except ValueError:
            return [Outcome(ids, PermanentDeliveryError(target, "not a Telegram chat id"))]
        chat = self.chats.chat(chat_id)
        if chat is not None and chat.migrated_to is not None:  # alerts claimed before the group moved
            chat_id = chat.migrated_to
            chat = self.chats.chat(chat_id)
        held = self.withheld(target, chat)
        if held is not None:
            return [Outcome(ids, held)]
        assert chat is not None
        by_id = {a.outbox_id: a for a in alerts}
        outcomes: list[Outcome] = []
        messages = pack(alerts, chat.tz)
        for i, message in enumerate(messages):
            done, chat_id, stop = await self._deliver(chat_id, message, by_id, report)
            outcomes += done
            for outcome in done:
                if report is not None:
                    report(outcome)
            if stop is not None:  # no point sending the rest now; they share the fate
                rest = tuple(x for m in messages[i + 1:] for x in m.alert_ids)
                if rest:
                    outcomes.append(Outcome(rest, stop))
                break
        return outcomes

    def withheld(self, target: str, chat: Chat | None) -> DeliveryError | None:
        """Why nothing may go to this chat now (unknown, inactive, paused, quiet), or None."""
        if chat is None:
            return PermanentDeliveryError(target, "unknown chat: it never talked to the bot")
        if not chat.active:
            return PermanentDeliveryError(target, f"chat inactive: {chat.inactive_reason or 'deactivated'}")
        if chat.paused:
            return PermanentDeliveryError(target, "skipped: the chat paused alerts (/pause)")
        wait = quiet_remaining(self.clock(), chat)
        if wait is not None:
            return TemporaryDeliveryError(target, f"quiet hours {chat.quiet_start}-{chat.quiet_end} ({chat.tz})",
                                          retry_after=wait)
        return None

    async def _deliver(self, chat_id: int, message: Message, by_id: dict[int, Alert],
                       report: Report | None = None) -> tuple[list[Outcome], int, DeliveryError | None]:
        """Send one message: its outcomes, the chat id it went to (it may have migrated), and the
        error that should stop the rest of the batch (temporary failures, a lost chat)."""
        for _ in range(2):
            try:
                await self.post(chat_id, message.text)
                return [Outcome(message.alert_ids)], chat_id, None
            except ChatMigrated as e:
                chat_id = self._migrate(chat_id, int(e.new_chat_id))
            except Forbidden as e:
                error = classify(e, str(chat_id))
                self.chats.deactivate(chat_id, error.reason, now=self.clock())
                log.warning("telegram: chat %s blocked the bot; deactivated and unsubscribed", chat_id)
                return [Outcome(message.alert_ids, error)], chat_id, error
            except BadRequest as e:
                if "chat not found" in e.message.lower():  # deleted, or the bot never was in it
                    error = classify(e, str(chat_id))
                    self.chats.deactivate(chat_id, error.reason, now=self.clock())
                    return [Outcome(message.alert_ids, error)], chat_id, error
                if len(message.alert_ids) > 1:  # find the alert at fault by sending each alone
                    return await self._one_by_one(chat_id, message, by_id, report)
                return [Outcome(message.alert_ids, classify(e, str(chat_id)))], chat_id, None
            except TelegramError as e:
                error = classify(e, str(chat_id))
                return [Outcome(message.alert_ids, error)], chat_id, error
        error = TemporaryDeliveryError(str(chat_id), "chat migrated twice in one send; retrying later")
        return [Outcome(message.alert_ids, error)], chat_id, error

    async def _one_by_one(self, chat_id: int, message: Message, by_id: dict[int, Alert],
                          report: Report | None) -> tuple[list[Outcome], int, DeliveryError | None]:
        outcomes: list[Outcome] = []
        tz = self._tz(chat_id)
        ids = list(message.alert_ids)
        for i, alert_id in enumerate(ids):
            single = pack([by_id[alert_id]], tz)[0]
            done, chat_id, stop = await self._deliver(chat_id, single, by_id)
            outcomes += done
            for outcome in done:
                if report is not None:
                    report(outcome)
            if stop is not None:
                if ids[i + 1:]:
                    outcomes.append(Outcome(tuple(ids[i + 1:]), stop))
                return outcomes, chat_id, stop
        return outcomes, chat_id, None

    async def post(self, chat_id: int, text: str) -> None:
        """The one Bot API call that delivers an alert message."""
        preview = LinkPreviewOptions(is_disabled=True)
        if self.timeout is None:
            await self.bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                                        link_preview_options=preview)
        else:
            await self.bot.send_message(chat_id=chat_id, text=text, parse_mode=ParseMode.HTML,
                                        link_preview_options=preview, read_timeout=self.timeout)

    def _migrate(self, old: int, new: int) -> int:
        now = self.clock()
        self.chats.migrate(old, new, now=now)
        moved = self.chats.store.retarget(CHANNEL, str(old), str(new))
        log.info("telegram: group %s migrated to %s; %d pending alerts moved", old, new, moved)
        return new

    def _tz(self, chat_id: int) -> str:
        chat = self.chats.chat(chat_id)
        return chat.tz if chat else "UTC"

