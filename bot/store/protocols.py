"""The store's contract: small Protocols per aggregate and the values they hand out. No IO.

Use-cases (``bot/app``) are the only callers. Every method is synchronous and short; a use-case
on the event loop runs store work through ``Store.run`` (the store's own worker thread), so a
slow disk or a lock held elsewhere never stalls the loop. ``Store.transaction()`` groups calls
into one atomic unit (nested use joins the outer one); every method is atomic on its own.

    Store
      .feeds     FeedStore     feeds with their fetch state, health and chosen poll interval
      .items     ItemStore     items, their sightings (feed, time) and their matches
      .outbox    OutboxStore   one alert per (item, channel, target), pending -> sending -> sent | dead
      .chats     ChatStore     Telegram chats, their settings and subscriptions
      .digests   DigestStore   digest recipients, what each has received, dead letters, runs
      .notices   NoticeStore   problems the admins were told about, each once
      .sessions  SessionStore  the web's one-time login links and sessions (token digests only)
      .rule_texts RuleTextStore watchlist files saved on the web, for every process on the store
      .judgments JudgmentStore 👍/👎 on alerts: one per chat, story and user
      .archive   ArchiveStore  every table in portable form (bot/store/portable.py), for copies and backups
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
    last_items: int | None = None  # items in the last body read; None before the first
    ttl_seconds: float | None = None  # the feed's <ttl>, from its last body
    update_seconds: float | None = None  # its sy:updatePeriod / sy:updateFrequency, from its last body
    interval_seconds: float | None = None  # the poll interval chosen after the last poll ...
    interval_reason: str | None = None  # ... and why, in words ("about 3 new items a day")
    origin: str = "config"  # "config": a [[feeds]] entry; "store": added on the web or by `watchbot feeds add`
    paused: bool = False
    last_warning: str | None = None  # what was wrong with the last body read, although it was read

    @property
    def label(self) -> str:
        return self.name or self.title or self.url

    @property
    def unreached(self) -> bool:
        """Its last poll failed without counting as its failure (``record_failure(counted=False)``: this machine
        seemed offline)."""
        return (not self.consecutive_failures and self.last_error is not None and self.last_error_at is not None
                and self.last_error_at == self.last_polled_at and self.last_error_at != self.last_success_at)

    @property
    def health(self) -> str:
        """One word for lists and filters: "paused", "failing", "unreached" (see above), "new" (never read) or
        "ok"."""
        if self.paused:
            return "paused"
        if self.consecutive_failures:
            return "failing"
        if self.unreached:
            return "unreached"
        return "ok" if self.last_success_at else "new"


@dataclass(frozen=True, slots=True)
class FeedRhythm:
    """How a feed has been posting lately: what adaptive polling reads (bot/app/polling.py)."""

    times: tuple[datetime, ...]  # when each recent item of the feed appeared (published, else first seen), oldest first
    watched_since: datetime | None  # the feed's first sighting of any item: how long we have known it


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
    story: str = ""  # the story this alert is for (one alert per story, channel and target)
    message_id: int | None = None  # the sent Telegram message, which later reports of the story edit
    sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ItemText:
    """What the story index reads of every item, matched or not: the words a topic has used (bot.stories.background)."""

    identity: str
    title: str
    lede: str
    first_seen_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class StoryMember:
    """An item of a story, as the story index is rebuilt from and `watchbot stories` lists it."""

    identity: str
    story: str
    feed_url: str
    feed_name: str
    title: str
    lede: str
    language: str
    first_seen_at: datetime
    published_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """An alert as `watchbot alerts` and the web list it: the outbox row with its item and explanation."""

    row: OutboxRow
    title: str
    link: str | None
    lede: str
    hits: dict[str, list[dict[str, Any]]]  # watchlist -> hits (DESIGN.md shape)


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
    heard_language: str | None = None  # a group without /lang: its setting-up administrator's (alerts, digests)

    @property
    def speaks(self) -> str | None:
        """The language of what the chat gets unasked (alerts, digests, notices): /lang's, else the one heard."""
        return self.language or self.heard_language

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


@dataclass(frozen=True, slots=True)
class Judgment:
    """A person's 👍 ("up") or 👎 ("down") on an alert: what they judged (the story, its item, the watchlists
    and the hits that made the alert) in which chat. One per chat, story and user; a later tap replaces it."""

    chat_id: int
    story: str
    user_id: int
    verdict: str  # "up" | "down"
    identity: str  # the item the alert showed
    watchlists: tuple[str, ...]
    hits: dict[str, list[dict[str, Any]]]  # watchlist -> hits (DESIGN.md shape), as alerted
    at: datetime


# --- aggregates --------------------------------------------------------------------------------------


class FeedStore(Protocol):
    def sync(self, feeds: Iterable[tuple[str, str]]) -> None: ...
    def all(self) -> list[FeedState]: ...
    def get(self, urls: Sequence[str]) -> list[FeedState]: ...
    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None: ...
    # A failed poll; returns the failure streak. ``counted`` false: the failure was not the feed's (this machine was
    # offline): its error, time and next poll are kept, the streak is left as it was.
    def record_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                       next_poll_at: datetime, counted: bool = True) -> int: ...
    def mark_failure_notified(self, url: str) -> None: ...
    def record_body(self, url: str, *, items: int, ttl: float | None, update: float | None,
                    warning: str | None = None) -> None: ...
    def record_interval(self, url: str, *, seconds: float, reason: str) -> None: ...
    def add(self, url: str, name: str, *, now: datetime) -> bool: ...
    def remove(self, url: str) -> bool: ...
    def set_paused(self, url: str, paused: bool) -> bool: ...
    # Due feeds (next poll at or before ``now``, or never polled), up to ``limit``, now due only at ``until``:
    # one process hands each out once; its poll records the real next time (polls spread over processes).
    def claim_due(self, now: datetime, *, until: datetime, limit: int = 1000) -> list[str]: ...


class ItemStore(Protocol):
    def add(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]: ...
    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime,
                       backlog: bool = False) -> None: ...  # backlog: too old to alert, so in no digest either
    def since(self, since: datetime) -> Iterator[StoredItem]: ...
    def count_since(self, since: datetime) -> int: ...
    def rhythm(self, feed_url: str, *, since: datetime) -> FeedRhythm: ...
    def latest(self, limit: int) -> list[Item]: ...  # the last stored items, newest first
    def get(self, identities: Sequence[str]) -> dict[str, StoredItem]: ...
    # guid -> (identity, title) of an item the feed stored with that guid (the latest first seen, if several)
    def by_guid(self, feed_url: str, guids: Sequence[str]) -> dict[str, tuple[str, str]]: ...
    # (published, title) -> identity of an item the feed stored with that publication time (UTC, to the second) and
    # title (the latest first seen, if several)
    def by_published(self, feed_url: str, times: Sequence[datetime]) -> dict[tuple[datetime, str], str]: ...
    def matched_watchlists(self, identity: str) -> dict[str, float]: ...
    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]: ...
    def set_story(self, identity: str, story: str) -> None: ...
    def story_members(self, since: datetime) -> list[StoryMember]: ...  # matched items of the stories seen since
    def texts_since(self, since: datetime) -> list[ItemText]: ...  # every item first seen at or after, oldest first
    # Story placement across processes: an ingest that places items takes the story lock (held until its
    # transaction ends; no other process places meanwhile), reads what was placed after the last number it saw,
    # places, and numbers its items with the next number (the highest so far + 1), which it returns.
    def lock_stories(self, wait: float = 60.0) -> None: ...  # wait: seconds, then an error
    def placed_after(self, number: int) -> tuple[list[StoryMember], int]: ...  # members, the highest number
    def mark_placed(self, identities: Sequence[str]) -> int: ...
    def last_placed(self) -> int: ...  # the highest number so far (0: none)
    def outlets(self, story: str) -> list[str]: ...  # the feeds that carried the story, first first
    def recent(self, limit: int) -> list[tuple[str, str, str]]: ...  # (identity, title, lede), newest first
    def matched_by(self, watchlist: str, identities: Sequence[str]) -> set[str]: ...
    def rename_watchlist(self, old: str, new: str) -> int: ...


    # Items first seen before ``before`` go, with their sightings, matches and finished alerts; never one
    # with an alert pending or sending, or a match a digest recipient has not received. {"items": n, ...}
    def prune(self, before: datetime) -> dict[str, int]: ...


class OutboxStore(Protocol):
    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime, story: str | None = None) -> bool: ...
    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None, per_target: int | None = None) -> list[OutboxRow]: ...
    def mark_sent(self, ids: Sequence[int], *, now: datetime, message_id: int | None = None) -> None: ...
    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None: ...
    # Of these alerts, those still pending and due later are due at ``now`` (the channel works again); how many.
    def hasten(self, ids: Sequence[int], *, now: datetime) -> int: ...
    # A target's pending alerts due later are due at ``now`` (its quiet hours were lifted or moved); how many.
    def hasten_target(self, channel: str, target: str, *, now: datetime) -> int: ...
    def mark_dead(self, ids: Sequence[int], *, error: str, notify: bool = True) -> None: ...
    def retarget(self, channel: str, old: str, new: str) -> int: ...
    def rename_watchlist(self, old: str, new: str) -> int: ...  # alerts that name ``old`` name ``new``; how many
    def release_in_flight(self) -> int: ...
    def counts(self) -> dict[str, int]: ...
    def counts_by_channel(self) -> dict[str, dict[str, int]]: ...
    def dead_reasons(self, limit: int = 5) -> list[tuple[str, int]]: ...
    def unnotified_dead(self) -> list[OutboxRow]: ...
    def mark_dead_notified(self, ids: Sequence[int]) -> None: ...
    def alerted_watchlists(self, identity: str) -> set[str]: ...
    # of ``stories``, those alerted (or being alerted) to one target: not dead (a digest then lists them no more)
    def alerted_stories(self, channel: str, target: str, stories: Sequence[str]) -> set[str]: ...
    def rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]: ...
    def recent(self, since: datetime, *, search: str | None = None, watchlist: str | None = None,
               target: str | None = None, limit: int = 100) -> list[AlertRecord]: ...
    # edits of sent alerts when a story gains outlets (one pending edit per alert)
    def queue_edits(self, story: str, *, now: datetime, sent_since: datetime) -> int: ...
    def claim_edits(self, channel: str, *, now: datetime, limit: int = 100) -> list[OutboxRow]: ...
    def edit_done(self, ids: Sequence[int]) -> None: ...
    def edit_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None: ...
    def edit_dead(self, ids: Sequence[int], *, error: str) -> None: ...
    def edit_counts(self) -> dict[str, int]: ...
    def get(self, outbox_id: int) -> OutboxRow | None: ...
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
    def followers(self, watchlist: str) -> int: ...
    def followed(self) -> dict[str, int]: ...  # every watchlist id active chats follow -> how many
    def rename_watchlist(self, old: str, new: str) -> int: ...
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


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in web session: who, and the CSRF token its forms carry."""

    user_id: int
    csrf: str
    expires_at: datetime


class SessionStore(Protocol):
    """Tokens arrive here already hashed (the use-case hashes them): the store never holds one that works."""

    def add_login(self, token_hash: str, user_id: int, *, expires_at: datetime) -> None: ...
    def use_login(self, token_hash: str, *, now: datetime) -> int | None: ...  # the user id, once
    def open(self, session_hash: str, user_id: int, csrf: str, *, now: datetime, expires_at: datetime) -> None: ...
    def get(self, session_hash: str, *, now: datetime) -> WebSession | None: ...
    def close(self, session_hash: str) -> None: ...
    def purge(self, now: datetime) -> int: ...


class RuleTextStore(Protocol):
    def put(self, name: str, text: str, *, now: datetime) -> None: ...
    def changed_since(self, since: datetime | None) -> list[tuple[str, str, datetime]]: ...  # at or after; oldest first


class JudgmentStore(Protocol):
    def record(self, judgment: Judgment) -> Judgment | None: ...  # the judgment it replaced, if any
    def all(self, *, since: datetime | None = None) -> list[Judgment]: ...  # oldest first
    def counts(self) -> dict[str, int]: ...  # verdict -> judgments
    def tally(self, chat_id: int, story: str) -> dict[str, int]: ...  # verdict -> people, for one alert's buttons
    def rename_watchlist(self, old: str, new: str) -> int: ...  # judgments of ``old`` teach ``new``; how many


class ArchiveStore(Protocol):
    """Whole tables in portable form (``bot.store.portable``): `watchbot store copy` and backups."""

    def count(self, table: str) -> int: ...
    def export(self, table: str, *, batch: int = 1000) -> Iterator[list[dict[str, Any]]]: ...
    def load(self, table: str, rows: Sequence[dict[str, Any]]) -> None: ...
    def clear(self) -> None: ...  # every table emptied (a forced copy replaces what the target held)
    def snapshot(self) -> AbstractContextManager[object]: ...  # exports inside see one consistent state


class Lease(Protocol):
    """Leadership among the processes sharing one store: at most one holds it at a time.

    The holder reads Telegram updates and sends; a holder that dies loses it (its session ends),
    and another process's next ``acquire`` gets it."""

    def acquire(self) -> bool: ...  # try once, without waiting; True when this process holds it
    def held(self) -> bool: ...  # still held (the database still knows this process holds it)
    def release(self) -> None: ...


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
    def rename_watchlist(self, old: str, new: str) -> int: ...  # held alerts of ``old`` are ``new``'s; how many
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
    def sessions(self) -> SessionStore: ...
    @property
    def rule_texts(self) -> RuleTextStore: ...
    @property
    def judgments(self) -> JudgmentStore: ...
    @property
    def archive(self) -> ArchiveStore: ...
    @property
    def phrases(self) -> PhraseStore: ...
    @property
    def location(self) -> str: ...  # where the data lives, for messages ("data/watchbot.db")
    @property
    def read_only(self) -> bool: ...  # opened only to read (a command that reads a SQLite store on read-only media)
    @property
    def schema_version(self) -> int: ...  # the newest migration applied

    def transaction(self) -> AbstractContextManager[object]: ...
    def lease(self, name: str) -> Lease: ...
    # Store calls from the event loop run on the store's threads: ``run`` for work someone waits for
    # (a command, a page), ``run_background`` for polling's, which queues behind it (bot/store/lanes.py).
    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...
    def run_background(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Awaitable[T]: ...
    def check(self) -> str | None: ...  # None when healthy, else what is wrong, in words
    def close(self) -> None: ...
