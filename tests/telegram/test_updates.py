"""Nothing one user sends stops the bot for others: a flood is cut short, other chats are answered."""

from __future__ import annotations

import logging

import pytest

from tests.doubles.botapi_faults import server_error
from tests.waiting import eventually
from tests.worlds import World


async def test_a_flood_of_commands_is_cut_short_and_others_are_answered(world: World) -> None:
    for _ in range(40):
        world.api.user_sends(5, 5, "/help")
    world.api.user_sends(6, 6, "/start")
    [reply] = await world.api.wait_for_messages(1, timeout=10, chat_id=6)
    assert "/watchlists" in reply.text
    await eventually(lambda: any("Too many messages" in m.text for m in world.api.sent_messages(5)),
                     "the flooding user to be told to slow down")
    texts = [m.text for m in world.api.sent_messages(5)]
    assert sum("Too many messages" in t for t in texts) == 1  # told once
    assert len(texts) <= 13  # twelve answered, the rest skipped


async def test_one_chat_is_answered_in_the_order_it_wrote(world: World) -> None:
    world.api.user_sends(7, 7, "/subscribe asml")
    world.api.user_sends(7, 7, "/list")
    first, second = await world.api.wait_for_messages(2, timeout=10, chat_id=7)
    assert first.text.startswith("Subscribed to asml") and "• asml (instant)" in second.text


async def test_reading_updates_through_a_bot_api_outage_logs_one_line_a_try_and_goes_on(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """python-telegram-bot logged each failed getUpdates with a 30-line traceback: hundreds in an hour's outage."""
    caplog.set_level(logging.WARNING)
    world.api.inject(server_error(502), method="getUpdates", times=2)
    await eventually(lambda: caplog.text.count("telegram: reading updates failed, trying again: NetworkError") >= 2,
                     "two failed reads of updates", timeout=15)
    assert "Traceback" not in caplog.text and "Exception happened while polling" not in caplog.text
    assert "Hello!" in (await world.ask(5, "/start")).text  # and it reads updates again
