"""What the service knows of itself, for people: feed health and delivery counts. Use-case: store reads.

The CLI (`watchbot feeds`, `watchbot alerts`), Telegram's admin commands (/feeds, /stats) and /healthz read these.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.store.protocols import AlertRecord, FeedState, Store


@dataclass(frozen=True, slots=True)
class Stats:
    outbox: dict[str, dict[str, int]]  # channel -> state -> count
    dead_reasons: list[tuple[str, int]]  # the most common dead-letter reasons
    feeds: list[FeedState]
    chats: dict[str, int]  # active, inactive, paused, subscriptions

    @property
    def failing(self) -> list[FeedState]:
        return [f for f in self.feeds if f.consecutive_failures]


class Status:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def feeds(self) -> list[FeedState]:
        return await self.store.run(self.store.feeds.all)

    async def stats(self) -> Stats:
        return await self.store.run(self.stats_now)

    def stats_now(self) -> Stats:
        return Stats(outbox=self.store.outbox.counts_by_channel(), dead_reasons=self.store.outbox.dead_reasons(),
                     feeds=self.store.feeds.all(), chats=self.store.chats.counts())

    async def outbox(self) -> dict[str, int]:
        return await self.store.run(self.store.outbox.counts)

    async def alerts(self, since: datetime, *, search: str | None = None, watchlist: str | None = None,
                     target: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """What was alerted since ``since``, newest first, with what explains each match."""
        return await self.store.run(self.store.outbox.recent, since, search=search, watchlist=watchlist,
                                    target=target, limit=limit)
