"""/feeds tells the admins how often each feed is polled and why (adaptive polling)."""

from __future__ import annotations

from bot.items.normalize import Item
from tests.worlds import ADMIN, World


async def test_feeds_shows_each_feeds_interval_and_why(world: World) -> None:
    world.store.feeds.sync([("https://news.example/rss", "News"), ("https://new.example/rss", "New")])
    world.store.feeds.record_interval("https://news.example/rss", seconds=360.0, reason="about 25 new items a day")
    text = (await world.ask(ADMIN, "/feeds")).text
    lines = {line.split(":")[0].split(" ", 1)[-1]: line for line in text.splitlines()}
    news, new = lines["News"], lines["New"]
    assert news.endswith(", every 6 min (about 25 new items a day)")
    assert "every" not in new  # not polled yet: no interval chosen


async def test_feeds_shows_what_was_wrong_with_a_body_read_all_the_same(world: World) -> None:
    world.store.feeds.sync([("https://news.example/rss", "News"), ("https://clean.example/rss", "Clean")])
    world.store.feeds.record_body("https://news.example/rss", items=3, ttl=None, update=None,
                                  warning="not well-formed XML, line 4, column 7: undefined entity at '&nbsp;'")
    text = (await world.ask(ADMIN, "/feeds")).text
    lines = {line.split(":")[0].split(" ", 1)[-1]: line for line in text.splitlines()}
    assert ", read with a warning: not well-formed XML, line 4, column 7: undefined entity at '&nbsp;'" in lines["News"]
    assert "warning" not in lines["Clean"]


async def test_feeds_shows_a_feed_not_reached_while_this_machine_seemed_offline(world: World) -> None:
    world.store.feeds.sync([("https://news.example/rss", "News")])
    now = world.clock.now
    world.store.feeds.record_failure("https://news.example/rss", now=now, status=None, error="no route to host",
                                     next_poll_at=now, counted=False)
    (line,) = (await world.ask(ADMIN, "/feeds")).text.splitlines()
    assert line.startswith("❔ News: last success never, 0 items since added, ")
    assert line.endswith(", not reached while this machine seemed offline (not held against it): no route to host")


async def test_feeds_counts_in_words(world: World) -> None:
    """One item, one failure: in the singular (it said "1 items", "1 failures" and "ok never")."""
    url = "https://news.example/rss"
    world.store.feeds.sync([(url, "News")])
    now = world.clock.now
    world.store.items.add([Item(identity="v1:x", url=None, link=None, guid=None, title="t", lede="", language="en",
                                published=None, feed_url=url)], feed_name="News", now=now)
    world.store.feeds.record_failure(url, now=now, status=500, error="HTTP 500", next_poll_at=now)
    (line,) = (await world.ask(ADMIN, "/feeds")).text.splitlines()
    assert line == "⚠️ News: last success never, 1 item since added, 1 failure in a row: HTTP 500"


async def test_many_feeds_are_counted_and_the_ones_to_look_at_listed(world: World) -> None:
    """20,000 feeds made /feeds send 750 messages. Past 30 feeds it counts them by health and lists the failing and
    the unreached; /feeds TEXT finds feeds by name or address."""
    world.store.feeds.sync([(f"https://wire{n}.example/rss", f"Wire {n}") for n in range(45)])
    now = world.clock.now
    for n in (3, 17):
        world.store.feeds.record_failure(f"https://wire{n}.example/rss", now=now, status=500, error="HTTP 500",
                                         next_poll_at=now)
    world.store.feeds.set_paused("https://wire5.example/rss", True)
    lines = (await world.ask(ADMIN, "/feeds")).text.splitlines()
    assert lines[0] == "45 feeds: 2 failing, 1 paused, 42 not read yet."
    assert [line.split(":")[0] for line in lines[1:3]] == ["⚠️ Wire 3", "⚠️ Wire 17"]
    assert lines[3].startswith("Listed: the feeds that need a look. /feeds TEXT lists") and len(lines) == 4
    found = (await world.ask(ADMIN, "/feeds wire1")).text.splitlines()  # (wire1, wire10-19: by address too)
    assert found[0] == "45 feeds: 2 failing, 1 paused, 42 not read yet." and len(found) == 13
    assert found[1] == "11 of them hold wire1 in their name or address:"
    assert "No feed's name or address holds nowhere." in (await world.ask(ADMIN, "/feeds nowhere")).text
    world.store.feeds.sync([(f"https://site{n}.example/rss", f"Site {n}") for n in range(40)])
    many = (await world.ask(ADMIN, "/feeds site")).text.splitlines()
    assert len(many) == 33 and many[-1] == "… and 10 more."
    world.store.feeds.sync([("https://rfi.fr/cn/rss", "RFI 华语")])
    assert "1 of them holds RFI 華語 in its name or address:" in (await world.ask(ADMIN, "/feeds RFI 華語")).text


async def test_feeds_says_the_interval_and_its_reason_in_the_admins_language(world: World) -> None:
    """In Chinese the line ended in English ("every 1 s (fixed by config)"): the reasons the service chooses are
    said in the chat's language, what a feed asked for is quoted as it sent it."""
    world.store.feeds.sync([("https://a.example/rss", "甲"), ("https://b.example/rss", "乙"),
                            ("https://c.example/rss", "丙")])
    world.store.feeds.record_interval("https://a.example/rss", seconds=1.0, reason="fixed by config")
    world.store.feeds.record_interval("https://b.example/rss", seconds=1380.0, reason="about 3 new items a day")
    world.store.feeds.record_interval("https://c.example/rss", seconds=3600.0, reason="ttl 60 min")
    await world.ask(ADMIN, "/lang zh-hant")
    lines = {line.split("：")[0].split(" ", 1)[-1]: line for line in (await world.ask(ADMIN, "/feeds")).text.splitlines()}
    assert lines["甲"].endswith("，每 1 秒一次（設定中固定）")
    assert lines["乙"].endswith("，每 23 分鐘一次（每天約 3 則新內容）")
    assert lines["丙"].endswith("，每 60 分鐘一次（來源要求：ttl 60 min）")
    await world.ask(ADMIN, "/lang en")
    lines = {line.split(":")[0].split(" ", 1)[-1]: line for line in (await world.ask(ADMIN, "/feeds")).text.splitlines()}
    assert lines["乙"].endswith(", every 23 min (about 3 new items a day)")
    assert lines["丙"].endswith(", every 60 min (the feed asks: ttl 60 min)")
