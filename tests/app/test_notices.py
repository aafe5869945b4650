"""A restart with alerts still in the outbox, and notices told to the admins once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.app.build import open_app
from bot.feeds.fetch import HttpFetcher
from tests.app.test_alerts_telegram import follow, story
from tests.doubles.botapi_faults import too_long
from tests.worlds import ADMIN, World, fast_pacer


async def test_restart_delivers_everything_left_in_the_outbox_once(world: World) -> None:
    for chat in (5, 6, 7):
        follow(world, chat, "asml")
    async with HttpFetcher() as fetcher:
        summary = await world.pipeline([world.feed("f", [story(i) for i in range(4)])], fetcher).poll_once(
            deliver=False)
    assert summary.feeds[0].alerts == 12
    claimed = world.store.outbox.claim_due("telegram", now=world.clock(), limit=4)  # a crash mid-drain
    assert {r.state for r in claimed} == {"sending"}
    world.store.close()

    # the process starts again on the same file
    async with open_app(world.config, offline=True, clock=world.clock, pacer=fast_pacer()) as app:
        assert await app.store.run(app.store.outbox.release_in_flight) == 4
        await app.alerts.drain()
        await app.alerts.drain()  # nothing left: nothing sent twice
        assert await app.store.run(app.store.outbox.counts) == {"sent": 12}
    for chat in (5, 6, 7):
        texts = [m.text for m in world.api.sent_messages(chat)]
        assert sorted(t.split("\n")[1].split(" on ")[0] for t in texts) == [f"ASML story {i}" for i in range(4)]


async def test_feed_failures_rule_errors_and_dead_letters_are_told_once(world: World, tmp_path: Path) -> None:
    assert world.app.notices is not None
    follow(world, 5, "asml")
    missing = tmp_path / "gone.xml"
    async with HttpFetcher() as fetcher:
        pipeline = world.pipeline([missing], fetcher)
        for _ in range(2):
            await pipeline.poll_once()
            world.clock.now += timedelta(hours=2)
        assert await world.app.notices.problems(world.rules.errors) == 0  # two failures: below the threshold
        await pipeline.poll_once()
    (world.rules.folder / "broken.yaml").write_text("id: broken\nany: [\n", encoding="utf-8")
    world.rules.refresh()
    world.api.inject(too_long(), chat_id=5)
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("f", [story(1)])], fetcher).poll_once()

    assert await world.app.notices.problems(world.rules.errors) == 3
    texts = [m.text for m in world.api.sent_messages(ADMIN)]
    assert len(texts) == 3
    assert "Feed gone failed 3 times in a row" in texts[0]
    assert "Watchlist problem" in texts[1] and "broken.yaml" in texts[1]
    assert "1 alert could not be delivered" in texts[2] and "Message is too long" in texts[2]
    assert await world.app.notices.problems(world.rules.errors) == 0  # told once, not on every poll
    assert await world.app.notices.tell("custom", "hello") is True
    assert await world.app.notices.tell("custom", "hello") is False
    assert len(world.api.sent_messages(ADMIN)) == 4


async def test_a_broken_files_problems_are_one_notice_in_the_admins_language(world: World) -> None:
    """A file broken after a good version gave one message a problem and another "...: the last good version stays
    active", in English in a Chinese admin's chat; a file no longer UTF-8 said nothing of its last good version."""
    assert world.app.notices is not None
    await world.ask(ADMIN, "/lang zh-hant", user_id=ADMIN)
    before = len(world.api.sent_messages(ADMIN))
    path = world.rules.folder / "asml.yaml"
    path.write_text("id: asml\nany: [ASML\nexlude: 1\n", encoding="utf-8")
    world.rules.refresh()
    assert await world.app.notices.problems(world.rules.told()) == 1
    [told] = world.api.sent_messages(ADMIN)[before:]
    assert told.text.startswith("⚠️ 監控清單有問題：rules/asml.yaml:2: not valid YAML: a '[' opened on line 2")
    assert told.text.endswith("\n修好之前，仍使用它上一個可用的版本。") and "last good" not in told.text
    path.write_bytes("id: asml\nany: [阿斯麦]\n".encode("gbk"))  # (not UTF-8 now)
    world.rules.refresh()
    assert [e.message for e in world.rules.errors if e.path.endswith("asml.yaml")][-1] == (
        "the last good version stays active")
    assert await world.app.notices.problems(world.rules.told()) == 1
    assert "not UTF-8" in world.api.sent_messages(ADMIN)[-1].text


async def test_email_digests_failing_again_and_again_are_told_once(world: World) -> None:
    """A wrong SMTP password (or a sender the server refuses) was retried forever, and nobody heard of it."""
    assert world.app.notices is not None
    error = "SMTP login refused (535 5.7.8 bad credentials): check email.username and email.password"
    for n, to in enumerate(("a@example.com", "b@example.com")):
        key = f"email:{to}|*"
        world.store.digests.ensure(key, channel="email", target=to, watchlists=(), since=None, now=world.clock())
        for _ in range(2 + n):  # (a: 2 failures, below the threshold; b: 3)
            world.store.digests.fail(key, error=error, now=world.clock(),
                                     next_attempt_at=world.clock() + timedelta(minutes=5))
    before = len(world.api.sent_messages(ADMIN))
    assert await world.app.notices.problems() == 1
    [told] = world.api.sent_messages(ADMIN)[before:]
    assert told.text == ("⚠️ 1 email digest keeps failing (b@example.com): SMTP login refused (535 5.7.8 bad "
                         "credentials): check email.username and email.password. Its stories are kept and the sending "
                         "is retried.")
    world.store.digests.fail("email:a@example.com|*", error=error, now=world.clock(),
                             next_attempt_at=world.clock() + timedelta(minutes=5))
    assert await world.app.notices.problems() == 0  # (one reason, told once)
