"""The chat use-case: a group that becomes a supergroup moves with everything it has, in one transaction."""

from __future__ import annotations

from datetime import timedelta

from tests.waiting import eventually
from tests.worlds import World, seed


async def test_a_migrated_digest_group_gets_no_story_twice(world: World) -> None:
    """The bug of round 1: chat and outbox moved, digest state did not, so the next digest repeated stories."""
    store, now = world.store, world.clock()
    store.chats.ensure(-7, type="group", title="analysts", now=now)
    store.chats.subscribe(-7, "asml", "digest", now=now - timedelta(days=1))
    seed(store, "a", watchlists=["asml"], at=now - timedelta(hours=1))
    digests = world.app.digests
    assert digests is not None
    assert (await digests.send_chat_digest(-7, now)).sent == ["chat:-7"]
    assert "story a" in world.api.sent_messages(-7)[-1].text

    world.api.migrate(-7, -1007, announce=True)  # Telegram tells the bot the group moved
    await eventually(lambda: (c := store.chats.get(-7)) is not None and c.migrated_to == -1007,
                     "the migration update to be handled")

    later = now + timedelta(hours=1)
    seed(store, "b", watchlists=["asml"], at=later - timedelta(minutes=5))
    assert (await digests.send_chat_digest(-1007, later)).sent == ["chat:-1007"]
    text = world.api.sent_messages(-1007)[-1].text
    assert "story b" in text and "story a" not in text
    assert store.digests.recipient("chat:-7") is None


async def test_migration_moves_chat_subscriptions_alerts_and_digest_state_together(world: World) -> None:
    store, now = world.store, world.clock()
    store.chats.ensure(-8, type="group", title="g", now=now)
    store.chats.subscribe(-8, "asml", now=now)
    seed(store, "a", watchlists=["asml"], at=now)
    store.outbox.enqueue("a", "telegram", "-8", ["asml"], now=now)
    store.digests.ensure("chat:-8", channel="telegram", target="-8", watchlists=(), since=None, now=now)
    moved = world.app.chats.migrate_now(-8, -1008)
    assert moved == 1
    assert store.chats.instant_recipients(["asml"]) == {"-1008": ("asml",)}
    assert [r.target for r in store.outbox.rows()] == ["-1008"]
    assert store.digests.recipient("chat:-1008") is not None and store.digests.recipient("chat:-8") is None
