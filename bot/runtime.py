"""Build the parts a command needs from a Config: store, fetcher, rules, channels. IO: opens them.

The CLI and the service use this; tests build their own parts and hand them to Pipeline directly.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.config import Config
from bot.deliver.console import ConsoleSender
from bot.feeds.fetch import HttpFetcher
from bot.pipeline import Channel, Pipeline, everyone
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook


def utcnow() -> datetime:
    """The real clock, timezone-aware."""
    return datetime.now(UTC)


@dataclass
class Runtime:
    config: Config
    store: SqliteStore
    fetcher: HttpFetcher
    rules: RuleBook
    pipeline: Pipeline


def console_channels() -> list[Channel]:
    return [Channel(sender=ConsoleSender(), recipients=everyone)]


@contextlib.asynccontextmanager
async def open_runtime(config: Config, *, channels: list[Channel] | None = None) -> AsyncIterator[Runtime]:
    """Open the store (migrating it), the HTTP client and the rules; close them on exit."""
    store = SqliteStore(config.db_path)
    try:
        rules = RuleBook(config.rules_path)
        async with HttpFetcher(timeout=config.poll.timeout, max_bytes=config.poll.max_bytes,
                               concurrency=config.poll.concurrency, per_host=config.poll.per_host) as fetcher:
            pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                                channels=console_channels() if channels is None else channels,
                                clock=utcnow, rng=random.Random())
            yield Runtime(config=config, store=store, fetcher=fetcher, rules=rules, pipeline=pipeline)
    finally:
        store.close()
