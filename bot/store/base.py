"""The store's interface and the values it hands out. No IO."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.items.normalize import Item

if TYPE_CHECKING:
    from bot.watch import Match


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
    """An item as stored, with where it was seen and what it matched."""

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


class Store(Protocol):
    """What the pipeline, the CLI and the senders need from storage."""

    def transaction(self) -> AbstractContextManager[object]: ...

    # feeds
    def sync_feeds(self, feeds: Iterable[tuple[str, str]]) -> None: ...
    def feeds(self, urls: Sequence[str] | None = None) -> list[FeedState]: ...
    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None: ...
    def record_fetch_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                             next_poll_at: datetime) -> int: ...

    # items, sightings, matches
    def add_items(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]: ...
    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime) -> None: ...
    def items_since(self, since: datetime) -> Iterator[StoredItem]: ...
    def get_items(self, identities: Sequence[str]) -> dict[str, StoredItem]: ...
    def matched_watchlists(self, identity: str) -> dict[str, float]: ...
    def alerted_watchlists(self, identity: str) -> set[str]: ...

    # outbox
    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime) -> bool: ...
    def claim_due(self, channel: str, *, now: datetime, limit: int = 100) -> list[OutboxRow]: ...
    def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None: ...
    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None: ...
    def mark_dead(self, ids: Sequence[int], *, error: str) -> None: ...
    def release_in_flight(self) -> int: ...
    def outbox_counts(self) -> dict[str, int]: ...
    def close(self) -> None: ...
