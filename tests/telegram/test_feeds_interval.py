"""/feeds tells the admins how often each feed is polled and why (adaptive polling)."""

from __future__ import annotations

from tests.worlds import ADMIN, World


async def test_feeds_shows_each_feeds_interval_and_why(world: World) -> None:
    world.store.feeds.sync([("https://news.example/rss", "News"), ("https://new.example/rss", "New")])
    world.store.feeds.record_interval("https://news.example/rss", seconds=360.0, reason="about 25 new items a day")
    text = (await world.ask(ADMIN, "/feeds")).text
    lines = {line.split(":")[0].split(" ", 1)[-1]: line for line in text.splitlines()}
    news, new = lines["News"], lines["New"]
    assert news.endswith(", every 6 min (about 25 new items a day)")
    assert "every" not in new  # not polled yet: no interval chosen
