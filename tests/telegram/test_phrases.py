"""A chat shapes its own alerts: /watch, /unwatch, /mute, /unmute, /lang and /list through python-telegram-bot
against the Bot API double, and the alerts that follow from a real poll."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.feeds.fetch import HttpFetcher
from bot.i18n import EN
from bot.items.normalize import Item
from tests.waiting import eventually
from tests.worlds import World


def story(i: int, title: str, lede: str = "") -> dict[str, str]:
    return {"title": title, "link": f"https://news.example/{i}", "lede": lede or f"Lede of story {i}."}


async def poll(world: World, items: list[dict[str, str]], name: str = "feed") -> None:
    async with HttpFetcher() as fetcher:
        pipeline = world.pipeline([world.feed(name, items)], fetcher)
        await pipeline.poll_once()


def alerts_to(world: World, chat_id: int) -> list[str]:
    return [s.text for s in world.api.sent_messages(chat_id) if "news.example" in s.text or s.buttons]


def store_items(world: World, titles: list[str]) -> None:
    at = datetime(2024, 3, 27, 9, 0, tzinfo=UTC)
    for n, title in enumerate(titles):
        item = Item(identity=f"v1:s{n}", url=f"https://s.example/{n}", link=f"https://s.example/{n}", guid=None,
                    title=title, lede="", language="en", published=at, feed_url="https://s.example/rss")
        world.store.items.add([item], feed_name="s", now=at + timedelta(seconds=n))


async def test_watch_says_what_a_phrase_matches_and_alerts_that_chat_alone(world: World) -> None:
    reply = (await world.ask(5, "/watch Huawei")).text
    assert "Watching Huawei (1 of 50)" in reply
    assert "in any case" in reply and "whole words only" in reply and "close misspellings too" in reply
    assert "exact spelling only" in (reply := (await world.ask(8, "/watch SMIC")).text)
    assert "in any case (SMIC, smic, Smic)" in reply  # the case examples are the phrase's own
    assert "in any case (export controls, EXPORT CONTROLS, Export Controls)" in (
        await world.ask(8, "/watch export controls")).text
    assert "in any case" not in (reply := (await world.ask(8, "/watch 2026")).text)  # digits have no case
    assert "whole words only" in reply
    assert world.store.phrases.phrases(5) == ["Huawei"]
    reply = (await world.ask(6, "/watch semiconductor equipment")).text
    assert "close misspellings too" in reply
    await world.ask(7, "/subscribe asml")
    await poll(world, [story(1, "HUAWEI unveils a phone"), story(2, "Huaweiphone is not a word"),
                       story(3, "ASML and Huawei sign a deal"), story(4, "Semiconducter equipment sales rise")])
    five = world.api.sent_messages(5)[1:]
    assert [m.text.splitlines()[1] for m in five] == ["HUAWEI unveils a phone", "ASML and Huawei sign a deal"]
    assert "Matched: HUAWEI" in five[0].text  # explained like any match: the text that hit
    assert [m.text.splitlines()[1] for m in world.api.sent_messages(6)[1:]] == ["Semiconducter equipment sales rise"]
    assert [m.text.splitlines()[1] for m in world.api.sent_messages(7)[1:]] == ["ASML and Huawei sign a deal"]


async def test_a_chats_own_watchlist_never_reaches_another_chat(world: World) -> None:
    await world.ask(5, "/watch gallium")
    chats = world.store.chats
    chats.ensure(9, type="private", title="x", now=world.clock())
    chats.subscribe(9, "chat:5", now=world.clock())  # even followed by hand, it is chat 5's own
    assert "Unknown watchlist 'chat:5'" in (await world.ask(9, "/subscribe chat:5")).text
    await poll(world, [story(1, "Gallium prices jump")])
    assert len(world.api.sent_messages(5)) == 2 and len(world.api.sent_messages(9)) == 1


async def test_chats_sharing_a_phrase_each_get_their_own_explained_alert_and_a_mute_still_applies(
        world: World) -> None:
    """The matcher finds a phrase once however many chats watch it; each chat still gets its alert, explained
    by its own phrases, recorded under its own watchlist, and a chat that muted a word of the item gets none."""
    for chat, phrase in ((5, "gallium"), (6, "gallium"), (6, "germanium"), (7, "gallium"), (8, "germanium")):
        await world.ask(chat, f"/watch {phrase}")
    await world.ask(7, "/mute prices")
    await poll(world, [story(1, "Gallium and germanium prices jump"), story(2, "Germanium output falls")])
    five, six, seven, eight = (alerts_to(world, chat) for chat in (5, 6, 7, 8))
    assert [m.splitlines()[1] for m in five] == ["Gallium and germanium prices jump"]
    assert five[0].splitlines()[0] == "🔔 this chat's phrases"  # (not its list's id, chat:5)
    assert "Matched: Gallium" in five[0] and "germanium" not in five[0].split("Matched:")[1]
    assert [m.splitlines()[1] for m in six] == ["Gallium and germanium prices jump", "Germanium output falls"]
    assert "Matched: Gallium, germanium" in six[0] and "Matched: Germanium" in six[1]
    assert seven == []  # muted: its match is recorded, no alert goes out
    assert [m.splitlines()[1] for m in eight] == ["Gallium and germanium prices jump", "Germanium output falls"]
    assert "Matched: germanium" in eight[0]
    identity = world.store.items.latest(2)[-1].identity  # the first story
    hits = world.store.items.match_hits(identity)
    assert sorted(hits) == ["chat:5", "chat:6", "chat:7", "chat:8"]
    assert [h["pattern"] for h in hits["chat:6"]] == ["gallium", "germanium"]
    assert [h["pattern"] for h in hits["chat:7"]] == ["gallium"]


async def test_traditional_phrases_fold_and_chinese_matches_as_a_substring(world: World) -> None:
    reply = (await world.ask(5, "/watch 半導體")).text
    assert "Traditional and Simplified alike (as 半导体)" in reply and "anywhere in the text" in reply
    await poll(world, [story(1, "中国半导体产业扩张")])
    assert "中国半导体产业扩张" in world.api.sent_messages(5)[-1].text


async def test_duplicates_limits_bad_phrases_and_warnings(world: World) -> None:
    assert "Usage: /watch PHRASE" in (await world.ask(5, "/watch")).text
    await world.ask(5, "/watch ASML")
    assert (await world.ask(5, "/watch asml")).text == "This chat already watches ASML."  # (as watched, not as typed)
    assert "only punctuation" in (await world.ask(5, "/watch !!!")).text
    assert "at most 100" in (await world.ask(5, "/watch " + "x" * 101)).text
    literal = (await world.ask(5, "/watch chip.*maker")).text
    assert "Taken literally" in literal
    assert "Very short" in (await world.ask(5, "/watch AI")).text
    assert "Only everyday words" not in literal
    assert world.store.phrases.phrases(5) == ["ASML", "chip.*maker", "AI"]
    assert "Only everyday words: it would hit most stories" in (await world.ask(5, "/watch of the")).text  # no item stored
    store_items(world, ["Story of the day", "Another story"])
    few = (await world.ask(5, "/watch in the")).text  # two stored items say nothing either way ("0 of the last 2")
    assert "Only everyday words" in few and "stored stories" not in few
    world.app.phrases.max_watch = 5  # type: ignore[union-attr]
    assert "watches 5 phrases, the most it can" in (await world.ask(5, "/watch gallium")).text


async def test_common_phrases_are_measured_on_stored_items(world: World) -> None:
    store_items(world, [f"Stock market report {n}" for n in range(24)] + ["Gallium exports"] + ["Rare earths"] * 15)
    common = (await world.ask(5, "/watch market")).text
    assert "Common: it would have hit 60% of the last 40 stored stories" in common
    rare = (await world.ask(5, "/watch gallium")).text
    assert "It would have hit 1 of the last 40 stored stories" in rare and "Common" not in rare


async def test_unwatch_one_or_all_and_list(world: World) -> None:
    await world.ask(5, "/watch Huawei")
    await world.ask(5, "/watch 光刻机")
    listing = (await world.ask(5, "/list")).text
    assert "Your phrases (2 of 50)\n• Huawei\n• 光刻机" in listing and "chat:5" not in listing
    assert "does not watch nvidia. It watches: Huawei, 光刻机" in (await world.ask(5, "/unwatch nvidia")).text
    await world.ask(5, "/unsubscribe all")
    assert "they alert nobody: this chat does not follow them" in (await world.ask(5, "/list")).text
    await world.ask(5, "/watch huawei")  # already watched, and followed again
    assert "alert nobody" not in (await world.ask(5, "/list")).text
    assert "Stopped watching 1 phrase." in (await world.ask(5, "/unwatch HUAWEI")).text
    await world.ask(5, "/watch Nvidia")
    assert "Stopped watching 2 phrases." in (await world.ask(5, "/unwatch all")).text
    assert world.store.phrases.phrases(5) == [] and world.store.chats.subscriptions(5) == []
    assert "none yet: /watch PHRASE" in (await world.ask(5, "/list")).text


async def test_in_groups_only_administrators_change_phrases_and_mutes(world: World) -> None:
    group, member, admin = -300, 7, 8
    world.api.set_member(group, admin, "administrator")
    for command in ("/watch Huawei", "/unwatch all", "/mute bitcoin", "/unmute all", "/lang zh-hans"):
        assert "Only this group's administrators" in (
            await world.ask(group, command, user_id=member, chat_type="group")).text
    assert world.store.phrases.phrases(group) == [] and world.store.phrases.mutes(group) == []
    assert "Watching Huawei" in (await world.ask(group, "/watch Huawei", user_id=admin, chat_type="group")).text
    assert "This group's phrases (1 of 50)" in (await world.ask(group, "/list", user_id=member, chat_type="group")).text


async def test_mutes_silence_a_phrase_or_a_source_for_that_chat_only(world: World) -> None:
    for chat in (5, 6):
        await world.ask(chat, "/subscribe asml")
    assert "Muted bitcoin" in (await world.ask(5, "/mute bitcoin")).text
    assert "is muted already" in (await world.ask(5, "/mute Bitcoin")).text
    assert "No feed is called Nowhere, and no feeds are set up yet." in (await world.ask(5, "/mute source Nowhere")).text
    await poll(world, [story(1, "ASML accepts Bitcoin"), story(2, "ASML results")], name="wire")
    assert [m.text.splitlines()[1] for m in world.api.sent_messages(5)[4:]] == ["ASML results"]
    assert len(world.api.sent_messages(6)) == 3  # two alerts: chat 6 muted nothing
    spam = world.feed("spamwire", [story(3, "ASML from the spam wire")])
    world.store.feeds.sync([(str(spam), "spamwire")])  # a configured feed, by its name
    assert "No feed is called Nowhere. Feeds: spamwire" in (await world.ask(5, "/mute source Nowhere")).text
    assert "Muted the source spamwire" in (await world.ask(5, "/mute source SpamWire")).text
    listing = (await world.ask(5, "/list")).text
    assert "• phrase: bitcoin" in listing and "• source: spamwire" in listing
    await poll(world, [story(3, "ASML from the spam wire")], name="spamwire")
    assert not any("spam wire" in m.text for m in world.api.sent_messages(5))
    assert any("spam wire" in m.text for m in world.api.sent_messages(6))
    assert "Unmuted 1." in (await world.ask(5, "/unmute source spamwire")).text
    assert "is not muted here. Muted: bitcoin" in (await world.ask(5, "/unmute gallium")).text
    assert "Unmuted 1." in (await world.ask(5, "/unmute all")).text
    assert world.store.phrases.mutes(5) == []


async def test_replies_follow_the_telegram_language_and_lang(world: World) -> None:
    world.api.add_user(21)["language_code"] = "zh-hans"
    world.api.add_user(22)["language_code"] = "zh-TW"
    assert "正在监控 <b>" not in (reply := (await world.ask(21, "/watch 华为")).text)
    assert reply.startswith("正在监控 华为") and "作为中文词语" in reply
    assert (reply := (await world.ask(22, "/watch 華為")).text).startswith("正在監控 華為")
    assert reply.endswith("它的提醒會照這個聊天室的方式傳送：即時推播。")  # the mode in the reply's language too
    assert "不分大小寫（Nvidia、NVIDIA、nvidia）" in (await world.ask(22, "/watch Nvidia")).text
    assert "我将在这里用简体中文回答" in (await world.ask(5, "/lang zh-hans")).text
    assert "用法：/watch" in (await world.ask(5, "/watch")).text
    chat = world.store.chats.get(5)
    assert chat is not None and chat.language == "zh-hans"
    assert "English here" in (await world.ask(21, "/lang en")).text
    assert "Usage: /watch" in (await world.ask(21, "/watch")).text
    assert "Usage: /lang en|zh-hans|zh-hant" in (await world.ask(21, "/lang klingon")).text
    for said, lang in (("繁體", "zh-hant"), ("简体", "zh-hans"), ("中文", "zh-hans"), ("English", "en"),
                       ("zh-TW", "zh-hant"), ("en-GB", "en")):  # as people say it, not only as codes
        await world.ask(21, f"/lang {said}")
        chat = world.store.chats.get(21)
        assert chat is not None and chat.language == lang, said


async def test_menus_registered_per_language(world: World) -> None:
    english = {c["command"]: c["description"] for c in world.api.commands(language_code="en")}
    chinese = {c["command"]: c["description"] for c in world.api.commands(language_code="zh")}
    default = {c["command"] for c in world.api.commands()}
    assert {"watch", "unwatch", "mute", "unmute", "lang"} <= default == set(english) == set(chinese)
    assert english["watch"].startswith("PHRASE") and chinese["watch"].startswith("关键词")
    assert all(english[name] != chinese[name] for name in chinese)  # every command described in Chinese


async def test_an_admins_menu_is_in_their_language_before_they_first_write(world: World) -> None:
    """An admin's own menu (admin commands included) was set in English at start, and a chat's menu outranks the
    per-language ones: a Chinese admin saw English until their first command."""
    from tests.worlds import ADMIN

    def seen(lang: str) -> dict[str, str]:
        return {c["command"]: c["description"] for c in world.api.menu_seen(ADMIN, lang)}

    assert seen("zh-hans")["feeds"] == seen("zh")["feeds"] != seen("en")["feeds"]
    assert "feeds" not in {c["command"] for c in world.api.menu_seen(777, "zh")}  # (the people's menu)
    simplified = seen("zh")["watch"]
    world.api.add_user(ADMIN)["language_code"] = "zh-TW"
    await world.ask(ADMIN, "/help", user_id=ADMIN)  # (known now: Traditional, a menu of its own)
    assert seen("zh-TW")["watch"] != simplified and seen("zh-TW")["feeds"] != EN["cmd.feeds"]
    await world.ask(ADMIN, "/lang en", user_id=ADMIN)
    assert seen("zh-TW")["watch"] == seen("en")["watch"] == EN["cmd.watch"]  # (/lang decides, whatever Telegram's)


async def test_a_group_that_becomes_a_supergroup_keeps_its_phrases(world: World) -> None:
    import time

    group, admin = -600, 8
    world.api.set_member(group, admin, "administrator")
    await world.ask(group, "/watch gallium", user_id=admin, chat_type="group")
    world.api.push_update({"message": {"message_id": 99, "date": int(time.time()),
                                       "from": {"id": admin, "is_bot": False, "first_name": "A"},
                                       "chat": {"id": group, "type": "group", "title": "g"},
                                       "migrate_to_chat_id": -100600}})
    await eventually(lambda: world.store.phrases.phrases(-100600) == ["gallium"])
    await poll(world, [story(1, "Gallium curbs")])
    assert "Gallium curbs" in world.api.sent_messages(-100600)[-1].text


async def test_the_chats_own_list_is_no_watchlist_in_replies(world: World) -> None:
    """/unsubscribe and /mode speak of watchlists; the chat's own phrases (chat:<id>) are named as phrases."""
    await world.ask(5, "/watch Huawei")
    unknown = (await world.ask(5, "/unsubscribe asml")).text
    assert "chat:5" not in unknown and "It follows: nothing" in unknown
    await world.ask(5, "/subscribe chips")
    assert "It follows: chips (" in (await world.ask(5, "/unsubscribe asml")).text
    mode = (await world.ask(5, "/mode digest")).text
    assert mode == "Mode set to digest; 1 subscription changed. This chat's own phrases follow it too."
    assert {s.mode for s in world.store.chats.subscriptions(5)} == {"digest"}
    await world.ask(5, "/lang zh-hans")
    assert (await world.ask(5, "/mode instant")).text.endswith("个订阅随之更改。本聊天自己的关键词也按此方式提醒。")
    await world.ask(5, "/unwatch all")
    assert "自己的关键词" not in (await world.ask(5, "/mode digest")).text


async def test_unmute_all_with_nothing_muted_says_so(world: World) -> None:
    assert (await world.ask(5, "/unmute all")).text == "Nothing was muted here."
    await world.ask(5, "/mute bitcoin")
    assert (await world.ask(5, "/unmute all")).text == "Unmuted 1."


async def test_a_digest_names_the_chats_own_phrases_in_its_language(world: World) -> None:
    await world.ask(5, "/mode digest")
    await world.ask(5, "/watch gallium")
    await poll(world, [story(1, "Gallium prices jump")])
    digest = (await world.ask(5, "/digest")).text
    assert "This chat's phrases (1)" in digest, digest
    assert "chat:5" not in digest and "Gallium prices jump" in digest
    await world.ask(5, "/lang zh-hant")
    world.clock.now += timedelta(minutes=5)
    await poll(world, [story(2, "Gallium output falls")], name="other")
    digest = (await world.ask(5, "/digest")).text
    assert "這個聊天室的關鍵字 (1)" in digest and "chat:5" not in digest


async def test_invisible_characters_are_dropped_from_a_phrase_and_long_ids_are_cut_in_replies(world: World) -> None:
    """A right-to-left override in a phrase would reverse every reply that quotes it; a zero-width space would
    keep it from matching anything. Both go; a phrase of symbols alone is refused in words."""
    reply = (await world.ask(5, "/watch \u202egal\u200blium")).text
    assert reply.startswith("Watching gallium (1 of 50)")
    assert world.store.phrases.phrases(5) == ["gallium"]
    assert "only punctuation or symbols" in (await world.ask(5, "/watch 🚀🚀")).text
    unknown = (await world.ask(5, "/subscribe " + "x" * 300)).text
    assert "x" * 59 + "…'" in unknown and "x" * 61 not in unknown
    # (a 4,000-character /unwatch or /unmute was said back whole: Telegram refused the reply, "a fault in the bot")
    for command in ("/unwatch ", "/unmute "):
        reply = (await world.ask(5, command + "q" * 4000)).text
        assert "q" * 119 + "…" in reply and "q" * 121 not in reply
    # too long or too many: said, not only the usage
    assert (await world.ask(5, "/mute " + "z" * 1990)).text.startswith("That is 1990 characters long; at most 100.")
    assert (await world.ask(5, "/subscribe " + "asml " * 400)).text == (
        "That is 400 watchlists; one /subscribe takes at most 20.")


async def test_mute_source_without_a_name_asks_which_feed_and_mutes_nothing(world: World) -> None:
    spam = world.feed("spamwire", [story(3, "ASML from the spam wire")])
    world.store.feeds.sync([(str(spam), "spamwire")])
    reply = (await world.ask(5, "/mute source")).text
    assert reply.startswith("Which feed?") and "spamwire" in reply, reply
    assert world.store.phrases.mutes(5) == []
    assert "Muted source" in (await world.ask(5, '/mute "source"')).text  # the word itself, asked for in quotes
    assert [m.value for m in world.store.phrases.mutes(5)] == ["source"]
    assert (await world.ask(5, "/unmute source")).text.startswith("Usage: /unmute")
    world.api.add_user(21)["language_code"] = "zh-hans"
    assert (await world.ask(21, "/mute source")).text.startswith("屏蔽哪个信息源？")


async def test_a_warned_phrase_has_an_undo_button_that_unwatches_it(world: World) -> None:
    sent = await world.ask(5, "/watch the")
    assert "Only everyday words" in sent.text and sent.buttons == [("↩ Undo: stop watching it", "unwatch:the")]
    assert not (await world.ask(5, "/watch Huawei")).buttons  # no warning: no button
    shouting = await world.ask(5, "/watch THE NEWS")
    assert shouting.buttons == [("↩ Undo: stop watching it", "unwatch:the news")]
    query = world.api.user_presses(5, 5, shouting.message_id, "unwatch:the news")
    answer = await eventually(lambda: next((a for a in world.api.answers if a.get("callback_query_id") == query),
                                           None), "the tap's answer")
    assert answer.get("text") == "↩ No longer watching THE NEWS."  # (a pop-up is plain text: no <b> tags shown)
    assert next(m for m in world.api.sent_messages(5) if m.message_id == shouting.message_id).text == (
        "↩ No longer watching THE NEWS.")  # as the user typed it
    query = world.api.user_presses(5, 5, sent.message_id, "unwatch:the")
    await eventually(lambda: any(a.get("callback_query_id") == query for a in world.api.answers), "the tap's answer")
    assert world.store.phrases.phrases(5) == ["Huawei"]
    edited = next(m for m in world.api.sent_messages(5) if m.message_id == sent.message_id)
    assert edited.text == "↩ No longer watching the." and not edited.buttons
    group, member = -300, 7
    world.api.set_member(group, 8, "administrator")
    sent = await world.ask(group, "/watch a", user_id=8, chat_type="group")
    query = world.api.user_presses(group, member, sent.message_id, "unwatch:a")  # not an administrator
    answer = await eventually(lambda: next((a for a in world.api.answers if a.get("callback_query_id") == query),
                                           None), "the tap's answer")
    assert "administrators" in str(answer.get("text")) and world.store.phrases.phrases(group) == ["a"]


async def test_undo_tapped_again_says_it_is_done_without_the_folded_phrase(world: World) -> None:
    """A second tap said 這個聊天室已經不再監控 台 to a reader who typed 臺 (a warned phrase: too short): the folded
    key, not their phrase."""
    await world.ask(5, "/lang zh-hant")
    sent = await world.ask(5, "/watch 臺")
    [(label, data)] = sent.buttons
    assert data is not None
    first = world.api.user_presses(5, 5, sent.message_id, data)
    answer = await eventually(lambda: next((a for a in world.api.answers if a.get("callback_query_id") == first),
                                           None), "the tap's answer")
    assert answer.get("text") == "↩ 不再監控 臺。"
    await world.ask(5, "/watch 臺")  # watched again, and then /unwatch'd: the old button is stale
    await world.ask(5, "/unwatch 臺")
    again = world.api.user_presses(5, 5, sent.message_id, data)
    answer = await eventually(lambda: next((a for a in world.api.answers if a.get("callback_query_id") == again),
                                           None), "the tap's answer")
    assert answer.get("text") == "這個聊天室已經不再監控它。"
    assert next(m for m in world.api.sent_messages(5) if m.message_id == sent.message_id).text == "↩ 不再監控 臺。"


async def test_a_chinese_phrase_with_a_space_is_warned_of_and_offered_written_together(world: World) -> None:
    """/watch 台積電 美國 could never match: Chinese news has no spaces between words."""
    await world.ask(5, "/lang zh-hant")
    sent = await world.ask(5, "/watch 台積電 美國")
    assert "⚠️ 中文新聞的詞與詞之間沒有空格：只有原文也有這個空格時才會比對到。連寫：/watch 台積電美國" in sent.text
    assert sent.buttons and sent.buttons[0][1] == "unwatch:台积电 美国"  # a warned phrase can be undone
    assert "空格" not in (await world.ask(5, "/watch 台積電美國")).text
    assert "空格" not in (await world.ask(5, "/watch TSMC 美國")).text  # (a space beside a Latin word is a word's end)


async def test_a_word_the_other_side_of_the_strait_writes_otherwise_is_named(world: World) -> None:
    """/watch 晶片 (Taiwan's word for chip) missed every mainland 芯片 story, and the reply said nothing of it:
    matching folds scripts (台積電 = 台积电), not words."""
    await world.ask(5, "/lang zh-hant")
    chip = (await world.ask(5, "/watch 晶片")).text
    assert "💡 大陸新聞通常寫作 芯片：再 /watch 芯片，兩種說法都會提醒。" in chip
    await world.ask(5, "/lang en")
    assert "💡 Taiwan news usually writes it 輝達: /watch 輝達 too, to get both." in (
        await world.ask(5, "/watch 英伟达")).text
    for same in ("/watch 台積電", "/watch 出口管制", "/watch ASML"):  # one word, or only another script
        assert "💡" not in (await world.ask(5, same)).text


async def test_a_hashtag_watches_the_word_and_the_reply_says_so(world: World) -> None:
    reply = (await world.ask(5, "/watch #Huawei")).text
    assert reply.startswith("Watching Huawei (1 of 50)") and "• without the #" in reply, reply
    assert world.store.phrases.phrases(5) == ["Huawei"]
    await poll(world, [story(1, "Huawei unveils a new chip")], name="wire")
    assert any("Huawei unveils a new chip" in m.text for m in world.api.sent_messages(5))
    assert "• without the #" not in (await world.ask(5, "/watch Kirin")).text


async def test_a_phrase_stored_with_a_hashtag_before_it_was_dropped_is_still_found_as_typed(world: World) -> None:
    world.store.chats.ensure(5, type="private", title="c", now=world.clock())
    world.store.phrases.add(5, "#ASML", "#asml", now=world.clock())  # (stored as typed, before /watch dropped #)
    world.store.phrases.mute(5, "phrase", "#spam", "#spam", now=world.clock())
    assert "Stopped watching 1 phrase" in (await world.ask(5, "/unwatch #ASML")).text
    assert "Unmuted 1." in (await world.ask(5, "/unmute #spam")).text
    spam = world.feed("#wire", [story(3, "ASML from the hashtag wire")])
    world.store.feeds.sync([(str(spam), "#wire")])
    assert "Muted the source #wire" in (await world.ask(5, "/mute source #wire")).text
    assert [m.key for m in world.store.phrases.mutes(5)] == ["#wire"]


async def test_long_lists_in_replies_fit_a_message_and_the_closest_feeds_come_first(world: World) -> None:
    """Hundreds of feeds and fifty long phrases: a reply that lists them stays within Telegram's 4,096 characters (the
    Bot API refuses a longer one, and the user got an error instead); /list sends every page."""
    from bot.markup import rendered_len

    feeds = [(f"https://outlet{n}.example/rss", f"Regional Outlet {n:03d}: Politics, Economy and Culture")
             for n in range(400)]
    world.store.feeds.sync([*feeds, ("https://www.reuters.com/world/rss", "Reuters World News")])
    unknown = (await world.ask(5, "/mute source Reutres")).text
    assert unknown.startswith("No feed is called Reutres. The closest of the 401 feeds: Reuters World News")
    assert unknown.endswith("News (+400 more)") and rendered_len(unknown) <= 4096
    which = (await world.ask(5, "/mute source")).text
    assert which.startswith("Which feed?") and "more)" in which and rendered_len(which) <= 4096
    assert "Muted the source reuters.com" in (await world.ask(5, "/mute source reuters.com")).text  # (its host)
    long = [f"{n:02d} " + "semiconductor supply chain resilience " * 2 for n in range(50)]
    for phrase in long:  # (by the use-case: fifty commands at once would be asked to slow down)
        await world.app.phrases.watch(5, phrase.strip())  # type: ignore[union-attr]
    assert len(world.store.phrases.phrases(5)) == 50
    before = len(world.api.sent_messages(5))
    await world.ask(5, "/list", replies=2)
    pages = [m.text for m in world.api.sent_messages(5)[before:]]
    assert len(pages) == 2 and all(rendered_len(p) <= 4096 for p in pages)
    assert all(phrase.strip() in "\n".join(pages) for phrase in long) and "Language: English" in pages[-1]
    nope = (await world.ask(5, "/unwatch nothing like it")).text
    assert nope.startswith("This chat does not watch nothing like it. It watches: 00 semiconductor")
    assert nope.endswith("more: /list shows them all)") and rendered_len(nope) <= 4096


async def test_mute_source_takes_part_of_one_feeds_name_in_either_chinese_script(world: World) -> None:
    """A feed named by its channel title ("經濟日報 Economic Daily News 產業新聞即時報導 …") could be muted only by
    every word of it; "RFI 華語" missed "RFI 华语"."""
    world.store.feeds.sync([("https://money.udn.com/rss", "經濟日報 Economic Daily News 產業新聞即時報導 半導體"),
                            ("https://rfi.fr/cn/rss", "RFI 华语"), ("https://rfi.fr/en/rss", "RFI English"),
                            ("https://reuters.com/rss", "Reuters")])
    assert "Muted the source 經濟日報 Economic Daily News" in (await world.ask(5, "/mute source 經濟日報")).text
    assert "Muted the source RFI 华语" in (await world.ask(5, "/mute source RFI 華語")).text
    assert "RFI 华语 is muted already." in (await world.ask(5, "/mute source rfi 华语")).text
    assert "No feed is called RFI." in (await world.ask(5, "/mute source RFI")).text  # two feeds: which one?
    assert "No feed is called eut." in (await world.ask(5, "/mute source eut")).text  # not from a word's start
    assert [m.value for m in world.store.phrases.mutes(5)] == ["經濟日報 Economic Daily News 產業新聞即時報導 半導體",
                                                              "RFI 华语"]


async def test_mutes_are_as_many_as_phrases_at_most(world: World) -> None:
    world.app.phrases.max_watch = 3  # type: ignore[union-attr]
    for word in ("bitcoin", "crypto", "football"):
        assert "Muted" in (await world.ask(5, f"/mute {word}")).text
    assert "mutes 3 phrases and sources, the most it can" in (await world.ask(5, "/mute weather")).text
    assert "is muted already" in (await world.ask(5, "/mute Bitcoin")).text  # (not refused as a fourth)
    assert [m.value for m in world.store.phrases.mutes(5)] == ["bitcoin", "crypto", "football"]
    assert "Unmuted 1." in (await world.ask(5, "/unmute crypto")).text
    assert "Muted weather" in (await world.ask(5, "/mute weather")).text


async def test_unwatch_all_with_no_phrases_says_so(world: World) -> None:
    """It said "Stopped watching 0 phrases."."""
    assert (await world.ask(5, "/unwatch all")).text == (
        "This chat watches no phrases: nothing to stop. /watch PHRASE adds one.")
