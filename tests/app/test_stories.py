"""One alert per story: five outlets carrying one story give each chat one message, edited to name the others."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

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
