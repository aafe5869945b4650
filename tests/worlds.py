"""Worlds the tests build on: the Bot API double with the real app wired to it, and stored stories.

``World`` is watchbot as `watchbot run` wires it (``bot.app.build.open_app``), with a settable clock
and test-friendly pacing, talking to the Bot API double on loopback. ``seed`` stores a story the way
the pipeline would (item, sightings, matches), through the store's API.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

from bot.app.build import App
from bot.app.pipeline import Pipeline
from bot.config import Config, FeedConfig, PollConfig, TelegramConfig
from bot.deliver.ratelimit import Pacer
from bot.feeds.fetch import HttpFetcher
from bot.items.normalize import Item
from bot.store.protocols import Store
from bot.telegram.app import TelegramBot
from bot.watch import Hit, Match, RuleBook
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


def make_config(tmp: Path, api: BotApiDouble, rules: Path, feeds: Sequence[Path] = ()) -> Config:
    return Config(storage_url="sqlite:///w.db", rules_path=rules, poll=PollConfig(),
                  feeds=tuple(FeedConfig(url=str(f), name=f.stem) for f in feeds),
                  telegram=TelegramConfig(token=api.token, api_url=api.url, admins=(ADMIN,), concurrency=4),
                  base_dir=tmp)


@dataclass
class World:
    api: BotApiDouble
    app: App
    clock: Clock
    config: Config
    tmp: Path

    @property
    def store(self) -> Store:
        return self.app.store

    @property
    def rules(self) -> RuleBook:
        return self.app.rules

    @property
    def bot(self) -> TelegramBot:
        assert self.app.telegram is not None
        return self.app.telegram

    async def ask(self, chat_id: int, text: str, *, user_id: int | None = None, chat_type: str = "private",
                  replies: int = 1) -> Sent:
        """A user writes; returns the bot's (last) reply in that chat."""
        before = len(self.api.sent_messages(chat_id))
        self.api.user_sends(chat_id, user_id or chat_id, text, chat_type=chat_type, title=f"chat {chat_id}")
        sent = await self.api.wait_for_messages(before + replies, timeout=5, chat_id=chat_id)
        return sent[-1]

    def feed(self, name: str, items: list[dict[str, str]]) -> Path:
        """An RSS file with the given items (title, link, lede; published, an RFC 822 date, else 27 March 2024
        10:00 UTC plus a minute an item). Titles and ledes are plain text: they are escaped as HTML and again as
        XML, so a title with '<script>' reaches the bot as that text."""
        entries = []
        for i, it in enumerate(items):
            published = it.get("published") or format_datetime(datetime(2024, 3, 27, 10, i % 60, tzinfo=UTC))
            entries.append(f"<item><title>{escape(escape(it['title']))}</title><link>{escape(it['link'])}</link>"
                           f"<description>{escape('<p>' + escape(it.get('lede', '')) + '</p>')}</description>"
                           f"<pubDate>{published}</pubDate></item>")
        path = self.tmp / f"{name}.xml"
        path.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                        f"<title>{name}</title><link>https://example.com/</link>{''.join(entries)}</channel></rss>",
                        encoding="utf-8")
        return path

    def pipeline(self, feeds: list[Path], fetcher: HttpFetcher) -> Pipeline:
        """A pipeline over these feed files, alerting through the world's channels."""
        config = Config(storage_url="sqlite:///w.db", rules_path=self.rules.folder, poll=PollConfig(),
                        feeds=tuple(FeedConfig(url=str(f), name=f.stem) for f in feeds), base_dir=self.tmp)
        self.store.feeds.sync((f.url, f.name) for f in config.feeds)
        return Pipeline(config=config, store=self.store, fetcher=fetcher, matcher=self.app.pipeline.matcher,
                        alerts=self.app.alerts, clock=self.clock)


def seed(store: Store, identity: str, *, watchlists: list[str], at: datetime, title: str = "",
         feeds: tuple[str, ...] = ("Reuters",), lede: str = "", published: datetime | None = None) -> None:
    """One story seen in ``feeds`` and matched by ``watchlists`` at ``at`` (as the pipeline would store it)."""
    for n, feed in enumerate(feeds):  # seen in this order, a second apart
        link = f"https://news.example/{identity}"
        item = Item(identity=identity, url=link, link=link, guid=None, title=title or f"story {identity}",
                    lede=lede, language="en", published=published or at,
                    feed_url=f"https://{feed.lower().replace(' ', '-')}.example/rss", feed_title=feed)
        store.items.add([item], feed_name=feed, now=at + timedelta(seconds=n))
    matches = [Match(watchlist=w, score=100.0, hits=(Hit(pattern=w, field="title", span=(0, 1), text=w.upper(),
                                                         score=100.0),)) for w in watchlists]
    store.items.record_matches(identity, matches, now=at)
