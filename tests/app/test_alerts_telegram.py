"""Alerts from feed to chat: real Pipeline, store and drain, python-telegram-bot against the double."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest

from bot.feeds.fetch import HttpFetcher
from bot.store.protocols import OutboxRow
from tests.doubles.botapi_faults import disconnect, error, retry_after, server_error, too_long
from tests.worlds import World

HOSTILE = "ASML <script>alert(1)</script> & Co </b><i>unbalanced"


def coined(i: int, k: int) -> str:
    """A made-up word of story i's own ("bexo"...): no two stories share one, so none is taken for another."""
    letters = "bcdfghjklmnpqrstvwxz"
    n = i * 10 + k
    return "".join(letters[(n // 20 ** d) % 20] + "aeiou"[(n // 7 ** d) % 5] for d in range(3))


def story(i: int, title: str = "", lede: str = "") -> dict[str, str]:
    """A story of its own: its own words (stories with the same words would be one story)."""
    own = " ".join(coined(i, k) for k in range(8))
    return {"title": title or f"ASML story {i} on {coined(i, 9)}",
            "link": f"https://news.example/{i}?a=1&b=2", "lede": lede or f"{own.capitalize()}."}


def follow(world: World, chat_id: int, *watchlists: str, chat_type: str = "private", mode: str | None = None) -> None:
    chats = world.store.chats
    chats.ensure(chat_id, type=chat_type, title=f"chat {chat_id}", now=world.clock())
    for wl in watchlists:
        chats.subscribe(chat_id, wl, mode, now=world.clock())


async def poll(world: World, items: list[dict[str, str]], name: str = "feed") -> dict[str, int]:
    async with HttpFetcher() as fetcher:
        pipeline = world.pipeline([world.feed(name, items)], fetcher)
        await pipeline.poll_once()
    return world.store.outbox.counts()


async def redeliver(world: World, after: float) -> dict[str, int]:
    world.clock.now += timedelta(seconds=after)
    await world.app.alerts.drain()
    return world.store.outbox.counts()


def rows(world: World) -> list[OutboxRow]:
    return world.store.outbox.rows()


async def test_hostile_story_arrives_escaped_with_every_piece(world: World) -> None:
    follow(world, 5, "asml")
    world.store.chats.update(5, tz="Asia/Shanghai", now=world.clock())
    assert await poll(world, [story(1, HOSTILE, lede="Tom & Jerry <b>bold</b> say ASML grew.")]) == {"sent": 1}
    [sent] = world.api.sent_messages(5)
    assert sent.parse_mode == "HTML"
    assert HOSTILE in sent.text and "Tom & Jerry <b>bold</b> say ASML grew." in sent.text
    assert "2024-03-27 18:00 (Asia/Shanghai)" in sent.text and "🔔 asml" in sent.text
    assert "Matched: ASML" in sent.text and "feed" in sent.text
    link = next(e for e in sent.entities if e["type"] == "text_link")
    assert link["url"] == "https://news.example/1?a=1&b=2"
    assert html.escape(HOSTILE) in sent.raw


async def test_each_story_is_its_own_message_in_order(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml")
    assert await poll(world, [story(i) for i in range(5)]) == {"sent": 10}
    for chat in (5, 6):
        messages = world.api.sent_messages(chat)
        assert [m.text.count("ASML story") for m in messages] == [1] * 5
        assert [f"ASML story {i}" in m.text for i, m in enumerate(messages)] == [True] * 5


async def test_long_stories_are_cut_and_split_under_4096(world: World) -> None:
    follow(world, 5, "asml")
    long_items = [story(i, "ASML " + "長い見出し😀 " * 400, lede="ASML " + "詳細 & more " * 3000) for i in range(12)]
    assert await poll(world, long_items) == {"sent": 12}
    messages = world.api.sent_messages(5)
    assert len(messages) == 12
    assert all(len(m.text.encode("utf-16-le")) // 2 <= 4096 for m in messages)


async def test_flood_control_short_wait_is_obeyed_and_retried(world: World) -> None:
    follow(world, 5, "asml")
    world.api.inject(retry_after(1), chat_id=5)
    assert await poll(world, [story(1)]) == {"sent": 1}
    first, second = world.api.calls("sendMessage")
    assert first.status == 429 and second.status == 200
    assert second.at - first.at >= 1.0  # waited as told before asking again


async def test_flood_control_long_wait_goes_back_to_the_outbox(world: World) -> None:
    follow(world, 5, "asml")
    world.api.inject(retry_after(3), chat_id=5)  # longer than the pacer waits in place (2 s here)
    assert await poll(world, [story(1)]) == {"pending": 1}
    [row] = rows(world)
    assert "flood control" in str(row.last_error)
    assert row.next_attempt_at == world.clock() + timedelta(seconds=3)
    assert await redeliver(world, 2) == {"pending": 1}  # not due yet: nothing sent
    assert len(world.api.calls("sendMessage")) == 1
    assert await redeliver(world, 1) == {"sent": 1}
    first, second = world.api.calls("sendMessage")
    assert second.at - first.at >= 3.0  # the pacer held the chat for the time Telegram asked


@pytest.mark.parametrize("fault", [server_error(500), server_error(502), disconnect()])
async def test_server_errors_are_retried_with_backoff(world: World, fault) -> None:  # type: ignore[no-untyped-def]
    follow(world, 5, "asml")
    world.api.inject(fault, chat_id=5)
    assert await poll(world, [story(1)]) == {"pending": 1}
    assert "Bot API unavailable" in str(rows(world)[0].last_error)
    assert await redeliver(world, 31) == {"sent": 1}
    assert len(world.api.sent_messages(5)) == 1


async def test_vanished_chat_is_deactivated(world: World) -> None:
    from tests.doubles.botapi_faults import chat_not_found

    follow(world, 5, "asml")
    world.api.inject(chat_not_found(), chat_id=5)
    assert await poll(world, [story(1)]) == {"dead": 1}
    chat = world.store.chats.get(5)
    assert chat is not None and not chat.active and "chat not found" in str(chat.inactive_reason).lower()


async def test_blocked_chat_is_deactivated_and_not_retried(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml")
    world.api.block(5)
    assert await poll(world, [story(1), story(2)]) == {"dead": 2, "sent": 2}
    chat = world.store.chats.get(5)
    assert chat is not None and not chat.active and world.store.chats.subscriptions(5) == []
    assert "blocked by the user" in str(rows(world)[0].last_error)
    await poll(world, [story(3)], name="later")
    assert sorted((r.target, r.state) for r in rows(world)) == [("5", "dead")] * 2 + [("6", "sent")] * 3
    assert len(world.api.calls("sendMessage")) == 1 + 3  # one refused try for chat 5; 5 is never tried again


async def test_malformed_message_goes_to_dead_letters_with_the_reason(world: World) -> None:
    follow(world, 5, "asml")
    world.api.inject(too_long(), chat_id=5)
    assert await poll(world, [story(1)]) == {"dead": 1}
    assert rows(world)[0].last_error == "Telegram rejected the message: Message is too long"
    assert await redeliver(world, 3600) == {"dead": 1}


async def test_one_bad_alert_does_not_sink_the_others(world: World) -> None:
    follow(world, 5, "asml")
    world.api.inject(error(400, "Bad Request: can't parse entities: unsupported start tag"), chat_id=5, times=1)
    assert await poll(world, [story(1), story(2), story(3)]) == {"dead": 1, "sent": 2}
    assert [m.text.count("ASML story") for m in world.api.sent_messages(5)] == [1, 1]


async def test_migrated_group_moves_and_gets_the_alert(world: World) -> None:
    follow(world, -300, "asml", chat_type="group")
    world.api.migrate(-300, -100300)
    assert await poll(world, [story(1)]) == {"sent": 1}
    assert len(world.api.sent_messages(-100300)) == 1
    chats = world.store.chats
    assert chats.instant_recipients(["asml"]) == {"-100300": ("asml",)}
    assert [r.target for r in rows(world)] == ["-100300"]


async def test_quiet_hours_hold_alerts_until_they_end(world: World) -> None:
    follow(world, 5, "asml")
    chats = world.store.chats
    chats.update(5, tz="Asia/Shanghai", now=world.clock())
    chats.update(5, quiet_start="19:30", quiet_end="21:00", now=world.clock())  # 12:00 UTC is 20:00 in Shanghai
    assert await poll(world, [story(1)]) == {"pending": 1}
    [row] = rows(world)
    assert row.next_attempt_at.isoformat() == "2024-03-27T13:00:00+00:00" and "quiet hours" in str(row.last_error)
    assert world.api.sent_messages(5) == []
    world.clock.now += timedelta(minutes=1)
    world.store.outbox.hasten([row.id], now=world.clock())  # (claimed again inside the quiet hours)
    report = (await world.app.alerts.drain())["telegram"]
    assert (report.held, report.retried, report.errors) == (1, 0, [])  # the chat's choice: no failure to warn of
    assert await redeliver(world, 3600) == {"sent": 1}


async def test_quiet_off_releases_the_alerts_quiet_hours_held(world: World) -> None:
    """/quiet off said "Quiet hours off." and the held alert still waited for the old hours' end (an hour here)."""
    follow(world, 5, "asml")
    await world.ask(5, "/tz Asia/Shanghai")
    await world.ask(5, "/quiet 19:30-21:00")  # 12:00 UTC is 20:00 in Shanghai
    assert await poll(world, [story(1)]) == {"pending": 1}
    assert "Quiet hours off" in (await world.ask(5, "/quiet off")).text
    assert await redeliver(world, 1) == {"sent": 1}
    assert any("ASML" in m.text for m in world.api.sent_messages(5))


async def test_moved_quiet_hours_hold_what_they_cover_and_release_the_rest(world: World) -> None:
    follow(world, 5, "asml")
    world.store.chats.update(5, tz="Asia/Shanghai", now=world.clock())
    await world.app.chats.update(5, quiet_start="19:30", quiet_end="21:00")
    assert await poll(world, [story(1)]) == {"pending": 1}
    await world.app.chats.update(5, quiet_start="19:00", quiet_end="22:00")  # still covers 20:00: held again
    assert await redeliver(world, 1) == {"pending": 1}
    assert rows(world)[0].next_attempt_at.isoformat() == "2024-03-27T14:00:00+00:00"


async def test_alerts_come_in_the_language_a_private_chats_person_writes_in(world: World) -> None:
    """Replies followed the writer's Telegram language, alerts and digests only /lang: a person whose Telegram is in
    Traditional Chinese got replies in it and alerts in English. A group (many people) takes the language of the
    administrator who sets it up (its members had each got replies in their own, and its alerts in English)."""
    world.api.add_user(5)["language_code"] = "zh-TW"
    world.api.add_user(8)["language_code"] = "zh-hans"
    assert "已訂閱" in (await world.ask(5, "/subscribe asml")).text
    world.api.set_member(-40, 8, "administrator")
    await world.ask(-40, "/subscribe asml", user_id=8, chat_type="group")
    assert world.store.chats.get(5).language == "zh-hant" and world.store.chats.get(-40).speaks == "zh-hans"
    await poll(world, [story(1)])
    alert = world.api.sent_messages(5)[-1].text
    assert "符合：" in alert and "Matched" not in alert
    assert "命中：" in world.api.sent_messages(-40)[-1].text
    world.api.add_user(6)["language_code"] = "zh-hans"
    await world.ask(6, "/lang en")  # a choice made stays made
    await world.ask(6, "/subscribe asml")
    assert world.store.chats.get(6).language == "en"


async def test_paused_and_digest_chats_get_nothing_instantly(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml", mode="digest")
    follow(world, 7, "asml")
    world.store.chats.update(5, paused=True, now=world.clock())
    assert await poll(world, [story(1)]) == {"sent": 1}
    assert [m.chat_id for m in world.api.sent_messages()] == [7]


async def test_alert_queued_before_a_pause_is_not_sent(world: World) -> None:
    follow(world, 5, "asml")
    world.api.inject(server_error(503), chat_id=5)
    await poll(world, [story(1)])
    world.store.chats.update(5, paused=True, now=world.clock())
    assert await redeliver(world, 60) == {"dead": 1}
    assert "paused" in str(rows(world)[0].last_error) and world.api.sent_messages(5) == []


async def test_watchlists_listed_per_chat(world: World) -> None:
    follow(world, 5, "asml", "chips")
    await poll(world, [story(1, "ASML is a semiconductor company")])
    [row] = rows(world)
    assert row.watchlists == ("asml", "chips")
    assert "🔔 asml, chips" in world.api.sent_messages(5)[0].text


async def test_a_timed_out_send_is_retried_later(world: World) -> None:
    from bot.app.alerts import Alerts, TelegramChannel
    from bot.deliver.telegram import TelegramSender
    from tests.doubles.botapi_faults import slow

    follow(world, 5, "asml")
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("f", [story(1)])], fetcher).poll_once(deliver=False)
    sender = TelegramSender(world.bot.bot, timeout=0.3)
    alerts = Alerts(world.store, [TelegramChannel(world.store, sender, world.app.chats, clock=world.clock)],
                    clock=world.clock)
    world.api.inject(slow(2), chat_id=5)
    report = (await alerts.drain())["telegram"]
    assert (report.sent, report.retried) == (0, 1)
    assert "TimedOut" in str(rows(world)[0].last_error)
    world.clock.now += timedelta(seconds=31)
    assert (await alerts.drain())["telegram"].sent == 1


async def test_alerts_claimed_for_a_group_that_moved_follow_it(world: World) -> None:
    follow(world, -600, "asml", chat_type="group")
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("f", [story(1)])], fetcher).poll_once(deliver=False)
    claimed = world.store.outbox.claim_due("telegram", now=world.clock())  # in flight when the group moves
    world.store.chats.migrate(-600, -100600, now=world.clock())  # the chat moved, its claimed alert did not
    world.store.outbox.mark_retry([r.id for r in claimed], error="", next_attempt_at=world.clock())
    report = (await world.app.alerts.drain())["telegram"]
    assert report.sent == 1 and len(world.api.sent_messages(-100600)) == 1 and world.api.sent_messages(-600) == []


async def test_alerts_that_waited_out_a_bot_api_outage_go_as_soon_as_a_send_goes_through(world: World) -> None:
    """Before, each alert waited out its own backoff (doubling to an hour) after the Bot API was back."""
    follow(world, 5, "asml")
    follow(world, 6, "asml")
    world.api.inject(server_error(502), times=None)  # the Bot API down for everyone
    assert await poll(world, [story(1)]) == {"pending": 2}
    assert await redeliver(world, 31) == {"pending": 2}  # still down: the next try in a minute
    world.api.clear_faults()  # back; nothing is due for a minute
    assert await redeliver(world, 1) == {"pending": 2}
    assert await poll(world, [story(2)], name="later") == {"pending": 2, "sent": 2}  # a new story goes at once ...
    assert await redeliver(world, 0) == {"sent": 4}  # ... and what waited follows it, without waiting its minute
    assert "ASML story 1" in world.api.sent_messages(5)[-1].text


async def test_a_chats_own_flood_wait_is_not_cut_short_by_another_chats_send(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml", "chips")
    world.api.inject(retry_after(3), chat_id=5)  # Telegram asks chat 5 alone to wait (past the pacer's 2 s in place)
    assert await poll(world, [story(1)]) == {"pending": 1, "sent": 1}
    chips = story(2, title=f"Semiconductor plant opens in {coined(2, 9)}")
    assert await poll(world, [chips], name="later") == {"pending": 1, "sent": 2}  # chat 6's send goes through ...
    assert await redeliver(world, 0) == {"pending": 1, "sent": 2}  # ... and chat 5 still waits what it was told


async def test_an_item_pruned_while_its_feed_still_lists_it_is_not_alerted_again(world: World) -> None:
    """Blogs list years of posts: after storage.keep pruned a year-old story that its feed still listed, the next poll
    found it new and alerted it again."""
    from email.utils import format_datetime

    from bot.app import retention

    follow(world, 5, "asml")
    old = {**story(1), "published": format_datetime(world.clock() - timedelta(days=400))}
    assert await poll(world, [story(2)]) == {"sent": 1}  # (the feed's first poll)
    assert await poll(world, [story(2), old]) == {"sent": 1}  # older than storage.keep: not alerted
    world.clock.now += timedelta(days=200)
    await retention.prune(world.store, keep=world.config.storage_keep, now=world.clock())
    assert not any("ASML story 1" in title for _, title, _ in world.store.items.recent(10))  # pruned
    await poll(world, [story(2), old])  # new to the store again ...
    assert any("ASML story 1" in title for _, title, _ in world.store.items.recent(10))
    assert len(world.api.sent_messages(5)) == 1 and "ASML story 2" in world.api.sent_messages(5)[0].text  # ... not sent


async def test_one_chats_flood_does_not_hold_back_another_chats_alert(world: World) -> None:
    """A feed that brought 1,000 alerts for one chat filled a round that took 500 s at that chat's pacing; another
    chat's alert, claimed after them, waited the whole time. A round takes at most a few of one chat's."""
    from bot.app.alerts import PER_TARGET

    follow(world, 5, "asml")
    follow(world, 6, "chips")
    world.app.alerts.limit = PER_TARGET + 5  # (a round of 500 in the service: here one the flood alone would fill)
    flood = [story(i) for i in range(3 * PER_TARGET)]
    assert await poll(world, [*flood, story(99, title="A chipmaker opens a fab")]) == {"sent": 3 * PER_TARGET + 1}
    order = [c.params["chat_id"] for c in world.api.calls("sendMessage")]
    assert order.count(5) == 3 * PER_TARGET and order.index(6) <= PER_TARGET, order  # (the first round, not the last)
