"""Chats: what a chat follows and how it wants alerts, and chats that move or go. Use-case: the store.

Telegram's handlers (``bot/telegram``) call these; each is one short unit of store work run off
the event loop. ``migrate`` is the one place a group that became a supergroup moves: its settings,
subscriptions, pending alerts and digest state move together in one transaction, so nothing is
lost and its next digest repeats nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.deliver.telegram import CANNOT_WRITE, CHANNEL, REJECTED
from bot.markup import one_line
from bot.store.protocols import Chat, Mute, Store, Subscription
from bot.watch.personal import owner

log = logging.getLogger("watchbot.telegram")


def chat_key(chat_id: int | str) -> str:
    """A chat's digest-recipient key."""
    return f"chat:{int(chat_id)}"


@dataclass(frozen=True, slots=True)
class ChatView:
    """A chat with what shapes its alerts, for `watchbot chats`."""

    chat: Chat
    subscriptions: tuple[Subscription, ...]  # shared watchlists (its own watchlist is ``phrases``)
    phrases: tuple[str, ...]
    mutes: tuple[Mute, ...]
    follows_own: str | None  # the mode its own phrases alert in; None when it does not follow them


FOLLOWED = " · it followed: "  # in a gone chat's reason: the watchlists it was unsubscribed from then
WHEN = " on %Y-%m-%d %H:%M UTC"  # in a gone chat's reason: when it went


@dataclass(frozen=True, slots=True)
class Return:
    """A chat that was gone (the bot removed or blocked) and is back: when and why it went, and what it followed then
    (its shared watchlists; whether it followed its own phrases), all of which was dropped.

    ``cause`` is the reason as a word a reply can say in the chat's language: "removed" (from a group), "blocked" (by
    the user), "deleted" (the account), or "refused" (Telegram's own words, ``detail``, say why)."""

    reason: str  # as recorded, in English
    cause: str
    detail: str
    since: datetime | None
    followed: tuple[str, ...]
    own_phrases: bool


def gone_cause(reason: str) -> str:
    """What a recorded reason for a gone chat comes down to (``Return.cause``); the reasons are ours (the bot was
    removed, the user blocked it) or Telegram's refusals ("Forbidden: bot was blocked by the user", "bot was kicked
    from the supergroup chat", "user is deactivated", "Bad Request: chat not found")."""
    said = reason.lower()
    if "removed" in said or "kicked" in said:
        return "removed"
    if "blocked" in said:
        return "blocked"
    if "deactivated" in said:
        return "deleted"
    return "refused"


def gone_since(reason: str) -> tuple[str, datetime | None]:
    """A recorded reason without its time (``WHEN``) nor our words before Telegram's, and that time; None for a reason
    recorded without one."""
    head, _, tail = reason.rpartition(" on ")
    try:
        reason, since = head, datetime.strptime(" on " + tail, WHEN).replace(tzinfo=UTC)
    except ValueError:
        since = None
    return reason.removeprefix(CANNOT_WRITE).removeprefix(REJECTED), since


@dataclass(frozen=True, slots=True)
class ModeChange:
    """What /mode changed: the subscriptions to shared watchlists that now alert in the new mode, and whether the
    chat's own phrases (which follow the mode too) are among its subscriptions."""

    changed: int
    own_phrases: bool


class Chats:
    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock
        self.moved: list[Callable[[int, int], None]] = []  # told (old, new) after a move (bot.app.phrases)

    async def seen(self, chat_id: int, *, type: str, title: str) -> Chat:
        """Record a chat that talked to the bot (again): a blocked chat that writes is active again. Its title (a
        group's, or a user's name) is kept on one line: it is shown in tables and logs, and PostgreSQL refuses NUL."""
        return await self.store.run(self.store.chats.ensure, chat_id, type=type, title=one_line(title),
                                    now=self.clock())

    async def arrive(self, chat_id: int, *, type: str, title: str) -> tuple[Chat, Return | None]:
        """``seen``, and when the chat had been gone (the bot removed or blocked; not a group that moved), what it
        lost then, so that it can be told (it got nothing since, and its subscriptions were dropped)."""
        return await self.store.run(self._arrive, chat_id, type, one_line(title))

    def _arrive(self, chat_id: int, type: str, title: str) -> tuple[Chat, Return | None]:
        before = self.store.chats.get(chat_id)
        chat = self.store.chats.ensure(chat_id, type=type, title=title, now=self.clock())
        if before is None or before.active or before.migrated_to is not None:
            return chat, None
        reason, _, followed = (before.inactive_reason or "").partition(FOLLOWED)
        ids = tuple(w for w in followed.split(", ") if w)
        detail, since = gone_since(reason)
        return chat, Return(reason, gone_cause(detail), detail, since, tuple(w for w in ids if owner(w) is None),
                            any(owner(w) is not None for w in ids))

    async def get(self, chat_id: int) -> Chat | None:
        return await self.store.run(self.store.chats.get, chat_id)

    async def subscriptions(self, chat_id: int) -> list[Subscription]:
        return await self.store.run(self.store.chats.subscriptions, chat_id)

    async def subscribe(self, chat_id: int, watchlist: str, mode: str | None = None) -> Subscription:
        return await self.store.run(self.store.chats.subscribe, chat_id, watchlist, mode, now=self.clock())

    async def unsubscribe(self, chat_id: int, watchlist: str | None = None) -> int:
        return await self.store.run(self.store.chats.unsubscribe, chat_id, watchlist)

    async def set_mode(self, chat_id: int, mode: str) -> ModeChange:
        """The chat's default mode and every subscription's, its own phrases' too."""
        return await self.store.run(self._set_mode, chat_id, mode)

    def _set_mode(self, chat_id: int, mode: str) -> ModeChange:
        with self.store.transaction():
            subs = self.store.chats.subscriptions(chat_id)
            self.store.chats.set_mode(chat_id, mode, now=self.clock())
        shared = [s for s in subs if owner(s.watchlist) is None]
        return ModeChange(sum(1 for s in shared if s.mode != mode), len(shared) < len(subs))

    async def update(self, chat_id: int, **values: object) -> None:
        """Change settings: tz, quiet_start/quiet_end, paused, digest_at. A change of the quiet hours (or the zone they
        are read in) makes the alerts they held due now: the delivery holds them again if the new hours say so (they
        waited for the old hours' end: /quiet off released nothing for hours)."""
        await self.store.run(self._update, chat_id, values)

    def _update(self, chat_id: int, values: dict[str, object]) -> None:
        now = self.clock()
        with self.store.transaction():
            self.store.chats.update(chat_id, now=now, **values)
            if {"quiet_start", "quiet_end", "tz"} & values.keys():
                self.store.outbox.hasten_target("telegram", str(chat_id), now=now)

    async def deactivate(self, chat_id: int, reason: str) -> None:
        """The bot was blocked or removed: the chat is unsubscribed from everything and gets nothing. Its reason keeps
        when, and what it followed (told to the chat if it comes back: ``arrive``)."""
        await self.store.run(self._deactivate, chat_id, reason)
        log.warning("telegram: chat %s is gone (%s); deactivated and unsubscribed", chat_id, reason)

    def _deactivate(self, chat_id: int, reason: str) -> None:
        with self.store.transaction():
            chat = self.store.chats.get(chat_id)
            if chat is not None and not chat.active:
                return  # (gone already: a second notice of it keeps what the first one recorded)
            followed = [s.watchlist for s in self.store.chats.subscriptions(chat_id)]
            said = reason + format(self.clock().astimezone(UTC), WHEN)
            said += FOLLOWED + ", ".join(followed) if followed else ""
            self.store.chats.deactivate(chat_id, said, now=self.clock())

    async def migrate(self, old: int, new: int) -> None:
        """A group became a supergroup: everything of the chat moves to the new id, in one transaction."""
        moved = await self.store.run(self.migrate_now, old, new)
        log.info("telegram: group %s migrated to %s; %d pending alerts moved", old, new, moved)

    def migrate_now(self, old: int, new: int) -> int:
        """``migrate``, in the store's thread; returns how many pending alerts moved."""
        with self.store.transaction():
            self.store.chats.migrate(old, new, now=self.clock())
            moved = self.store.outbox.retarget(CHANNEL, str(old), str(new))
            self.store.digests.rekey(chat_key(old), chat_key(new), target=str(new))
            self.store.phrases.rekey(old, new)
        for listener in self.moved:
            listener(old, new)
        return moved

    async def counts(self) -> dict[str, int]:
        return await self.store.run(self.store.chats.counts)

    async def views(self) -> list[ChatView]:
        """Every chat with its subscriptions, phrases and mutes (`watchbot chats`)."""
        return await self.store.run(self._views, None)

    async def view(self, chat_id: int) -> ChatView | None:
        """One chat (`watchbot chats show ID`); None when the store does not know it."""
        found = await self.store.run(self._views, chat_id)
        return found[0] if found else None

    def _views(self, chat_id: int | None) -> list[ChatView]:
        if chat_id is None:
            chats = self.store.chats.all()
        else:
            one = self.store.chats.get(chat_id)
            chats = [one] if one is not None else []
        views = []
        for c in chats:
            subs = self.store.chats.subscriptions(c.chat_id)
            own = next((s.mode for s in subs if owner(s.watchlist) == c.chat_id), None)
            views.append(ChatView(c, tuple(s for s in subs if owner(s.watchlist) is None),
                                  tuple(self.store.phrases.phrases(c.chat_id)),
                                  tuple(self.store.phrases.mutes(c.chat_id)), own))
        return views
