"""Alerts: who follows a match, and delivering the outbox. Use-case: the store and the senders.

    matches | recipients (per channel) | outbox rows | claim due | build Alert | channel.deliver | settle

An alert is written to the outbox before anything is sent, and marked sent only after its sender
says the peer accepted it. Temporary failures go back to 'pending' with exponential backoff (or
the peer's retry_after); permanent ones go to 'dead' with the reason, never silently dropped.
Each alert is settled the moment its message is answered; a settle write that fails (a locked or
full disk) is retried, never forgotten, so a crash repeats at most the sends in flight
(``release_in_flight`` puts claimed alerts back at start-up).

A channel decides who follows what and delivers one alert to one target: the console prints,
Telegram checks the chat (paused, quiet hours, moved, gone) and posts one message per story, with
👍/👎 buttons that its edits keep.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol, TypeVar

from bot.app import judgments
from bot.deliver.console import ConsoleSender
from bot.deliver.telegram import CHANNEL as TELEGRAM
from bot.deliver.telegram import ChatGoneError, ChatMovedError, TelegramSender, keyboard
from bot.errors import (
    DeliveryError,
    HeldDelivery,
    PermanentDeliveryError,
    SkippedDelivery,
    StoreError,
    TemporaryDeliveryError,
)
from bot.i18n import DEFAULT
from bot.items.normalize import Item
from bot.model import Alert
from bot.render import console, telegram
from bot.render.feedback import feedback_keyboard
from bot.store.protocols import Chat, OutboxRow, Store
from bot.times import parse_hhmm, zone
from bot.watch.personal import owner

log = logging.getLogger("watchbot.deliver")
T = TypeVar("T")

RETRY_BASE = 30.0  # seconds
RETRY_CAP = 3600.0
MAX_ATTEMPTS = 20  # about a day of retries at the cap, then dead
WRITE_ATTEMPTS = 60  # a settle write is retried for about five minutes before the round gives up
CLAIM_ATTEMPTS = 4  # a claim, 1.4 s: nothing is sent yet, so a store that refuses leaves the alerts pending
STALLED_KEPT = 50_000  # alerts remembered as waiting after a failure of their whole channel (the rest wait their turn)
DRAIN_LIMIT = 500  # alerts claimed per channel per round
# ... and of one target: a chat's flood of 1,000 alerts had filled a round that took 500 s at its 1 s pacing, while
# another chat's alert waited behind it; now a round takes a few of each (about 10 s of a private chat's pacing, 30 s
# of a group's), and the next round comes at once
PER_TARGET = 10


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    held: int = 0  # by the chat's own choice (quiet hours): sent when it ends
    dead: int = 0
    errors: list[str] = field(default_factory=list)
    claimed: int = 0  # alerts taken from the outbox this round (at most the round's limit)
    capped: bool = False  # a target had more due than a round takes of one: more are waiting
    # alerts put back to wait after a temporary error that named no wait (the Bot API or the network down?)
    unanswered: list[int] = field(default_factory=list)

    def add(self, other: DrainReport) -> None:
        """Count ``other``'s round in with this one's."""
        self.sent += other.sent
        self.retried += other.retried
        self.held += other.held
        self.dead += other.dead
        self.errors += other.errors
        self.claimed += other.claimed
        self.capped = self.capped or other.capped


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempts + 1``."""
    if retry_after is not None:  # the peer said how long; obey it
        return max(retry_after, 1.0)
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))


def quiet_remaining(now: datetime, chat: Chat) -> float | None:
    """Seconds until the chat's quiet hours end, or None when it is not quiet now. Pure."""
    if chat.quiet is None:
        return None
    tz = zone(chat.tz)
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


class Channel(Protocol):
    """One way alerts go out: who follows what (read in the store's thread) and one delivery."""

    name: str
    concurrency: int

    def recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]: ...
    # Returns when a message to ``target`` could go out without waiting for that target's pacing; delivery
    # holds one of the channel's ``concurrency`` slots only from there on.
    async def ready(self, target: str) -> None: ...
    async def deliver(self, target: str, alert: Alert) -> int | None: ...  # the sent message's id, if any


class EditingChannel(Channel, Protocol):
    """A channel whose sent alerts can be edited when their story gains outlets."""

    async def edit(self, target: str, message_id: int, alert: Alert) -> None: ...


class ConsoleChannel:
    """Every alert printed once; the console follows every watchlist."""

    name = "console"
    concurrency = 1

    def __init__(self, sender: ConsoleSender | None = None, zone: tzinfo | None = None) -> None:
        self.sender = sender or ConsoleSender()
        self.zone = zone

    def recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {"stdout": tuple(watchlists)}

    async def ready(self, target: str) -> None:
        """The console is never paced."""

    async def deliver(self, target: str, alert: Alert) -> int | None:
        self.sender.post(console.format_alert(alert, self.zone))
        return None


class ChatMoves(Protocol):
    """What the Telegram channel needs of the chat use-case when a chat moved or is gone."""

    async def migrate(self, old: int, new: int) -> None: ...
    async def deactivate(self, chat_id: int, reason: str) -> None: ...


class TelegramChannel:
    """Active, unpaused chats with an instant subscription; one message per story, in the chat's zone."""

    name = TELEGRAM

    def __init__(self, store: Store, sender: TelegramSender, chats: ChatMoves, *, clock: Callable[[], datetime],
                 concurrency: int = 4) -> None:
        self.store = store
        self.sender = sender
        self.chats = chats
        self.clock = clock
        self.concurrency = concurrency

    def recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """Chats following the matched watchlists; a chat's own watchlist (``chat:<id>``) alerts that chat alone."""
        found = self.store.chats.instant_recipients(watchlists)
        if not any(owner(w) is not None for w in watchlists):
            return found
        return {target: kept for target, followed in found.items()
                if (kept := tuple(w for w in followed if owner(w) in (None, int(target))))}

    async def ready(self, target: str) -> None:
        try:
            await self.sender.ready(int(target))
        except ValueError:
            return  # (deliver says why such a target gets nothing)

    async def deliver(self, target: str, alert: Alert) -> int | None:
        chat_id, chat = await self._chat(target)
        self.check(target, chat)
        assert chat is not None
        text = telegram.format_alert(alert, chat.tz, chat.speaks or DEFAULT)
        markup = keyboard(feedback_keyboard(alert.outbox_id))  # 👍/👎: judgments teach the watchlists
        for _ in range(2):
            try:
                return await self.sender.post(chat_id, text, markup)
            except ChatMovedError as e:
                await self.chats.migrate(chat_id, e.new_chat_id)
                chat_id = e.new_chat_id
            except ChatGoneError as e:
                await self.chats.deactivate(chat_id, e.reason)
                raise
        raise TemporaryDeliveryError(str(chat_id), "chat migrated twice in one send; retrying later")

    async def edit(self, target: str, message_id: int, alert: Alert) -> None:
        """Show the story's outlets as they are now in an alert already sent (paused or quiet chats too:
        an edit makes no sound)."""
        chat_id, chat = await self._chat(target)
        if chat is None or not chat.active:
            raise PermanentDeliveryError(target, "chat gone: nothing to edit")
        votes = await self.store.run(judgments.tally, self.store, alert.outbox_id)  # an edit keeps the buttons
        try:
            await self.sender.edit(chat_id, message_id, telegram.format_alert(alert, chat.tz, chat.speaks or DEFAULT),
                                   keyboard(feedback_keyboard(alert.outbox_id, votes)))
        except ChatGoneError as e:
            await self.chats.deactivate(chat_id, e.reason)
            raise

    async def _chat(self, target: str) -> tuple[int, Chat | None]:
        try:
            chat_id = int(target)
        except ValueError:
            raise PermanentDeliveryError(target, "not a Telegram chat id") from None
        chat = await self.store.run(self.store.chats.get, chat_id)
        if chat is not None and chat.migrated_to is not None:  # alerts claimed before the group moved
            chat_id = chat.migrated_to
            chat = await self.store.run(self.store.chats.get, chat_id)
        return chat_id, chat

    def check(self, target: str, chat: Chat | None) -> None:
        """Raise why nothing may go to this chat now (unknown, inactive, paused, quiet)."""
        if chat is None:
            raise PermanentDeliveryError(target, "unknown chat: it never talked to the bot")
        if not chat.active:
            raise PermanentDeliveryError(target, f"chat inactive: {chat.inactive_reason or 'deactivated'}")
        if chat.paused:
            raise SkippedDelivery(target, "skipped: the chat paused alerts (/pause)")
        wait = quiet_remaining(self.clock(), chat)
        if wait is not None:
            raise HeldDelivery(target, f"quiet hours {chat.quiet_start}-{chat.quiet_end} ({chat.tz})",
                                         retry_after=wait)


def build_alerts(store: Store, rows: Sequence[OutboxRow]) -> list[Alert]:
    """Join outbox rows with their items, matches and sightings (in the store's thread)."""
    items = store.items.get([r.identity for r in rows])
    alerts = []
    for r in rows:
        stored = items.get(r.identity)
        if stored is None:
            continue
        item = stored.item
        feeds = [name or url for url, name, _ in stored.sightings]
        source = feeds[0] if feeds else item.feed_url
        outlets = store.items.outlets(r.story) or feeds  # every feed that carried any item of the story
        alerts.append(Alert(
            outbox_id=r.id, identity=r.identity, watchlists=r.watchlists, title=item.title, link=item.link,
            source=source, published=item.published, lede=item.lede, hits=store.items.match_hits(r.identity),
            also_in=tuple(f for f in dict.fromkeys(outlets) if f != source),
        ))
    return alerts


class Screen(Protocol):
    """What a target chose not to get at once (mutes, an hourly cap), decided when alerts are queued."""

    def admit(self, channel: str, target: str, item: Item, watchlists: tuple[str, ...], now: datetime) -> bool: ...
    async def tell(self) -> None: ...


class Alerts:
    """The outbox's use-case: queue alerts for the channels' followers, deliver them, settle each."""

    def __init__(self, store: Store, channels: Sequence[Channel], *, clock: Callable[[], datetime],
                 limit: int = DRAIN_LIMIT, screen: Screen | None = None) -> None:
        self.store = store
        self.channels = list(channels)
        self.clock = clock
        self.limit = limit
        self.screen = screen  # bot.app.screen: mutes and the hourly cap (set by the wiring)
        # Alerts waiting after rounds in which nothing of their channel went through (the Bot API or the network
        # down: temporary errors that name no wait): the first round with a send that goes through makes them due at
        # once, instead of each waiting out its backoff (up to an hour after an outage ended). A chat's own trouble,
        # in a round where others' sends go through, keeps its backoff.
        self._stalled: dict[str, set[int]] = {}

    def enqueue(self, item: Item, watchlists: Sequence[str], now: datetime, *, story: str | None = None) -> int:
        """One outbox row per (story, target), listing the watchlists that target follows (store thread).
        A target that already has an alert for the story gets none; one that follows only a watchlist this
        later item matched gets its first."""
        count = 0
        for channel in self.channels:
            for target, followed in channel.recipients(watchlists).items():
                if not followed or (self.screen is not None
                                    and not self.screen.admit(channel.name, target, item, followed, now)):
                    continue
                if self.store.outbox.enqueue(item.identity, channel.name, target, followed, now=now, story=story):
                    count += 1
        return count

    async def drain(self) -> dict[str, DrainReport]:
        """Deliver the due alerts of every channel once, then the due edits of channels that edit (and tell
        chats that went over their hourly cap)."""
        reports = {channel.name: await self.drain_channel(channel) for channel in self.channels}
        for channel in self.channels:
            if hasattr(channel, "edit"):
                edits = await self.drain_edits(channel)  # type: ignore[arg-type]
                if edits.sent or edits.retried or edits.dead:
                    reports[f"{channel.name}-edits"] = edits
        if self.screen is not None:
            await self.screen.tell()
        return reports

    async def drain_all(self, progress: Callable[[int], None] | None = None) -> dict[str, DrainReport]:
        """Deliver every due alert, round after round (``drain``) while a channel's round was full and got somewhere
        (sent or settled some): what a poll by hand does before it exits. A round that only met temporary failures
        ends it, the rest waiting for their retry. ``progress`` is told the alerts sent so far after each full round."""
        totals: dict[str, DrainReport] = {}
        while True:
            reports = await self.drain()
            for name, report in reports.items():
                totals.setdefault(name, DrainReport()).add(report)
            if not any((r.claimed >= self.limit or r.capped) and (r.sent or r.dead) for r in reports.values()):
                return totals
            if progress is not None:
                progress(sum(r.sent for r in totals.values()))

    async def drain_channel(self, channel: Channel) -> DrainReport:
        report = DrainReport()
        rows = await self._write(self.store.outbox.claim_due, channel.name, now=self.clock(), limit=self.limit,
                                per_target=PER_TARGET, attempts=CLAIM_ATTEMPTS)
        report.claimed = len(rows)
        if not rows:
            return report
        by_target: dict[str, list[OutboxRow]] = defaultdict(list)
        for r in rows:
            by_target[r.target].append(r)
        report.capped = any(len(rs) >= PER_TARGET for rs in by_target.values())
        # At most ``concurrency`` sends in flight (sent, not yet settled: what a crash may repeat). Each target
        # goes through its alerts in order and waits for its own pacing without holding a slot, so 30 chats
        # with 20 alerts each are served side by side, not four chats at a time.
        gate = asyncio.Semaphore(max(1, channel.concurrency))
        await asyncio.gather(*(self._deliver_target(channel, t, rs, report, gate) for t, rs in by_target.items()))
        stalled = self._stalled.setdefault(channel.name, set())
        if not report.sent:  # nothing went through: the channel itself may be down; these wait for it
            stalled.update(report.unanswered[:max(0, STALLED_KEPT - len(stalled))])
        elif stalled:  # it works again: what waited from earlier rounds goes now (not what failed this round)
            self._stalled[channel.name] = set()
            waiting = sorted(stalled.difference(report.unanswered))
            hastened = await self._write(self.store.outbox.hasten, waiting, now=self.clock(), attempts=CLAIM_ATTEMPTS)
            if hastened:
                log.info("deliver %s: sends go through again; %d alert(s) that waited after its failures are due now",
                         channel.name, hastened)
        return report

    async def drain_edits(self, channel: EditingChannel) -> DrainReport:
        """Edit sent alerts whose story gained outlets: paced with the sends, retried, never lost (an edit
        repeated after a crash shows the same text)."""
        report = DrainReport()
        rows = await self._write(self.store.outbox.claim_edits, channel.name, now=self.clock(), limit=self.limit,
                                attempts=CLAIM_ATTEMPTS)
        if not rows:
            return report
        alerts = {a.outbox_id: a for a in await self._write(build_alerts, self.store, rows)}
        for row in rows:
            alert = alerts.get(row.id)
            error: DeliveryError | None = None
            try:
                if alert is None or row.message_id is None:
                    raise PermanentDeliveryError(row.target, "nothing to edit: the alert or its message is gone")
                await channel.edit(row.target, row.message_id, alert)
            except DeliveryError as e:
                error = e
            except asyncio.CancelledError:
                raise
            except Exception as e:  # a channel bug must not lose the edit: retry it later
                log.exception("edit %s: unexpected error editing in %s", channel.name, row.target)
                error = TemporaryDeliveryError(row.target, f"unexpected {type(e).__name__}: {e}")
            now = self.clock()
            if error is None:
                await self._write(self.store.outbox.edit_done, [row.id])
                report.sent += 1
            elif error.temporary and row.attempts < MAX_ATTEMPTS:
                delay = retry_delay(row.attempts, error.retry_after)
                await self._write(self.store.outbox.edit_retry, [row.id], error=error.reason,
                                  next_attempt_at=now + timedelta(seconds=delay))
                report.retried += 1
            else:
                await self._write(self.store.outbox.edit_dead, [row.id], error=error.reason)
                report.dead += 1
        return report

    async def _deliver_target(self, channel: Channel, target: str, rows: list[OutboxRow],
                              report: DrainReport, gate: asyncio.Semaphore) -> None:
        """A target's alerts in order; a temporary failure holds the rest back with it."""
        alerts = await self._write(build_alerts, self.store, rows)
        by_id = {r.id: r for r in rows}
        missing = [r for r in rows if r.id not in {a.outbox_id for a in alerts}]
        if missing:  # the item vanished (pruned): nothing to send, say so
            await self._settle(missing, PermanentDeliveryError(target, "the stored item is gone"), report)
        for i, alert in enumerate(alerts):
            row = by_id[alert.outbox_id]
            message_id = None
            await channel.ready(target)
            async with gate:
                try:
                    message_id = await channel.deliver(target, alert)
                    error: DeliveryError | None = None
                except DeliveryError as e:
                    error = e
                except asyncio.CancelledError:
                    raise
                except StoreError as e:  # (the store out of reach while it read the chat: no bug, no traceback)
                    log.warning("deliver %s to %s: %s; retried once the store answers", channel.name, target, e)
                    error = TemporaryDeliveryError(target, f"the store is out of reach: {e}")
                except Exception as e:  # a channel bug must not lose alerts: retry them later
                    log.exception("deliver %s: unexpected error sending to %s", channel.name, target)
                    error = TemporaryDeliveryError(target, f"unexpected {type(e).__name__}: {e}")
                await self._settle([row], error, report, message_id=message_id)
            if error is not None and error.temporary:  # no point sending the rest now; they share the fate
                rest = [by_id[a.outbox_id] for a in alerts[i + 1:]]
                if rest:
                    await self._settle(rest, error, report, count_attempt=False)
                return

    async def _settle(self, rows: Sequence[OutboxRow], error: DeliveryError | None, report: DrainReport, *,
                      count_attempt: bool = True, message_id: int | None = None) -> None:
        ids = [r.id for r in rows]
        now = self.clock()
        if error is None:
            await self._write(self.store.outbox.mark_sent, ids, now=now, message_id=message_id)
            report.sent += len(ids)
            return
        attempts = max(r.attempts for r in rows)
        if isinstance(error, HeldDelivery):  # (not a failure: nothing to warn of)
            await self._write(self.store.outbox.mark_retry, ids, error=error.reason,
                              next_attempt_at=now + timedelta(seconds=error.retry_after or 60))
            report.held += len(ids)
            return
        report.errors.append(str(error))
        if error.temporary and attempts < MAX_ATTEMPTS:
            delay = retry_delay(attempts, error.retry_after)
            await self._write(self.store.outbox.mark_retry, ids, error=error.reason,
                              next_attempt_at=now + timedelta(seconds=delay))
            report.retried += len(ids)
            if error.retry_after is None and type(error) is TemporaryDeliveryError:  # not a chat's own wait or move
                report.unanswered.extend(ids)
        else:
            reason = error.reason if not error.temporary else f"gave up after {attempts} attempts: {error.reason}"
            await self._write(self.store.outbox.mark_dead, ids, error=reason, notify=error.notify)
            report.dead += len(ids)

    async def _write(self, fn: Callable[..., T], /, *args: Any, attempts: int = WRITE_ATTEMPTS, **kwargs: Any) -> T:
        """A store call that must not be forgotten: retried with backoff while the store refuses (``attempts`` times,
        fewer for a claim, which nothing depends on yet)."""
        delay = 0.2
        for attempt in range(1, attempts + 1):
            try:
                return await self.store.run(fn, *args, **kwargs)
            except StoreError as e:
                if attempt == attempts:
                    raise
                log.warning("deliver: the store refused a write (%s); retrying in %.1f s", e, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
        raise AssertionError("unreachable")

