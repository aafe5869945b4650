"""Mutes and the hourly cap, decided when alerts are queued: a real poll, the outbox, the digest, the Bot API double."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from bot.app.screen import ChatScreen
from bot.feeds.fetch import HttpFetcher
from tests.app.test_alerts_telegram import coined
from tests.waiting import eventually
from tests.worlds import World


def story(i: int, title: str = "") -> dict[str, str]:
    own = " ".join(coined(i, k) for k in range(8))  # one story each, not one template
    return {"title": title or f"ASML story {i} on {coined(i, 9)}", "link": f"https://news.example/{i}",
            "lede": f"{own.capitalize()}."}


async def poll(world: World, items: list[dict[str, str]], name: str = "feed") -> None:
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed(name, items)], fetcher).poll_once()


def screen(world: World) -> ChatScreen:
    s = world.app.alerts.screen
    assert isinstance(s, ChatScreen)
    return s


def titles(world: World, chat_id: int) -> list[str]:
    return [m.text.splitlines()[1].split(" on ")[0] for m in world.api.sent_messages(chat_id)
            if m.text.startswith("🔔")]


async def test_over_the_cap_alerts_go_to_the_next_digest_and_the_chat_is_told_once(world: World) -> None:
    screen(world).max_per_hour = 2
    await world.ask(5, "/subscribe asml")
    await world.ask(6, "/subscribe asml")
    await poll(world, [story(i) for i in range(5)])
    assert titles(world, 5) == ["ASML story 0", "ASML story 1"]
    told = [m.text for m in world.api.sent_messages(5) if "More than 2 alerts in the last hour" in m.text]
    assert len(told) == 1 and "/digest" in told[0] and "or at 08:00 UTC)" in told[0]  # (the chat's zone)
    assert world.store.phrases.held_count(5, since=world.clock() - timedelta(hours=1)) == 3
    await poll(world, [story(i) for i in range(7)], name="feed2")  # two more, still within the hour
    assert world.store.phrases.held_count(5, since=world.clock() - timedelta(hours=1)) == 5
    assert len(titles(world, 5)) == 2
    assert len([m for m in world.api.sent_messages(5) if "More than 2" in m.text]) == 1  # told once
    assert len(titles(world, 6)) == 2  # every chat has its own cap

    before = len(world.api.sent_messages(5))
    world.api.user_sends(5, 5, "/digest")
    pages = await world.api.wait_for_messages(before + 1, timeout=5, chat_id=5)
    digest = "\n".join(m.text for m in pages[before:])
    assert all(f"ASML story {i}" in digest for i in range(2, 7)), digest
    assert "ASML story 0" not in digest  # sent instantly already

    world.clock.now += timedelta(minutes=61)  # a new hour: alerts come at once again
    await poll(world, [story(i) for i in range(8)], name="feed3")
    assert titles(world, 5)[-1] == "ASML story 7"
    assert world.store.phrases.untold() == []


async def test_no_cap_by_default(world: World) -> None:
    await world.ask(5, "/subscribe asml")
    await poll(world, [story(i) for i in range(6)])
    await eventually(lambda: len(titles(world, 5)) == 6)
    assert not any("More than" in m.text for m in world.api.sent_messages(5))


async def test_a_muted_alert_is_never_queued_for_that_chat(world: World) -> None:
    await world.ask(5, "/subscribe asml")
    await world.ask(5, "/mute 比特币")
    await poll(world, [story(1, "ASML 接受比特幣"), story(2, "ASML 财报")])  # Traditional text folds too
    assert titles(world, 5) == ["ASML 财报"]
    assert [r.identity for r in world.store.outbox.rows(channel="telegram")].__len__() == 1


async def digest_of(world: World, chat_id: int) -> str:
    before = len(world.api.sent_messages(chat_id))
    world.api.user_sends(chat_id, chat_id, "/digest")
    pages = await world.api.wait_for_messages(before + 1, timeout=5, chat_id=chat_id)
    return "\n".join(m.text for m in pages[before:])


async def test_a_phrase_unwatched_takes_its_held_alerts_out_of_the_digest(world: World) -> None:
    """/unwatch of a phrase that flooded the chat over its cap leaves no digest of what the phrase matched; what the
    chat's other phrases matched still comes."""
    screen(world).max_per_hour = 2
    await world.ask(5, "/watch ASML")
    await world.ask(5, "/watch gallium")
    await poll(world, [story(i) for i in range(5)] + [story(5, "Gallium story 5")])
    assert titles(world, 5) == ["ASML story 0", "ASML story 1"]
    assert world.store.phrases.held_count(5, since=world.clock() - timedelta(hours=1)) == 4
    assert "Stopped watching 1 phrase" in (await world.ask(5, "/unwatch asml")).text
    digest = await digest_of(world, 5)
    assert "Gallium story 5" in digest, digest
    assert not any(f"ASML story {i}" in digest for i in range(2, 5)), digest


async def test_an_alert_held_over_the_cap_and_muted_since_is_not_in_the_digest(world: World) -> None:
    screen(world).max_per_hour = 1
    await world.ask(5, "/subscribe asml")
    spam = world.feed("spamwire", [story(9, "ASML from the spam wire")])
    world.store.feeds.sync([(str(spam), "spamwire")])
    await poll(world, [story(0), story(1, "ASML accepts bitcoin"), story(2, "ASML results")])
    await poll(world, [story(9, "ASML from the spam wire")], name="spamwire")
    assert titles(world, 5) == ["ASML story 0"]
    await world.ask(5, "/mute Bitcoin")
    await world.ask(5, "/mute source spamwire")
    digest = await digest_of(world, 5)
    assert "ASML results" in digest, digest
    assert "bitcoin" not in digest and "spam wire" not in digest, digest
    await world.ask(5, "/unmute all")  # what a mute left out was never sent: it comes again once unmuted
    digest = await digest_of(world, 5)
    assert "ASML accepts bitcoin" in digest and "spam wire" in digest, digest


async def test_a_feeds_alerts_come_oldest_first_whatever_order_it_lists_them_in(world: World) -> None:
    """Feeds list their newest item first; a chat reads a poll's alerts in the order the news came."""
    await world.ask(5, "/subscribe asml")
    newest_first = [{**story(i), "published": format_datetime(datetime(2024, 3, 27, 10, i, tzinfo=UTC))}
                    for i in (3, 1, 2, 0)]
    undated = {**story(4), "published": "not a date"}  # counts as published now: after every dated one
    await poll(world, [undated, *newest_first])
    await eventually(lambda: len(titles(world, 5)) == 5)
    assert titles(world, 5) == [f"ASML story {i}" for i in range(5)]


async def test_alerts_held_for_a_watchlist_unsubscribed_since_are_not_in_the_digest(world: World) -> None:
    screen(world).max_per_hour = 1
    await world.ask(5, "/subscribe asml")
    await world.ask(5, "/watch gallium")
    await poll(world, [story(0), story(1), story(2, "Gallium story 2")])
    assert titles(world, 5) == ["ASML story 0"]
    await world.ask(5, "/unsubscribe asml")
    digest = await digest_of(world, 5)
    assert "Gallium story 2" in digest and "ASML story 1" not in digest, digest
