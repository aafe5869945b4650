"""Whatever text a feed or a user sends, both stores take it (PostgreSQL refuses NUL in text)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.app.recent_alerts import RecentAlerts
from bot.items.read import read_items
from bot.store.protocols import Store

NOW = datetime(2026, 2, 18, 9, 0, tzinfo=UTC)


def test_control_characters_a_json_feed_sends_never_reach_the_store(store: Store) -> None:
    body = json.dumps({
        "version": "https://jsonfeed.org/version/1.1", "title": "Wire\u0000 feed",
        "items": [{"id": "a-1\u0000", "url": "https://wire.example/1\u0007", "title": "ASML\u0000 ships\u001b[2J",
                   "content_html": "<p>The Dutch company\u0000 said on Monday that it would ship more machines.</p>"},
                  {"id": "a-2", "url": "https://wire.example/2", "title": "Line one\nline\ttwo"}],
    }).encode()
    read = read_items(body, url="https://wire.example/feed.json", label="Wire")
    assert read.title == "Wire feed"
    first, second = read.items
    assert (first.title, first.guid, first.link) == ("ASML ships[2J", "a-1", "https://wire.example/1")
    assert first.lede == "The Dutch company said on Monday that it would ship more machines."
    assert second.title == "Line one line two"  # (whitespace is whitespace)
    store.feeds.sync([("https://wire.example/feed.json", "Wire")])
    assert store.items.add(list(read.items), feed_name=read.title, now=NOW) == list(read.items)
    assert store.items.get([first.identity])[first.identity].item.title == "ASML ships[2J"


async def test_a_search_on_the_web_with_a_control_character_in_it_finds_what_it_would_without(store: Store) -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Wire",
                       "items": [{"id": "1", "url": "https://wire.example/1", "title": "ASML ships"}]}).encode()
    (item,) = read_items(body, url="https://wire.example/feed.json").items
    store.items.add([item], feed_name="Wire", now=NOW)
    store.outbox.enqueue(item.identity, "telegram", "5001", ["asml"], now=NOW)
    alerts = RecentAlerts(store, lambda: ())
    assert [a.title for a in await alerts.search(text="ASML")] == ["ASML ships"]
    assert await alerts.search(text="ASML\x00", watchlist="asml\x00", chat="5001\x00") != []  # (a crafted URL)
