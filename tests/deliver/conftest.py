"""Fixtures for the Telegram part: the Bot API double, a real store, rules, a service and a pipeline."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from bot.config import Config, FeedConfig, PollConfig, TelegramConfig
from bot.deliver.telegram.app import TelegramService
from bot.deliver.telegram.ratelimit import Pacer
from bot.feeds.fetch import HttpFetcher
from bot.pipeline import Pipeline
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.doubles.botapi import BotApiDouble
from tests.doubles.botapi_methods import Sent

ADMIN = 1000
RULES = {
    "asml.yaml": "id: asml\nname: ASML\ndescription: The Dutch lithography company.\nany: [ASML]\n",
    "chips.yaml": "id: chips\nname: Chips\ndescription: Semiconductors & fabs.\nany: [semiconductor, chipmaker]\n",
}


class Clock:
    """A settable clock."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or datetime(2024, 3, 27, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def fast_pacer() -> Pacer:
    """Test-friendly limits; the defaults are Telegram's."""
    return Pacer(per_second=2000, overall=10_000, chat_interval=0.0, group_limit=10_000, max_retries=1,
                 max_retry_wait=2)


@dataclass
class World:
    api: BotApiDouble
    store: SqliteStore
    rules: RuleBook
    clock: Clock
    service: TelegramService
    config: Config
    tmp: Path

    async def ask(self, chat_id: int, text: str, *, user_id: int | None = None, chat_type: str = "private",
                  replies: int = 1) -> Sent:
        """A user writes; returns the bot's (last) reply in that chat."""
        before = len(self.api.sent_messages(chat_id))
        self.api.user_sends(chat_id, user_id or chat_id, text, chat_type=chat_type, title=f"chat {chat_id}")
        sent = await self.api.wait_for_messages(before + replies, timeout=5, chat_id=chat_id)
        return sent[-1]

    def feed(self, name: str, items: list[dict[str, str]]) -> Path:
        """An RSS file with the given items (title, link, lede). Titles and ledes are plain text: they are
        escaped as HTML and again as XML, so a title with '<script>' reaches the bot as that text."""
        entries = []
        for i, it in enumerate(items):
            published = format_datetime(datetime(2024, 3, 27, 10, i % 60, tzinfo=UTC))
            entries.append(f"<item><title>{escape(escape(it['title']))}</title><link>{escape(it['link'])}</link>"
                           f"<description>{escape('<p>' + escape(it.get('lede', '')) + '</p>')}</description>"
                           f"<pubDate>{published}</pubDate></item>")
        path = self.tmp / f"{name}.xml"
        path.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                        f"<title>{name}</title><link>https://example.com/</link>{''.join(entries)}</channel></rss>",
                        encoding="utf-8")
        return path

    def pipeline(self, feeds: list[Path], fetcher: HttpFetcher) -> Pipeline:
        config = Config(storage_url="sqlite:///w.db", rules_path=self.rules.folder, poll=PollConfig(),
                        feeds=tuple(FeedConfig(url=str(f), name=f.stem) for f in feeds), base_dir=self.tmp)
        return Pipeline(config=config, store=self.store, fetcher=fetcher, matcher=lambda: self.rules.matcher,
                        channels=[self.service.channel], clock=self.clock, rng=random.Random(1))


def make_config(tmp: Path, api: BotApiDouble, rules: Path) -> Config:
    return Config(storage_url="sqlite:///w.db", rules_path=rules, poll=PollConfig(), feeds=(),
                  telegram=TelegramConfig(token=api.token, api_url=api.url, admins=(ADMIN,), concurrency=4),
                  base_dir=tmp)


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
async def api() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as double:
        yield double


@pytest.fixture
async def world(tmp_path: Path, api: BotApiDouble, rules_dir: Path) -> AsyncIterator[World]:
    config = make_config(tmp_path, api, rules_dir)
    store = SqliteStore(config.db_path)
    rules = RuleBook(rules_dir)
    clock = Clock()
    service = TelegramService(config, store, rules, clock, pacer=fast_pacer(), poll_timeout=1)
    await service.start()
    try:
        yield World(api=api, store=store, rules=rules, clock=clock, service=service, config=config, tmp=tmp_path)
    finally:
        await service.stop()
        store.close()
