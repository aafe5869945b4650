"""The store's contract: small Protocols per aggregate and the values they hand out. No IO.

Use-cases (``bot/app``) are the only callers. Every method is synchronous and short; a use-case
on the event loop runs store work through ``Store.run`` (the store's own worker thread), so a
slow disk or a lock held elsewhere never stalls the loop. ``Store.transaction()`` groups calls
into one atomic unit (nested use joins the outer one); every method is atomic on its own.

    Store
      .feeds     FeedStore     feeds with their fetch state and health
      .items     ItemStore     items, their sightings (feed, time) and their matches
      .outbox    OutboxStore   one alert per (item, channel, target), pending -> sending -> sent | dead
      .chats     ChatStore     Telegram chats, their settings and subscriptions
      .digests   DigestStore   digest recipients, what each has received, dead letters, runs
      .notices   NoticeStore   problems the admins were told about, each once
      .phrases   PhraseStore   a chat's own phrases and mutes, and alerts held over its hourly cap

A second database implements the same Protocols and passes ``tests/store/contract.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from bot.items.normalize import Item

if TYPE_CHECKING:
    from bot.digest.build import PendingMatch
    from bot.watch import Match

T = TypeVar("T")

MODES = ("instant", "digest")


# --- values ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedState:
    """A feed with what the last polls left behind."""

    url: str
    name: str
    title: str
    etag: str | None
    last_modified: str | None
    last_status: int | None
    last_polled_at: datetime | None
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int
    next_poll_at: datetime | None
    items_total: int
    failure_notified: bool = False

    @property
    def label(self) -> str:
        return self.name or self.title or self.url


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as stored, with where it was seen."""

    item: Item
    first_seen_at: datetime
    sightings: tuple[tuple[str, str, datetime], ...]  # (feed_url, feed_name, seen_at), first first


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One alert waiting for (or done with) delivery to one target."""

    id: int
    identity: str
    channel: str
    target: str
    watchlists: tuple[str, ...]
    state: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Chat:
    """A chat the bot talks to, with its settings."""

    chat_id: int
    type: str
    title: str
    tz: str = "UTC"
    mode: str = "instant"
    digest_at: str | None = None
    quiet_start: str | None = None
    quiet_end: str | None = None
    paused: bool = False
    active: bool = True
    inactive_reason: str | None = None
    digest_since: datetime | None = None
    migrated_to: int | None = None
    created_at: datetime | None = None
    language: str | None = None  # set by /lang; None: the user's Telegram language

    @property
    def is_group(self) -> bool:
        return self.type in ("group", "supergroup")

    @property
    def quiet(self) -> tuple[str, str] | None:
        if self.quiet_start and self.quiet_end:
            return self.quiet_start, self.quiet_end
        return None


@dataclass(frozen=True, slots=True)
class Subscription:
    chat_id: int
    watchlist: str
    mode: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Mute:
    """A chat never alerted on a phrase (kind 'phrase') or from a feed (kind 'source')."""

    chat_id: int
    kind: str
    value: str  # as the user wrote it
    key: str  # folded: what is compared


@dataclass(frozen=True, slots=True)
class RecipientState:
    """What the store remembers of one digest recipient.

    ``since`` is the floor: no match older than it is pending. Matches at or above the floor count
    as pending until they are recorded as delivered to this recipient, so a match that another
    writer commits late (with an earlier ``matched_at``) is never skipped.
    """

    key: str
    channel: str
    target: str
    watchlists: tuple[str, ...]
    since: datetime | None
    last_sent_at: datetime | None
    last_attempt_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    failures: int
    next_attempt_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    key: str
    error: str
    stories: int
    at: datetime


# --- aggregates --------------------------------------------------------------------------------------


class FeedStore(Protocol):
    def sync(self, feeds: Iterable[tuple[str, str]]) -> None: ...
    def all(self) -> list[FeedState]: ...
    def get(self, urls: Sequence[str]) -> list[FeedState]: ...
    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None: ...
    def record_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                       next_poll_at: datetime) -> int: ...
    def mark_failure_notified(self, url: str) -> None: ...


class ItemStore(Protocol):
    def add(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]: ...
    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime) -> None: ...
    def since(self, since: datetime) -> Iterator[StoredItem]: ...
    def count_since(self, since: datetime) -> int: ...
    def latest(self, limit: int) -> list[Item]: ...  # the last stored items, newest first
    def get(self, identities: Sequence[str]) -> dict[str, StoredItem]: ...
    def matched_watchlists(self, identity: str) -> dict[str, float]: ...
    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]: ...


class OutboxStore(Protocol):
    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime) -> bool: ...
    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None) -> list[OutboxRow]: ...
    def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None: ...
    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None: ...
    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None: ...
    def retarget(self, channel: str, old: str, new: str) -> int: ...
    def release_in_flight(self) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def counts_by_channel(self) -> dict[str, dict[str, int]]: ...
    def dead_reasons(self, limit: int = 5) -> list[tuple[str, int]]: ...
    def unnotified_dead(self) -> list[OutboxRow]: ...
    def mark_dead_notified(self, ids: Sequence[int]) -> None: ...
    def alerted_watchlists(self, identity: str) -> set[str]: ...
    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]: ...
    def count_recent(self, channel: str, target: str, *, since: datetime) -> int: ...


class ChatStore(Protocol):
    def get(self, chat_id: int) -> Chat | None: ...
    def all(self, *, active_only: bool = False) -> list[Chat]: ...
    def ensure(self, chat_id: int, *, type: str, title: str, now: datetime) -> Chat: ...
    def update(self, chat_id: int, *, now: datetime, **values: object) -> None: ...
    def set_mode(self, chat_id: int, mode: str, *, now: datetime) -> int: ...
    def deactivate(self, chat_id: int, reason: str, *, now: datetime) -> None: ...
    def migrate(self, old: int, new: int, *, now: datetime) -> None: ...
    def subscriptions(self, chat_id: int) -> list[Subscription]: ...
    def subscribe(self, chat_id: int, watchlist: str, mode: str | None = None, *, now: datetime) -> Subscription: ...
    def unsubscribe(self, chat_id: int, watchlist: str | None = None) -> int: ...
    def digest_chats(self) -> list[Chat]: ...
    def digest_watchlists(self, chat_id: int) -> list[str]: ...
    def instant_recipients(self, watchlists: Sequence[str]) -> dict[str, tuple[str, ...]]: ...
    def counts(self) -> dict[str, int]: ...


class DigestStore(Protocol):
    def recipient(self, key: str) -> RecipientState | None: ...
    def recipients(self) -> list[RecipientState]: ...
    def ensure(self, key: str, *, channel: str, target: str, watchlists: Sequence[str],
               since: datetime | None, now: datetime) -> RecipientState: ...
    def due_retries(self, now: datetime) -> list[RecipientState]: ...
    def pending_email(self, key: str, *, watchlists: Sequence[str], since: datetime | None) -> list[PendingMatch]: ...
    def pending_chat(self, key: str, chat_id: int) -> list[PendingMatch]: ...
    def settle(self, key: str, match_ids: Sequence[int], *, now: datetime, complete: bool = True) -> None: ...
    def fail(self, key: str, *, error: str, now: datetime, next_attempt_at: datetime | None) -> int: ...
    def clear_retry(self, key: str) -> None: ...
    def rekey(self, old: str, new: str, *, target: str) -> None: ...
    def bury(self, key: str, match_ids: Sequence[int], *, stories: int, error: str, now: datetime) -> None: ...
    def record_run(self, key: str, *, now: datetime, stories: int, outcome: str, error: str | None = None,
                   message_id: str | None = None) -> None: ...
    def dead_letters(self, key: str | None = None) -> list[DeadLetter]: ...
    def unnotified_dead(self) -> list[DeadLetter]: ...
    def mark_notified(self, ids: Sequence[int]) -> None: ...


class NoticeStore(Protocol):
    def noticed(self, key: str) -> bool: ...
    def record(self, key: str, text: str, *, now: datetime) -> None: ...


class PhraseStore(Protocol):
    """A chat's own watchlist (phrases), its mutes, and alerts held over its hourly cap.

    ``key`` is a phrase's folded form (the caller folds): one phrase or mute per key and chat."""

    def phrases(self, chat_id: int) -> list[str]: ...
    def all_phrases(self) -> dict[int, tuple[str, ...]]: ...  # active chats only
    def add(self, chat_id: int, phrase: str, key: str, *, now: datetime) -> bool: ...
    def remove(self, chat_id: int, key: str | None = None) -> int: ...  # None: all
    def mutes(self, chat_id: int) -> list[Mute]: ...
    def all_mutes(self) -> dict[int, tuple[Mute, ...]]: ...  # active chats only
    def mute(self, chat_id: int, kind: str, value: str, key: str, *, now: datetime) -> bool: ...
    def unmute(self, chat_id: int, kind: str | None = None, key: str | None = None) -> int: ...  # None: all
    def hold(self, chat_id: int, identity: str, watchlists: Sequence[str], *, now: datetime) -> None: ...
    def held_count(self, chat_id: int, *, since: datetime) -> int: ...
    def over_cap(self, chat_id: int, *, now: datetime) -> bool: ...  # True when this starts a spell over it
    def under_cap(self, chat_id: int) -> None: ...
    def untold(self) -> list[int]: ...  # chats over the cap not yet told
    def told(self, chat_id: int, *, now: datetime) -> None: ...
    def rekey(self, old: int, new: int) -> None: ...  # a group that became a supergroup


class Store(Protocol):
    """One database: its aggregates, transactions, and a worker to run store work off the event loop."""

    @property
    def feeds(self) -> FeedStore: ...
    @property
    def items(self) -> ItemStore: ...
    @property
    def outbox(self) -> OutboxStore: ...
    @property
    def chats(self) -> ChatStore: ...
    @property
    def digests(self) -> DigestStore: ...
    @property
    def notices(self) -> NoticeStore: ...
    @property
    def phrases(self) -> PhraseStore: ...
    @property
    def location(self) -> str: ...  # where the data lives, for messages ("data/watchbot.db")

    def transaction(self) -> AbstractContextManager[object]: ...
    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...
    def check(self) -> str | None: ...  # None when healthy, else what is wrong, in words
    def close(self) -> None: ...
