"""One alert per story: five outlets carrying one story give each chat one message, edited to name the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.feeds.fetch import HttpFetcher
from tests.app.test_alerts_telegram import follow
from tests.waiting import eventually
from tests.worlds import World

STORY = ("ASML wins Dutch licence to ship EUV lithography machines to Chinese chipmaker SMIC",
         "The Dutch government granted ASML a licence on Tuesday to export two EUV lithography systems to SMIC, "
         "the Chinese chipmaker, the company said in Veldhoven.")
OTHER = ("ASML reports record quarterly orders as AI chip demand lifts bookings",
         "ASML said on Wednesday that net bookings reached 9.2 billion euros in the fourth quarter, driven by "
         "demand for AI chips from TSMC and Samsung.")


def report(outlet: str, n: int, story: tuple[str, str] = STORY) -> dict[str, str]:
    title, lede = story
    return {"title": title if n % 2 == 0 else title.replace("wins", "gets"), "lede": lede,
            "link": f"https://{outlet.lower()}.example/news/{n}"}


async def test_five_outlets_one_message_edited_to_name_the_others(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml")
    async with HttpFetcher() as fetcher:
        first = world.feed("Reuters", [report("Reuters", 0)])
        await world.pipeline([first], fetcher).poll_once()
        assert [len(world.api.sent_messages(c)) for c in (5, 6)] == [1, 1]
        outlets = ["NHK", "AP", "DW", "BBC"]
        for n, outlet in enumerate(outlets, 1):
            world.clock.now += timedelta(minutes=10)
            await world.pipeline([world.feed(outlet, [report(outlet, n)])], fetcher).poll_once()
        for chat in (5, 6):
            [message] = world.api.sent_messages(chat)  # still one message per chat ...
            edited = await eventually(lambda c=chat: next((m for m in world.api.sent_messages(c)
                                                           if m.edited and "+1" in m.text), None),
                                      "the alert to be edited with every outlet")
            assert edited.message_id == message.message_id
            assert "Reuters · " in edited.text and "also in: NHK, AP, DW +1" in edited.text
        # ... and a different ASML story the same day is its own alert
        world.clock.now += timedelta(minutes=10)
        await world.pipeline([world.feed("Bloomberg", [report("Bloomberg", 9, OTHER)])], fetcher).poll_once()
    assert [len(world.api.sent_messages(c)) for c in (5, 6)] == [2, 2]
    assert "record quarterly orders" in world.api.sent_messages(5)[-1].text


async def test_a_chat_following_only_a_later_items_watchlist_still_gets_the_story(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 7, "chips")
    plain = ("ASML wins Dutch licence to ship EUV lithography machines to China's SMIC",
             "The Dutch government granted ASML a licence on Tuesday to export two EUV lithography systems to "
             "SMIC, the company said in Veldhoven.")
    worded = (plain[0], plain[1] + " SMIC is China's largest chipmaker.")
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("Reuters", [report("Reuters", 0, plain)])], fetcher).poll_once()
        assert len(world.api.sent_messages(5)) == 1 and world.api.sent_messages(7) == []
        world.clock.now += timedelta(minutes=10)
        await world.pipeline([world.feed("NHK", [report("NHK", 2, worded)])], fetcher).poll_once()
    assert len(world.api.sent_messages(5)) == 1  # chat 5 had the story: no second message
    [first] = world.api.sent_messages(7)  # chat 7 follows only chips, which this later report matched
    assert "🔔 chips" in first.text and "NHK" in first.text
    assert len({r.story for r in world.store.outbox.rows()}) == 1


async def test_a_first_poll_keeps_reports_published_weeks_apart_in_stories_of_their_own(world: World) -> None:
    """A first poll brings each feed's archive at one instant: what was published weeks before is older news, not
    another outlet of today's story (whatever the two have in common, and however alike they read)."""
    follow(world, 5, "asml")
    old = {**report("Reuters", 0), "published": format_datetime(datetime(2024, 3, 6, 9, 0, tzinfo=UTC))}
    new = {**report("NHK", 2), "published": format_datetime(datetime(2024, 3, 27, 11, 0, tzinfo=UTC))}
    same_day = {**report("AP", 4), "published": format_datetime(datetime(2024, 3, 27, 11, 30, tzinfo=UTC))}
    async with HttpFetcher() as fetcher:
        feeds = [world.feed("Reuters", [old]), world.feed("NHK", [new]), world.feed("AP", [same_day])]
        await world.pipeline(feeds, fetcher).poll_once()
    members = world.store.items.story_members(world.clock.now - timedelta(days=1))
    stories = {m.feed_url.rsplit("/", 1)[-1]: m.story for m in members}
    assert stories["NHK.xml"] == stories["AP.xml"] != stories["Reuters.xml"], stories
    [alert] = world.api.sent_messages(5)  # today's story, once (the archived report is too old to alert)
    # (the feeds of one poll are fetched at once: whichever of AP and NHK came first founded the story)
    assert any(f"{a} · also in: {b} · " in alert.text for a, b in (("AP", "NHK"), ("NHK", "AP"))), alert.text
    assert "Reuters" not in alert.text, alert.text


# A busy topic (bot.stories.background): the day before, a preview no watchlist matched (no "ASML" in it) and an
# unrelated ASML item; this morning two ASML stories from one wire; this afternoon the licence decision, twice.
PREVIEW = ("Dutch government to decide on lithography export licences for China this week",
           "The Netherlands will decide on Wednesday whether to grant licences for lithography machine exports to "
           "China, the Dutch trade minister said in The Hague.")
CFO = ("ASML names a new chief financial officer", "ASML said on Monday that its new chief financial officer will "
       "start in April.")
HALTS = ("ASML halts some lithography shipments to China ahead of Dutch licence decision",
         "ASML has paused shipments of some lithography machines to China ahead of a Dutch licence decision on "
         "exports, the company said in Veldhoven.")
SHARES = ("ASML shares fall ahead of Dutch licence decision on lithography exports to China",
          "ASML shares fell 3% in Amsterdam ahead of a Dutch decision on licences for lithography machine exports to "
          "China.")
GRANTS = ("Dutch government grants ASML licences for lithography exports to China",
          "The Dutch government granted ASML licences on Wednesday for lithography machine exports to China, the "
          "trade minister said in The Hague.")
GRANTS_TOO = ("Netherlands grants ASML licences to ship lithography machines to China",
              "The Netherlands granted ASML licences on Wednesday to ship lithography machines to China, the trade "
              "minister said.")
# feed -> its reports, each with its minutes from the decision (published and polled then), in polling order
BUSY = {"Bloomberg": [(CFO, -30 * 60)], "Gov": [(PREVIEW, -30 * 60 + 1)], "Reuters": [(HALTS, -3 * 60),
        (SHARES, -2 * 60)], "NHK": [(GRANTS, 0)], "AP": [(GRANTS_TOO, 30)]}


@pytest.mark.parametrize("restart", [False, True], ids=["one-process", "restarted-between-polls"])
async def test_an_item_no_watchlist_matched_still_tells_the_stories_what_a_topic_has_said(world: World,
                                                                                          restart: bool) -> None:
    """The decision is alike in the topic's words to both of the morning's stories (the unmatched preview used them
    the day before): it is a story of its own, with its own alert, and the next report of it joins it. Without the
    preview it would join a morning story and alert no one."""
    follow(world, 5, "asml")
    decision = world.clock.now
    paths = {feed: world.feed(feed, [{"title": title, "lede": lede, "link": f"https://{feed.lower()}.example/{n}",
                                      "published": format_datetime(decision + timedelta(minutes=minutes))}
                                     for n, ((title, lede), minutes) in enumerate(reports)])
             for feed, reports in BUSY.items()}
    async with HttpFetcher() as fetcher:
        pipeline = world.pipeline(list(paths.values()), fetcher)
        for feed, reports in BUSY.items():
            world.clock.now = decision + timedelta(minutes=reports[-1][1])
            if restart:  # a new pipeline: its story index is built from the store
                pipeline = world.pipeline(list(paths.values()), fetcher)
            await pipeline.poll_once([str(paths[feed])])
    titles = [m.text.splitlines()[1] for m in world.api.sent_messages(5)]
    assert titles == [CFO[0], HALTS[0], SHARES[0], GRANTS[0]]
    stories = {m.title: m.story for m in world.store.items.story_members(decision - timedelta(days=3))}
    assert stories[GRANTS_TOO[0]] == stories[GRANTS[0]] != stories[SHARES[0]]
    await eventually(lambda: any(m.edited and "also in: AP" in m.text for m in world.api.sent_messages(5)),
                     "the decision's alert to be edited to name AP")
