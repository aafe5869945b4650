"""Every chat command through python-telegram-bot against the Bot API double, private and in groups."""

from __future__ import annotations

import pytest

from tests.waiting import eventually
from tests.worlds import ADMIN, World


async def test_menu_registered_at_start(world: World) -> None:
    names = {c["command"] for c in world.api.commands()}
    assert {"start", "help", "watchlists", "subscribe", "unsubscribe", "list", "mode", "tz", "quiet", "pause",
            "resume", "test"} <= names
    admin = {c["command"] for c in world.api.commands({"type": "chat", "chat_id": ADMIN})}
    assert {"feeds", "reload", "stats", "suggest"} & names == set()  # not offered to everyone ...
    assert names | {"feeds", "reload", "stats", "suggest"} == admin  # ... but to each admin, in their own chat


async def test_a_traditional_chat_gets_its_menu_in_traditional(world: World) -> None:
    """Telegram's menus know two-letter languages: "zh" is written in Simplified, so a chat in Traditional Chinese
    gets a menu of its own, and loses it when it changes language again."""
    scope = {"type": "chat", "chat_id": 5}
    world.api.add_user(5)["language_code"] = "zh-TW"
    await world.ask(5, "/start")  # its person's Telegram is in Traditional Chinese
    menu = {c["command"]: c["description"] for c in world.api.commands(scope)}
    assert menu["list"] == "這個聊天室的訂閱、關鍵字、靜音和設定" and "feeds" not in menu
    await world.ask(5, "/lang zh-hans")
    assert world.api.commands(scope) == []  # the default menu again: Simplified for "zh"
    await world.ask(5, "/lang zh-hant")
    assert world.api.commands(scope)
    await world.ask(ADMIN, "/lang zh-hant")
    admin = {c["command"]: c["description"] for c in world.api.commands({"type": "chat", "chat_id": ADMIN})}
    assert admin["list"] == menu["list"] and "feeds" in admin
    await world.ask(ADMIN, "/lang en")
    assert world.api.commands({"type": "chat", "chat_id": ADMIN})  # an admin keeps a menu of their own


async def test_words_that_are_no_command_get_a_hint_in_a_private_chat_only(world: World) -> None:
    """你好 in a private chat had no answer at all: was the bot even there?"""
    world.api.add_user(22)["language_code"] = "zh-TW"
    assert (await world.ask(22, "你好")).text.startswith("我只回應指令：/watch 關鍵字 監控它")
    assert (await world.ask(5, "hello")).text.startswith("I answer commands: /watch PHRASE")
    before = len(world.api.sent_messages(-700))
    world.api.user_sends(-700, 5, "hello everyone", chat_type="group")  # (a group's talk is not for the bot)
    await world.ask(-700, "/help", chat_type="group")
    assert len(world.api.sent_messages(-700)) == before + 1


async def test_start_and_help(world: World) -> None:
    assert "/watchlists" in (await world.ask(5, "/start")).text
    text = (await world.ask(5, "/help")).text
    for name in ("/subscribe ID [instant|digest]", "/quiet", "/tz", "/test", "/feeds"):
        assert name in text
    assert world.store.chats.get(5) is not None


async def test_subscribe_unsubscribe_and_list(world: World) -> None:
    assert "Subscribed to asml: alerts as they come" in (await world.ask(5, "/subscribe asml")).text
    assert "in the daily digest" in (await world.ask(5, "/subscribe chips digest")).text
    listing = (await world.ask(5, "/list")).text
    assert "• asml (instant)" in listing and "• chips (digest)" in listing and "Time zone: UTC" in listing
    assert "not in the rules" not in listing
    world.store.chats.subscribe(5, "taiwan", now=world.clock())  # (a watchlist whose file went since)
    assert "• taiwan (instant) ⚠️ not in the rules now: it alerts nothing" in (await world.ask(5, "/list")).text
    world.store.chats.unsubscribe(5, "taiwan")
    assert world.store.chats.instant_recipients(["chips"]) == {}  # (its digest's)
    assert world.store.chats.instant_recipients(["asml", "chips"]) == {"5": ("asml", "chips")}  # (an alert names both)
    assert "Unsubscribed from 1 watchlist." in (await world.ask(5, "/unsubscribe asml")).text
    assert "Unsubscribed from 1 watchlist." in (await world.ask(5, "/unsubscribe all")).text
    assert "none yet" in (await world.ask(5, "/list")).text


async def test_bad_arguments_get_the_valid_choices(world: World) -> None:
    assert "Choose one of: asml, chips" in (await world.ask(5, "/subscribe nope")).text
    assert "Did you mean chips?" in (await world.ask(5, "/subscribe chip")).text
    assert "Watchlists: asml, chips" in (await world.ask(5, "/subscribe")).text
    assert "use instant or digest" in (await world.ask(5, "/subscribe asml weekly")).text
    assert "It follows: nothing" in (await world.ask(5, "/unsubscribe asml")).text
    assert "Usage: /mode instant|digest" in (await world.ask(5, "/mode sometimes")).text
    assert "Did you mean Asia/Shanghai" in (await world.ask(5, "/tz Asia/Shanghia")).text

    assert "Usage: /quiet" in (await world.ask(5, "/quiet 25:00-07:00")).text
    assert "Usage: /quiet" in (await world.ask(5, "/quiet 07:00-07:00")).text
    assert "Usage: /test TEXT" in (await world.ask(5, "/test")).text
    assert world.store.chats.subscriptions(5) == []


async def test_tz_understands_an_offset_a_city_with_spaces_and_warns_of_a_fixed_offset(world: World) -> None:
    assert "Did you mean Asia/Shanghai, Asia/Taipei, Asia/Hong_Kong?" in (await world.ask(5, "/tz UTC+8")).text
    assert "Time zone set to America/New_York" in (await world.ask(5, "/tz America/New York")).text
    fixed = (await world.ask(5, "/tz EST")).text
    assert "Time zone set to EST" in fixed and "fixed offset: it never follows daylight saving" in fixed
    # a city that names one zone is taken (it had been "Unknown time zone '台北'. Did you mean Asia/Taipei?")
    def tz() -> str | None:
        chat = world.store.chats.get(5)
        return chat.tz if chat else None

    taipei = (await world.ask(5, "/tz 台北")).text
    assert taipei.startswith("Took 台北 to mean Asia/Taipei. Time zone set to Asia/Taipei") and tz() == "Asia/Taipei"
    assert (await world.ask(5, "/tz PST")).text.startswith("Took PST to mean America/Los_Angeles.")
    near = (await world.ask(5, "/tz Asia/Shanghia")).text  # a near spelling is only suggested
    assert "Did you mean Asia/Shanghai" in near and tz() == "America/Los_Angeles"


async def test_quiet_takes_hours_alone_and_says_why_a_window_is_empty(world: World) -> None:
    assert "Quiet hours 22:00-07:00" in (await world.ask(5, "/quiet 22-7")).text
    assert "Quiet hours 22:30-07:00" in (await world.ask(5, "/quiet 22:30 - 7")).text
    assert (await world.ask(5, "/quiet 22:00-22:00")).text.startswith(
        "The quiet hours would start and end at the same time. Usage:")


async def test_mode_tz_quiet_pause_resume(world: World) -> None:
    chats = world.store.chats
    await world.ask(5, "/subscribe asml")
    assert "1 subscription changed" in (await world.ask(5, "/mode digest")).text
    assert chats.instant_recipients(["asml"]) == {} and [c.chat_id for c in chats.digest_chats()] == [5]
    await world.ask(5, "/mode instant")
    assert "Time zone set to Asia/Shanghai (it is 20:00 there)" in (await world.ask(5, "/tz asia/shanghai")).text
    assert "Quiet hours 22:00-07:00 (Asia/Shanghai)" in (await world.ask(5, "/quiet 22:00-7:00")).text
    chat = chats.get(5)
    assert chat is not None and chat.tz == "Asia/Shanghai" and chat.quiet == ("22:00", "07:00")
    assert "Quiet hours off" in (await world.ask(5, "/quiet off")).text
    assert "paused" in (await world.ask(5, "/pause")).text
    assert chats.instant_recipients(["asml"]) == {}
    assert "resumed" in (await world.ask(5, "/resume")).text
    assert chats.instant_recipients(["asml"]) == {"5": ("asml",)}
    assert "Alerts: on\nDaily digest: 08:00 (Asia/Shanghai)\n" in (await world.ask(5, "/list")).text
    await world.ask(5, "/digest_at 7:30")
    assert "Daily digest: 07:30 (Asia/Shanghai)" in (await world.ask(5, "/list")).text


async def test_digest_with_a_time_after_it_points_to_digest_at_and_changes_nothing(world: World) -> None:
    said = (await world.ask(5, "/digest at 06:00")).text
    assert said.startswith("/digest takes nothing after it") and "/digest_at HH:MM" in said and "(now: 08:00 UTC)" in said
    assert "Daily digest: 08:00 (UTC)" in (await world.ask(5, "/list")).text


async def test_test_command_explains_the_match(world: World) -> None:
    text = (await world.ask(5, "/test ASML & the chipmaker <b>")).text
    assert "asml (score 100)" in text and "title: 'ASML' — phrase" in text
    assert "chips (score 100)" in text and "'chipmaker'" in text
    assert "No watchlist matches" in (await world.ask(5, "/test potatoes")).text


async def test_test_command_includes_the_chats_own_phrases(world: World) -> None:
    await world.ask(5, "/watch gallium")
    text = (await world.ask(5, "/test Gallium and the chipmaker")).text
    assert "chips (score 100)" in text and "this chat's phrases (score 100)" in text and "title: 'Gallium'" in text
    assert "chat:5" not in text
    assert (await world.ask(5, "/test potatoes")).text == (
        "Neither a watchlist nor this chat's own phrases match 'potatoes'.")
    assert "this chat's phrases" not in (await world.ask(6, "/test Gallium and the chipmaker")).text  # (chat 5's alone)



async def test_test_command_explains_in_the_chats_language(world: World) -> None:
    await world.ask(5, "/lang zh-hans")
    await world.ask(5, "/watch 光刻机")
    text = (await world.ask(5, "/test 荷兰光刻机出口 and ASML")).text
    assert text.startswith("asml（得分 100）\n")
    assert "标题：“ASML”——关键词" in text and "标题：“光刻机”——关键词" in text and "本聊天的关键词" in text
    await world.ask(5, "/lang zh-hant")
    assert "標題：「ASML」——關鍵字" in (await world.ask(5, "/test ASML")).text
    await world.ask(5, "/lang en")
    assert "title: 'ASML' — phrase" in (await world.ask(5, "/test ASML")).text


async def test_watchlists_buttons_subscribe_answer_and_edit(world: World) -> None:
    listing = await world.ask(5, "/watchlists")
    assert "asml ASML: The Dutch lithography company." in listing.text
    assert listing.buttons == [("➕ asml", "sub:asml"), ("➕ chips", "sub:chips")]
    query = world.api.user_presses(5, 5, listing.message_id, "sub:chips")
    edited = await wait_edit(world, 5, listing.message_id)
    assert ("✅ chips", "unsub:chips") in edited.buttons and "✅ instant" in edited.text
    assert (await wait_answer(world, query))["text"] == "Subscribed to chips (instant)."
    assert [s.watchlist for s in world.store.chats.subscriptions(5)] == ["chips"]
    world.api.user_presses(5, 5, listing.message_id, "unsub:chips")
    edited = await wait_edit(world, 5, listing.message_id, lambda s: ("➕ chips", "sub:chips") in s.buttons)
    assert world.store.chats.subscriptions(5) == []


async def test_a_stale_button_never_changes_a_subscription_behind_the_chats_back(world: World) -> None:
    """/subscribe after /watchlists: the old keyboard's ➕ had switched a digest subscription to instant."""
    listing = await world.ask(5, "/watchlists")
    await world.ask(5, "/subscribe chips digest")
    query = world.api.user_presses(5, 5, listing.message_id, "sub:chips")
    answer = await wait_answer(world, query)
    assert answer["text"] == "This chat already follows chips (digest); /subscribe chips instant|digest changes how."
    assert [(s.watchlist, s.mode) for s in world.store.chats.subscriptions(5)] == [("chips", "digest")]
    await wait_edit(world, 5, listing.message_id, lambda s: ("✅ chips", "unsub:chips") in s.buttons)  # redrawn
    await world.ask(5, "/unsubscribe chips")
    query = world.api.user_presses(5, 5, listing.message_id, "unsub:chips")
    assert (await wait_answer(world, query))["text"] == "This chat does not follow chips."


async def test_group_changes_only_by_administrators(world: World) -> None:
    group, member, admin = -200, 7, 8
    world.api.set_member(group, admin, "administrator")
    refused = await world.ask(group, "/subscribe asml", user_id=member, chat_type="group")
    assert "Only this group's administrators" in refused.text
    # (/digest too: a member sending the group's digest early took what its daily digest would have held)
    for command in ("/mode digest", "/tz Europe/Paris", "/quiet 22:00-06:00", "/pause", "/unsubscribe all"):
        assert "Only this group's administrators can change what it is alerted to" in (
            await world.ask(group, command, user_id=member, chat_type="group")).text
    assert (await world.ask(group, "/digest", user_id=member, chat_type="group")).text == (  # (it changes nothing)
        "Only this group's administrators can send its digest early: it comes at its time for everyone (/list shows "
        "when).")
    assert world.store.chats.subscriptions(group) == []
    listing = await world.ask(group, "/watchlists", user_id=member, chat_type="group")  # reading is fine
    query = world.api.user_presses(group, member, listing.message_id, "sub:asml")
    answer = await wait_answer(world, query)
    assert "administrators" in answer["text"] and answer["show_alert"]
    assert world.store.chats.subscriptions(group) == []
    assert "Subscribed to asml" in (await world.ask(group, "/subscribe asml", user_id=admin, chat_type="group")).text
    world.api.set_member(group, 9, "creator")
    assert "Alerts paused" in (await world.ask(group, "/pause", user_id=9, chat_type="group")).text
    assert [s.watchlist for s in world.store.chats.subscriptions(group)] == ["asml"]


async def test_admin_commands_only_for_admins(world: World) -> None:
    for command in ("/feeds", "/reload", "/stats"):
        assert "for the bot's admins" in (await world.ask(5, command)).text
    assert "No feeds configured." in (await world.ask(ADMIN, "/feeds")).text
    await world.ask(5, "/subscribe asml")
    await world.ask(5, "/watch gallium")
    stats = (await world.ask(ADMIN, "/stats")).text
    assert "Outbox" in stats and "Chats: 2 active" in stats
    assert "subscriptions: 1; watching their own phrases: 1" in stats  # (chat 5's own list is no subscription)
    assert "Digests rejected for good" not in stats
    key = "email:gone@example.com|asml"  # (a digest the mail server refused for good: it had been missing here)
    world.store.digests.ensure(key, channel="email", target="gone@example.com", watchlists=["asml"], since=None,
                               now=world.clock())
    world.store.digests.bury(key, [], stories=3, error="recipient rejected by the server (550 No such user)",
                             now=world.clock())
    stats = (await world.ask(ADMIN, "/stats")).text
    assert ("Digests rejected for good (watchbot digest has them all)\n• email:gone@example.com|asml: 3 stories, "
            "2024-03-27 12:00 UTC: recipient rejected by the server (550 No such user)") in stats
    # In a group every member would see the whole bot's feeds (a private feed's key in its address) and counts
    for command in ("/feeds", "/stats", "/suggest"):
        said = (await world.ask(-950, command, user_id=ADMIN, chat_type="supergroup")).text
        assert said.startswith("Ask me this in a private chat") and "Outbox" not in said, command
    (world.rules.folder / "broken.yaml").write_text("id: broken\nany: [\n", encoding="utf-8")
    (world.rules.folder / "extra.yaml").write_text("id: extra\nname: Extra\nany: [gallium]\n", encoding="utf-8")
    reloaded = (await world.ask(ADMIN, "/reload")).text
    assert "Reloaded: 3 watchlists (asml, chips, extra)" in reloaded
    folder = world.rules.folder
    assert f"• {folder.name}/broken.yaml:" in reloaded and str(folder.parent) not in reloaded  # no server paths
    assert "Choose one of: asml, chips, extra" in (await world.ask(5, "/subscribe x")).text


async def wait_edit(world: World, chat_id: int, message_id: int, ready=None):  # type: ignore[no-untyped-def]
    def edited():  # type: ignore[no-untyped-def]
        return next((s for s in world.api.sent_messages(chat_id)
                     if s.message_id == message_id and s.edited and (ready is None or ready(s))), None)
    return await eventually(edited, "the message to be edited")


async def wait_answer(world: World, query: str) -> dict:  # type: ignore[type-arg]
    def answered():  # type: ignore[no-untyped-def]
        return next((a for a in world.api.answers if str(a.get("callback_query_id")) == query), None)
    return await eventually(answered, "the button press to be answered")


async def test_removed_from_a_group_and_group_migration(world: World) -> None:
    import time

    chats = world.store.chats
    for group in (-400, -500):
        chats.ensure(group, type="group", title="g", now=world.clock())
        chats.subscribe(group, "asml", now=world.clock())
    user = {"id": 8, "is_bot": False, "first_name": "Ann"}
    world.api.push_update({"my_chat_member": {
        "chat": {"id": -400, "type": "group", "title": "g"}, "from": user, "date": int(time.time()),
        "old_chat_member": {"user": world.api.me, "status": "member"},
        "new_chat_member": {"user": world.api.me, "status": "left"}}})
    world.api.push_update({"message": {"message_id": 3, "date": int(time.time()), "from": user,
                                       "chat": {"id": -500, "type": "group", "title": "g"},
                                       "migrate_to_chat_id": -100500}})
    await eventually(lambda: chats.instant_recipients(["asml"]) == {"-100500": ("asml",)})
    removed = chats.get(-400)
    assert removed is not None and not removed.active and "removed" in str(removed.inactive_reason)


async def test_watchlists_cut_long_descriptions_at_a_word(world: World) -> None:
    (world.rules.folder / "long.yaml").write_text(
        "id: long\nname: Long\ndescription: " + "semiconductor supply chains " * 20 + "\nany: [gallium]\n",
        encoding="utf-8")
    world.rules.refresh(force=True)
    text = (await world.ask(5, "/watchlists")).text
    line = next(x for x in text.splitlines() if x.startswith("• long"))
    assert line.endswith("…") and "supply chai…" not in line and "semiconductor supply chains" in line


async def test_many_watchlists_are_listed_with_as_many_buttons_as_telegram_takes(world: World) -> None:
    """150 watchlists: one button each made a keyboard Telegram refuses ("reply markup is too long": 100 buttons and
    about 10 KB at most), and the user got an error. The followed ones keep their buttons first."""
    for n in range(150):
        (world.rules.folder / f"topic-{n:03d}.yaml").write_text(
            f"id: topic-{n:03d}\nname: Topic {n}\nany: [word{n}]\n", encoding="utf-8")
    world.rules.refresh(force=True)
    await world.ask(5, "/subscribe topic-149")
    listing = await world.ask(5, "/watchlists")
    assert 20 <= len(listing.buttons) <= 100 and listing.buttons[0] == ("✅ topic-149", "unsub:topic-149")
    assert listing.text.splitlines()[-1] == (f"Buttons for {len(listing.buttons)} of the 152 watchlists (those this "
                                             "chat follows first); /subscribe ID for the others.")
    await world.ask(5, "/unsubscribe topic-149")
    listing = await world.ask(5, "/watchlists")
    assert listing.buttons[0] == ("➕ asml", "sub:asml") and len(listing.buttons) <= 100


async def test_a_tap_does_not_move_the_watchlists_buttons(world: World) -> None:
    """With all buttons in one keyboard, they keep the list's order: a followed one moved to the front, and the next
    tap could hit another watchlist than the one under the finger."""
    listing = await world.ask(5, "/watchlists")
    assert [data for _, data in listing.buttons] == ["sub:asml", "sub:chips"]
    await world.ask(5, "/subscribe chips")
    listing = await world.ask(5, "/watchlists")
    assert [data for _, data in listing.buttons] == ["sub:asml", "unsub:chips"]


async def test_subscribe_takes_an_id_in_capitals_several_ids_and_says_when_nothing_changed(world: World) -> None:
    """Found by a helper session: "/subscribe ASML" answered "Did you mean asml?", "/subscribe asml chips" took chips
    for a mode, and a second /subscribe replied as if it were new."""
    assert "Subscribed to asml" in (await world.ask(5, "/subscribe ASML")).text
    both = (await world.ask(5, "/subscribe asml chips digest")).text.splitlines()
    assert both == ["Subscribed to asml: in the daily digest.", "Subscribed to chips: in the daily digest."]
    assert (await world.ask(5, "/subscribe chips")).text == "This chat already follows chips (digest)."
    assert "Unknown mode 'fast'" in (await world.ask(5, "/subscribe asml fast")).text
    assert "Unknown mode 'instnat'" in (await world.ask(5, "/subscribe asml instnat")).text
    # a word that is no watchlist nor like a mode is an unknown watchlist (it had been answered as a mode)
    assert (await world.ask(5, "/subscribe asml nosuch")).text.startswith("Unknown watchlist 'nosuch'.")
    # a word a watchlist watches leads to it (a Chinese reader had to guess the English ids)
    assert "Did you mean chips?" in (await world.ask(5, "/subscribe semiconductor")).text
    assert "Unsubscribed from 2 watchlists." in (await world.ask(5, "/unsubscribe ASML chips")).text
    # modes as the Chinese replies name them
    assert "daily digest" in (await world.ask(5, "/subscribe asml 摘要")).text
    assert "Mode set to instant" in (await world.ask(5, "/mode 即時")).text
    assert "Unsubscribed from 1 watchlist." in (await world.ask(5, "/unsubscribe asml")).text
    assert world.store.chats.subscriptions(5) == []


async def test_an_unknown_command_is_answered_in_a_private_chat_only(world: World) -> None:
    assert (await world.ask(5, "/frobnicate x")).text == "I do not know /frobnicate. /help lists every command."
    world.api.set_member(-77, 5, "administrator")
    world.api.user_sends(-77, 5, "/frobnicate", chat_type="group")  # maybe another bot's: not answered
    assert "Subscribed to asml" in (await world.ask(-77, "/subscribe asml", user_id=5, chat_type="group")).text
    assert len(world.api.sent_messages(-77)) == 1  # updates of a chat are handled in order


async def test_a_group_title_with_control_characters_is_kept_on_one_line(world: World) -> None:
    """A title is shown in `watchbot chats`, digests' labels and logs; PostgreSQL refuses NUL in text."""
    before = len(world.api.sent_messages(-40))
    world.api.user_sends(-40, 5, "/start", chat_type="group", title="Chip\x00 desk\nAsia\u2028team")
    await world.api.wait_for_messages(before + 1, timeout=5, chat_id=-40)
    chat = world.store.chats.get(-40)
    assert chat is not None and chat.title == "Chip desk Asia team"


async def test_a_command_the_store_refuses_gets_a_reply_that_says_so(world: World) -> None:
    """Before: nothing at all (the handler's StoreError was only logged), so the user waited for a reply."""
    assert "Subscribed to asml" in (await world.ask(5, "/subscribe asml")).text
    world.store.db.execute("PRAGMA query_only = ON")  # every write refused, as by a full disk
    try:
        reply = (await world.ask(5, "/subscribe chips")).text
        assert reply.startswith("That did not work: the bot's storage refuses to save anything right now"), reply
        world.api.add_user(6)["language_code"] = "zh-TW"  # in the language Telegram gives: the store is what fails
        chinese = await world.ask(6, "/start")
        assert chinese.text.startswith("操作沒有成功：機器人的儲存空間現在無法保存任何內容"), chinese.text
    finally:
        world.store.db.execute("PRAGMA query_only = OFF")
    assert world.store.chats.instant_recipients(["chips"]) == {}


async def test_pause_says_what_it_does_and_takes_no_duration(world: World) -> None:
    """Found by a helper session: stories matched during a pause are skipped, which the reply did not say, and "/pause
    2h" was taken for a pause without end."""
    assert "not sent (/quiet HH:MM-HH:MM holds them instead)" in (await world.ask(5, "/pause")).text
    await world.ask(5, "/resume")
    assert (await world.ask(5, "/pause 2h")).text.startswith("/pause takes no duration")
    assert world.store.chats.get(5).paused is False


async def test_a_command_deleted_before_its_reply_still_gets_the_reply(world: World) -> None:
    """A "delete commands" bot, or the writer, removed the command while a busy group's pacing held the reply: the
    Bot API refused a reply to a message no longer there, and the user heard nothing (a traceback in the log)."""
    import time

    user = {"id": 7, "is_bot": False, "first_name": "Ann"}
    world.api.push_update({"message": {  # (never recorded by the double: as if deleted)
        "message_id": 4242, "date": int(time.time()), "from": user, "text": "/help",
        "chat": {"id": -700, "type": "supergroup", "title": "Desk"},  # (replies quote their command in groups)
        "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}})
    [sent] = await world.api.wait_for_messages(1, timeout=5, chat_id=-700)
    assert "/watchlists" in sent.text


async def test_a_chat_the_bot_comes_back_to_is_told_what_it_lost(world: World) -> None:
    """Removed from a group and added again, the bot said nothing: the group had lost its subscriptions without a
    word, and /list blamed an "/unsubscribe all" nobody typed."""
    import time

    group, admin = -900, 8
    world.api.set_member(group, admin, "administrator")
    await world.ask(group, "/subscribe asml", user_id=admin, chat_type="supergroup")
    await world.ask(group, "/watch TSMC", user_id=admin, chat_type="supergroup")
    user = {"id": admin, "is_bot": False, "first_name": "Ann"}

    def membership(old: str, new: str) -> None:
        world.api.push_update({"my_chat_member": {
            "chat": {"id": group, "type": "supergroup", "title": "Desk"}, "from": user, "date": int(time.time()),
            "old_chat_member": {"user": world.api.me, "status": old},
            "new_chat_member": {"user": world.api.me, "status": new}}})

    membership("member", "left")
    await eventually(lambda: not world.store.chats.get(group).active)  # type: ignore[union-attr]
    before = len(world.api.sent_messages(group))
    membership("left", "member")
    [back] = (await world.api.wait_for_messages(before + 1, timeout=5, chat_id=group))[before:]
    assert back.text.startswith("Welcome back. Alerts to this chat stopped (the bot was removed from this chat on ")
    assert back.text.count(" UTC)") == 1
    assert "its subscriptions were dropped: asml. /watchlists to subscribe again." in back.text
    assert "Its own phrases are kept (/list)" in back.text
    assert world.store.chats.subscriptions(group) == []  # (DESIGN.md: a chat that removed the bot is unsubscribed)
    listing = (await world.ask(group, "/list", user_id=admin, chat_type="supergroup")).text
    assert "Welcome back" not in listing and "/unsubscribe all" not in listing  # told once; nobody typed that
    assert "its subscriptions were dropped" in listing


async def test_a_chinese_chat_the_bot_comes_back_to_is_told_in_chinese(world: World) -> None:
    """The welcome back said why alerts stopped in the English the reason was recorded in ("the user blocked the
    bot"), in the middle of a Chinese reply."""
    world.api.add_user(31)["language_code"] = "zh-hans"
    await world.ask(31, "/subscribe asml")
    await world.ask(31, "/tz Asia/Taipei")
    world.api.block(31)  # an alert to it then gets Telegram's 403 ...
    await world.bot.chats.deactivate(31, "the bot cannot write to this chat: Forbidden: bot was blocked by the user")
    world.api.clear_faults()
    before = len(world.api.sent_messages(31))
    reply = await world.ask(31, "/help")  # ... and the user, back, writes to it again
    back = world.api.sent_messages(31)[before]
    assert back.text.startswith("欢迎回来。本聊天的提醒已停止（")
    assert "机器人被屏蔽" in back.text and "：asml" in back.text
    assert "2024-03-27 20:00 Asia/Taipei，" in back.text  # (in the chat's zone: 12:00 UTC)
    assert not any(word in back.text for word in ("bot", "blocked", "Forbidden", " on "))
    assert "/watchlists" in reply.text


def test_a_gone_chats_reason_comes_down_to_what_a_reply_can_say() -> None:
    from datetime import UTC, datetime

    from bot.app.chats import gone_cause, gone_since

    assert gone_since("the user blocked the bot on 2026-12-01 09:05 UTC") == (
        "the user blocked the bot", datetime(2026, 12, 1, 9, 5, tzinfo=UTC))
    assert gone_since("deactivated") == ("deactivated", None)  # (recorded before a time was kept)
    assert gone_since("Telegram rejected the message: chat not found on Monday") == ("chat not found on Monday", None)
    assert gone_since("the bot cannot write to this chat: Forbidden: bot can't initiate conversation with a user"
                      " on 2026-12-01 09:05 UTC")[0] == "Forbidden: bot can't initiate conversation with a user"
    assert [gone_cause(r) for r in (
        "the bot was removed (left)", "the bot cannot write to this chat: Forbidden: bot was kicked from the group chat",
        "the user blocked the bot", "the bot cannot write to this chat: Forbidden: bot was blocked by the user",
        "the bot cannot write to this chat: Forbidden: user is deactivated",
        "Telegram rejected the message: Bad Request: chat not found",
    )] == ["removed", "removed", "blocked", "blocked", "deleted", "refused"]


async def test_a_groups_alerts_come_in_the_language_of_the_administrator_who_sets_it_up(world: World) -> None:
    """A group without /lang got its alerts in English while each member was answered in their own language; then
    the setting-up administrator's language became the group's /lang, silently: every member's replies and the
    group's menu (which every member sees) switched to it."""
    from bot.feeds.fetch import HttpFetcher

    group, admin, member = -910, 31, 32
    world.api.add_user(admin)["language_code"] = "zh-hans"
    world.api.add_user(member)["language_code"] = "en"
    world.api.set_member(group, admin, "administrator")
    assert "Only this group's administrators" in (
        await world.ask(group, "/subscribe asml", user_id=member, chat_type="supergroup")).text
    assert world.store.chats.get(group).speaks is None  # type: ignore[union-attr]  # (a member's refusal sets nothing)
    await world.ask(group, "/subscribe asml", user_id=admin, chat_type="supergroup")
    chat = world.store.chats.get(group)
    assert chat is not None and (chat.language, chat.heard_language) == (None, "zh-hans")
    listing = (await world.ask(group, "/list", user_id=member, chat_type="supergroup")).text  # (an English member)
    assert "Subscriptions" in listing and "Language: English" in listing, listing
    assert "订阅" in (await world.ask(group, "/list", user_id=admin, chat_type="supergroup")).text
    menus = [c for c in world.api.calls("setMyCommands") if (c.params.get("scope") or {}).get("chat_id") == group]
    assert menus == []  # (the group's menu stays each member's own)
    async with HttpFetcher() as fetcher:
        await world.pipeline([world.feed("Reuters", [{"title": "ASML ships its first High-NA tool",
                                                      "link": "https://news.example/a"}])], fetcher).poll_once()
    [alert] = [m for m in world.api.sent_messages(group) if "High-NA" in m.text]
    assert alert.text.endswith("\n命中：ASML"), alert.text  # (in English: "Matched: ASML")
    await world.ask(group, "/lang en", user_id=admin, chat_type="supergroup")  # (/lang decides for everyone)
    assert world.store.chats.get(group).speaks == "en"  # type: ignore[union-attr]


async def test_an_update_the_library_cannot_read_is_skipped_and_the_next_is_answered(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A poll update without a field python-telegram-bot requires (Telegram changed its API), or a message that is no
    object, failed every getUpdates answer holding it: the offset never moved on, no command was answered again,
    and the log grew by 30,000 lines a second."""
    import logging

    caplog.set_level(logging.WARNING, logger="watchbot.telegram")
    world.api.push_update({"poll": {"id": "1", "question": "?", "options": [], "total_voter_count": 0}})
    world.api.push_update({"message": "not an object"})
    assert "/watchlists" in (await world.ask(5, "/help")).text
    skipped = [r.getMessage() for r in caplog.records if "skipped update" in r.getMessage()]
    assert len(skipped) == 2 and "(poll)" in skipped[0] and "(message)" in skipped[1], skipped


async def test_a_button_under_a_message_that_cannot_be_edited_gets_the_list_anew(
        world: World, caplog: pytest.LogCaptureFixture) -> None:
    """A /watchlists keyboard older than 48 hours cannot be edited: the subscription was made, but the list stayed as
    it was, the apology failed too, and the log got a 40-line traceback for Telegram's ordinary answer."""
    import logging

    caplog.set_level(logging.ERROR, logger="watchbot.telegram")
    update = world.api.user_sends(5, 5, "hello")  # (a message of the user's: the bot cannot edit it)
    before = len(world.api.sent_messages(5))
    query = world.api.user_presses(5, 5, update["message"]["message_id"], "sub:asml")
    assert "Subscribed" in (await wait_answer(world, query))["text"]
    sent = await world.api.wait_for_messages(before + 2, timeout=5, chat_id=5)  # (the plain-text hint, the list)
    assert any("✅" in m.text and "asml" in m.text for m in sent[before:]), [m.text for m in sent[before:]]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
