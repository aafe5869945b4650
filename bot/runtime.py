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
from bot.errors import WatchbotError
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
async def open_runtime(config: Config) -> AsyncIterator[Runtime]:
    """Open the store (migrating it), the HTTP client, the rules and the alert channel; close them on exit.

    With [telegram] configured, alerts go to the subscribed chats through the Bot API (the bot is
    initialized but does not poll for updates: that is `watchbot run`'s job); otherwise to the console.
    Either way a matched item gets its outbox rows, so a one-off poll never loses a chat's alert.
    """
    store = SqliteStore(config.db_path)
    try:
        rules = RuleBook(config.rules_path)
        async with contextlib.AsyncExitStack() as stack:
            channels = await _channels(config, store, rules, stack)
            fetcher = await stack.enter_async_context(HttpFetcher(
                timeout=config.poll.timeout, max_bytes=config.poll.max_bytes,
                concurrency=config.poll.concurrency, per_host=config.poll.per_host))
            pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                                channels=channels, clock=utcnow, rng=random.Random())
            yield Runtime(config=config, store=store, fetcher=fetcher, rules=rules, pipeline=pipeline)
    finally:
        store.close()


async def _channels(config: Config, store: SqliteStore, rules: RuleBook,
                    stack: contextlib.AsyncExitStack) -> list[Channel]:
    if config.telegram is None:
        return console_channels()
    from bot.deliver.telegram.app import TelegramService

    telegram = TelegramService(config, store, rules, utcnow)
    app = telegram.application
    try:
        await app.initialize()
    except Exception as e:  # PTB's InvalidToken, NetworkError, TimedOut: one line, no token
        reason = (str(e) or type(e).__name__).replace(config.telegram.token, "<token>")
        raise WatchbotError(f"telegram: cannot reach the Bot API at {config.telegram.api_url}: {reason} "
                            "(check telegram.token and telegram.api_url)") from None
    stack.push_async_callback(app.shutdown)
    return [telegram.channel]
