"""👍/👎 under every alert: the buttons arrive with the alert and stay on its edits; a tap is a judgment."""

from __future__ import annotations

from datetime import timedelta

from bot.render.feedback import feedback_keyboard, parse_feedback
from tests.app.test_alerts_telegram import follow, poll, story
from tests.app.test_stories import report
from tests.waiting import eventually
from tests.worlds import World


async def press(world: World, chat_id: int, user_id: int, message_id: int, data: str) -> str:
    """A user taps a button; the answer the bot gave (answerCallbackQuery's text)."""
    query = world.api.user_presses(chat_id, user_id, message_id, data)
    answer = await eventually(lambda: next((a for a in world.api.answers if a.get("callback_query_id") == query),
                                           None), "the tap to be answered")
    return str(answer.get("text", ""))


def test_callback_data_fits_telegram_and_reads_back() -> None:
    for outbox_id in (1, 987_654_321_012_345_678):
        [[up, down]] = feedback_keyboard(outbox_id)
        assert (up[0], down[0]) == ("👍", "👎")
        assert all(len(data.encode()) <= 64 for _, data in (up, down))
        assert parse_feedback(up[1]) == ("up", outbox_id) and parse_feedback(down[1]) == ("down", outbox_id)
    assert parse_feedback("fb:meh:1") is None and parse_feedback("sub:asml") is None


async def test_an_alert_carries_buttons_and_a_tap_is_stored_and_answered(world: World) -> None:
    follow(world, 5, "asml")
    await poll(world, [story(1)])
    [sent] = world.api.sent_messages(5)
    [row] = world.store.outbox.rows()
    assert sent.buttons == [("👍", f"fb:up:{row.id}"), ("👎", f"fb:down:{row.id}")]

    answer = await press(world, 5, 5, sent.message_id, f"fb:down:{row.id}")
    assert answer == "Thanks: noted as not relevant. It helps tune the watchlists."
    [judgment] = world.store.judgments.all()
    assert (judgment.chat_id, judgment.user_id, judgment.verdict, judgment.story) == (5, 5, "down", row.story)
    assert judgment.watchlists == ("asml",) and judgment.identity == row.identity
    assert [h["text"] for h in judgment.hits["asml"]] == ["ASML"]

    [marked] = world.api.sent_messages(5)  # the tap leaves its mark on the alert, not only a passing pop-up
    assert marked.buttons == [("👍", f"fb:up:{row.id}"), ("👎 1", f"fb:down:{row.id}")]
    assert marked.text == sent.text

    answer = await press(world, 5, 5, sent.message_id, f"fb:up:{row.id}")  # the same person changes their mind
    assert answer.startswith("Changed: noted as relevant")
    assert [j.verdict for j in world.store.judgments.all()] == ["up"]
    assert world.api.sent_messages(5)[0].buttons == [("👍 1", f"fb:up:{row.id}"), ("👎", f"fb:down:{row.id}")]
    answer = await press(world, 5, 5, sent.message_id, f"fb:up:{row.id}")  # the same tap again: nothing to redraw
    assert answer.startswith("Thanks: noted as relevant")


async def test_in_a_group_each_person_judges_once(world: World) -> None:
    follow(world, -100, "asml", chat_type="group")
    await poll(world, [story(1)])
    [sent] = world.api.sent_messages(-100)
    data = sent.buttons[1][1]
    assert data is not None
    for user in (7, 8, 7):  # user 7 taps twice: still one judgment of theirs
        await press(world, -100, user, sent.message_id, data)
    judged = world.store.judgments.all()
    assert sorted(j.user_id for j in judged) == [7, 8] and {j.verdict for j in judged} == {"down"}
    assert [label for label, _ in world.api.sent_messages(-100)[0].buttons] == ["👍", "👎 2"]  # people, not taps


async def test_a_button_naming_another_chats_alert_is_refused(world: World) -> None:
    follow(world, 5, "asml")
    follow(world, 6, "asml")
    await poll(world, [story(1)])
    row5 = next(r for r in world.store.outbox.rows() if r.target == "5")
    [sent6] = world.api.sent_messages(6)
    answer = await press(world, 6, 6, sent6.message_id, f"fb:down:{row5.id}")  # forged: chat 5's alert
    assert "nothing noted" in answer and world.store.judgments.all() == []
    answer = await press(world, 6, 6, sent6.message_id, "fb:down:999999")
    assert "nothing noted" in answer and world.store.judgments.all() == []


async def test_an_edited_alert_keeps_its_buttons(world: World) -> None:
    follow(world, 5, "asml")
    from bot.feeds.fetch import HttpFetcher

    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("Reuters", [report("Reuters", 0)])], fetcher).poll_once()
        [first] = world.api.sent_messages(5)
        await press(world, 5, 5, first.message_id, first.buttons[0][1] or "")
        world.clock.now += timedelta(minutes=10)
        await world.pipeline([world.feed("NHK", [report("NHK", 1)])], fetcher).poll_once()
    edited = await eventually(lambda: next((m for m in world.api.sent_messages(5) if "also in" in m.text), None),
                              "the alert to be edited")
    assert "also in: NHK" in edited.text
    assert [data for _, data in edited.buttons] == [data for _, data in first.buttons] and len(edited.buttons) == 2
    assert [label for label, _ in edited.buttons] == ["👍 1", "👎"]  # the edit keeps the tap's mark


async def test_admins_get_suggestions_from_the_taps(world: World) -> None:
    from tests.worlds import ADMIN

    follow(world, ADMIN, "chips")
    titles = ["Snack chipmaker recalls salted crisps", "Snack chipmaker opens a crisp plant in Ohio",
              "TSMC is the chipmaker behind most AI accelerators"]
    await poll(world, [story(i, title) for i, title in enumerate(titles)])
    sent = world.api.sent_messages(ADMIN)
    assert len(sent) == 3
    for message, verdict in zip(sent, ("down", "down", "up"), strict=True):
        data = dict(zip(("up", "down"), (d for _, d in message.buttons), strict=True))[verdict]
        assert data is not None
        await press(world, ADMIN, ADMIN, message.message_id, data)
    reply = await world.ask(ADMIN, "/suggest")
    assert "3 👍/👎 taps; by majority 2 alerts 👎 and 1 👍 (ties left out); items stored in the last 30 days" in reply.text
    assert "chips: 'chipmaker' except 'Snack chipmaker': removes 2 of 2 👎, loses 0 of 1 👍" in reply.text
    refused = await world.ask(77, "/suggest")
    assert "for the bot's admins" in refused.text


async def test_a_tap_on_an_alert_of_the_chats_own_phrases_points_to_unwatch_and_mute(world: World) -> None:
    """A judgment of the chat's own phrases tunes no watchlist: the answer says what does change them."""
    await world.ask(5, "/watch ASML")
    await poll(world, [story(1)])
    [sent] = [m for m in world.api.sent_messages(5) if m.buttons]
    answer = await press(world, 5, 5, sent.message_id, sent.buttons[1][1] or "")
    assert answer == ("Thanks: noted as not relevant. This alert came from this chat's own phrases: /unwatch or "
                      "/mute change what comes.")
    await world.ask(5, "/lang zh-hans")
    answer = await press(world, 5, 5, sent.message_id, sent.buttons[0][1] or "")
    assert answer == "已更改：记为相关。这条提醒来自本聊天自己的关键词：可用 /unwatch 或 /mute 调整。"
