"""The Bot API double, driven by the real python-telegram-bot: answers, faults, HTML rules, updates."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import subprocess
import sys
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from telegram import Bot, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.conftest import REPO
from tests.doubles.botapi import BotApiDouble
from tests.doubles.botapi_faults import (
    FloodLimits,
    bad_gateway,
    blocked,
    disconnect,
    max_in_window,
    migrated,
    retry_after,
    server_error,
    slow,
    too_long,
    window_stats,
)
from tests.doubles.botapi_html import bot_command_entities, parse_html
from tests.doubles.botapi_process import RemoteBotApi


@pytest.fixture
async def api() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble(max_long_poll=2) as double:
        yield double


@pytest.fixture
async def bot(api: BotApiDouble) -> AsyncIterator[Bot]:
    async with Bot(api.token, base_url=api.url + "/bot") as b:
        yield b


# PTB 22 announces that RetryAfter.retry_after becomes a timedelta (it warns while raising it)
pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*:DeprecationWarning")


def _seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


# -- plain answers ------------------------------------------------------------------------------

async def test_get_me_is_the_double_bot(api: BotApiDouble, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (api.me["id"], "watchbot_test_bot", True)


async def test_send_message_is_recorded_with_rendered_text(api: BotApiDouble, bot: Bot) -> None:
    message = await bot.send_message(42, "<b>ASML</b> &amp; <a href='https://x.test/a?b=1&amp;c=2'>link</a>",
                                     parse_mode="HTML")
    assert message.text == "ASML & link"
    assert [(e.type, e.offset, e.length, e.url) for e in message.entities] == [
        ("bold", 0, 4, None), ("text_link", 7, 4, "https://x.test/a?b=1&c=2")]
    [sent] = api.sent_messages(42)
    assert (sent.chat_id, sent.message_id, sent.text, sent.parse_mode) == (42, message.message_id, "ASML & link", "HTML")
    [call] = api.calls("sendMessage")
    assert (call.chat_id, call.status, call.params["parse_mode"]) == (42, 200, "HTML")
    assert api.sent_messages(43) == []


async def test_json_body_is_read_like_a_form(api: BotApiDouble) -> None:
    async with httpx.AsyncClient() as client:
        answer = await client.post(f"{api.url}/bot{api.token}/sendMessage", json={"chat_id": 7, "text": "hi"})
    assert answer.json()["ok"] is True
    assert api.sent_messages(7)[0].text == "hi"


async def test_unknown_method_and_wrong_token(api: BotApiDouble) -> None:
    async with httpx.AsyncClient() as client:
        unknown = await client.post(f"{api.url}/bot{api.token}/sendSticker", data={"chat_id": "1"})
    assert (unknown.status_code, unknown.json()) == (404, {"ok": False, "error_code": 404, "description": "Not Found"})
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=api.url + "/bot"):
            pass


# -- faults -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("fault", "error", "check"), [
    (retry_after(7), RetryAfter, lambda e: _seconds(e) == 7),
    (blocked(), Forbidden, lambda e: "blocked by the user" in e.message),
    (too_long(), BadRequest, lambda e: "too long" in e.message.lower()),
    (migrated(-1009876), ChatMigrated, lambda e: e.new_chat_id == -1009876),
    (server_error(500), NetworkError, lambda e: "Internal Server Error" in e.message),
    (server_error(502), NetworkError, lambda e: "Bad Gateway" in e.message),
    (bad_gateway(), NetworkError, lambda e: "502" in e.message),
    (disconnect(), NetworkError, lambda e: True),
])
async def test_each_fault_raises_ptbs_exception_once(api: BotApiDouble, bot: Bot, fault: Any,
                                                     error: type[Exception], check: Any) -> None:
    api.inject(fault, chat_id=5)
    with pytest.raises(error) as raised:
        await bot.send_message(5, "x")
    assert check(raised.value)
    assert (await bot.send_message(5, "again")).text == "again"  # times=1: consumed
    assert [c.status for c in api.calls("sendMessage")][-1] == 200


async def test_slow_answer_times_out_the_client(api: BotApiDouble, bot: Bot) -> None:
    api.inject(slow(3), chat_id=5)
    with pytest.raises(TimedOut):
        await bot.send_message(5, "x", read_timeout=0.2)


async def test_faults_are_per_chat_and_can_persist(api: BotApiDouble, bot: Bot) -> None:
    api.block(1)
    api.migrate(-2, -1002)
    for _ in range(2):
        with pytest.raises(Forbidden):
            await bot.send_message(1, "x")
        with pytest.raises(ChatMigrated):
            await bot.send_message(-2, "x")
    assert (await bot.send_message(-1002, "moved")).chat.type == "supergroup"
    assert (await bot.send_message(3, "fine")).text == "fine"
    api.clear_faults()
    assert (await bot.send_message(1, "unblocked")).text == "unblocked"


async def test_block_and_migrate_announced_as_telegram_does(api: BotApiDouble, bot: Bot) -> None:
    api.user_sends(-2, 1, "hi", chat_type="group", title="Fabs")
    api.block(1, announce=True)
    api.migrate(-2, -1002, announce=True)
    updates = await bot.get_updates(offset=-3)
    blocked_update, moved_from, moved_to = updates
    assert blocked_update.my_chat_member is not None
    assert blocked_update.my_chat_member.new_chat_member.status == "kicked"
    assert moved_from.message is not None and moved_from.message.migrate_to_chat_id == -1002
    assert moved_to.message is not None and moved_to.message.migrate_from_chat_id == -2
    assert (await bot.get_chat(-1002)).title == "Fabs"


async def test_a_reply_needs_its_message(api: BotApiDouble, bot: Bot) -> None:
    api.user_sends(1, 1, "/help")
    assert (await bot.send_message(1, "ok", reply_to_message_id=1)).text == "ok"
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(1, "lost", reply_to_message_id=77)
    assert (await bot.send_message(1, "fine", reply_to_message_id=77, allow_sending_without_reply=True)).text


async def test_fault_for_any_method(api: BotApiDouble, bot: Bot) -> None:
    api.inject(server_error(503), method=None, times=2)
    for _ in range(2):
        with pytest.raises(NetworkError):
            await bot.get_me()
    assert (await bot.get_me()).is_bot


async def test_flood_limits_answer_429_to_a_group_over_its_minute(bot: Bot) -> None:
    async with BotApiDouble(enforce_limits=True, limits=FloodLimits(group_per_minute=1)) as api, \
            Bot(api.token, base_url=api.url + "/bot") as limited:
        await limited.send_message(-7, "first")
        with pytest.raises(RetryAfter) as raised:
            await limited.send_message(-7, "second")
        assert 1 <= _seconds(raised.value) <= 60
        await limited.send_message(8, "another chat is fine")
        assert (api.stats().messages, api.stats().rejected_429) == (3, 1)
        assert (api.stats(accepted_only=True).messages, api.stats(accepted_only=True).rejected_429) == (2, 0)


# -- HTML as Telegram checks it -----------------------------------------------------------------

@pytest.mark.parametrize(("text", "description"), [
    ("<script>alert(1)</script>", 'Unsupported start tag "script" at byte offset 0'),
    ("AT&T", 'Unescaped "&" at byte offset 2'),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
    ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
    ("x</b>", "Unexpected end tag at byte offset 1"),
    ("é<br>", 'Unsupported start tag "br" at byte offset 2'),
    ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
    ("<b> </b>", "message text is empty"),
])
async def test_bad_html_is_rejected(bot: Bot, text: str, description: str) -> None:
    with pytest.raises(BadRequest) as raised:
        await bot.send_message(1, text, parse_mode="HTML")
    assert description.lower() in raised.value.message.lower()


@pytest.mark.parametrize("hostile", ["<script>alert('x')</script>", "R&D & M&A", "</b><i>unbalanced", "a<b & c>d"])
async def test_escaped_hostile_text_is_accepted_verbatim(bot: Bot, hostile: str) -> None:
    message = await bot.send_message(1, f"<b>{html.escape(hostile)}</b>", parse_mode="HTML")
    assert message.text == hostile


async def test_supported_tags(bot: Bot) -> None:
    text = ("<b>b</b><strong>s</strong><i>i</i><em>e</em><u>u</u><ins>n</ins><s>s</s><strike>k</strike><del>d</del>"
            "<span class=\"tg-spoiler\">p</span><tg-spoiler>q</tg-spoiler><code>c</code>"
            "<pre><code class=\"language-python\">x</code></pre><blockquote>q</blockquote>"
            "<a href=\"https://e.test\">a</a>")
    message = await bot.send_message(1, text, parse_mode="HTML")
    assert message.text == "bsieunskdpqcxqa"
    assert [e.type for e in message.entities][:3] == ["bold", "bold", "italic"]
    assert any(e.type == "pre" and e.language == "python" for e in message.entities)


@pytest.mark.parametrize(("text", "ok"), [
    ("😀" * 2048, True),  # 2,048 characters, 4,096 UTF-16 code units
    ("😀" * 2048 + "a", False),
    ("é" * 4096, True),
    ("<b>" + "a" * 4096 + "</b>", True),  # tags do not count
    ("&amp;" * 4096, True),  # an entity counts as its character
    ("&amp;" * 4097, False),
])
async def test_length_is_counted_in_utf16_after_parsing(bot: Bot, text: str, ok: bool) -> None:
    if ok:
        await bot.send_message(1, text, parse_mode="HTML")
        return
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(1, text, parse_mode="HTML")


async def test_plain_text_is_not_parsed(bot: Bot) -> None:
    assert (await bot.send_message(1, "<script> & co")).text == "<script> & co"


def test_lenient_ampersand_like_telegram() -> None:
    assert parse_html("AT&T &amp &#60;", strict_amp=False) == ("AT&T & <", [])


@pytest.mark.parametrize(("text", "commands"), [
    ("/start", [(0, 6)]),
    ("/subscribe@watchbot_test_bot asml", [(0, 28)]),
    ("😀 /list", [(3, 5)]),
    ("a/b and http://x/y", []),
    ("/mode digest /tz UTC", [(0, 5), (13, 3)]),
])
def test_bot_command_entities(text: str, commands: list[tuple[int, int]]) -> None:
    assert [(e["offset"], e["length"]) for e in bot_command_entities(text)] == commands


# -- updates ------------------------------------------------------------------------------------

async def test_get_updates_confirms_by_offset(api: BotApiDouble, bot: Bot) -> None:
    first = api.user_sends(10, 10, "/start")
    api.user_sends(-20, 11, "/list", chat_type="group")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], first["update_id"] + 1]
    message = updates[1].message
    assert message is not None and message.chat.type == "group"
    assert message.entities[0].type == "bot_command"
    assert len(await bot.get_updates(offset=updates[0].update_id + 1)) == 1  # the first is confirmed
    assert await bot.get_updates(offset=updates[1].update_id + 1) == ()
    api.user_sends(10, 10, "a")
    api.user_sends(10, 10, "b")
    assert [u.effective_message.text for u in await bot.get_updates(offset=-1) if u.effective_message] == ["b"]


async def test_long_poll_returns_when_an_update_arrives(api: BotApiDouble, bot: Bot) -> None:
    asyncio.get_running_loop().call_later(0.05, api.user_sends, 10, 10, "/help")
    updates = await bot.get_updates(timeout=30)  # the double caps its wait at max_long_poll=2
    assert [u.effective_message.text for u in updates if u.effective_message] == ["/help"]


async def test_allowed_updates_filter(api: BotApiDouble, bot: Bot) -> None:
    api.user_sends(10, 10, "hello")
    query_id = api.user_presses(10, 10, 99, "sub:asml")
    updates = await bot.get_updates(allowed_updates=["callback_query"])
    assert [u.callback_query.id for u in updates if u.callback_query] == [query_id]


async def test_a_second_poll_ends_the_first_with_conflict(api: BotApiDouble, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=2))
    await api.wait_until(lambda: api.polling)
    async with Bot(api.token, base_url=api.url + "/bot") as second_instance:
        await second_instance.get_updates()
    with pytest.raises(Conflict):
        await first


async def test_application_answers_commands_and_buttons(api: BotApiDouble) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None and update.effective_message is not None
        keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("Subscribe", callback_data="sub:asml")]])
        await update.effective_message.reply_text(f"hello {context.args}", reply_markup=keyboard)

    async def pressed(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None and update.callback_query.message is not None
        await update.callback_query.answer("subscribed")
        await update.callback_query.edit_message_text(f"done: {update.callback_query.data}")

    app: Application = ApplicationBuilder().token(api.token).base_url(api.url + "/bot").build()
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))
    async with app:
        await app.bot.set_my_commands([BotCommand("start", "Say hello")])
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=1)
        api.user_sends(-30, 31, "/start@watchbot_test_bot asml", chat_type="supergroup")
        [reply] = await api.wait_for_messages(1, timeout=10)
        assert (reply.chat_id, reply.text, reply.buttons) == (-30, "hello ['asml']", [("Subscribe", "sub:asml")])
        query_id = api.user_presses(-30, 31, reply.message_id, "sub:asml")
        await api.wait_until(lambda: bool(api.edits))
        await app.updater.stop()
        await app.stop()
    assert api.answers[0]["callback_query_id"] == query_id and api.answers[0]["text"] == "subscribed"
    assert api.sent_messages(-30)[0].text == "done: sub:asml"
    assert api.commands() == [{"command": "start", "description": "Say hello"}]
    assert api.updates == []  # every update was confirmed
    assert [c.method for c in api.calls()][:2] == ["getMe", "setMyCommands"]


# -- the other methods --------------------------------------------------------------------------

@pytest.mark.parametrize("status", ["creator", "administrator", "member", "restricted", "left", "kicked"])
async def test_get_chat_member_statuses(api: BotApiDouble, bot: Bot, status: str) -> None:
    api.set_member(-40, 41, status)
    member = await bot.get_chat_member(-40, 41)
    assert (member.status, member.user.id) == (status, 41)


async def test_unknown_member_has_left_and_private_chat_user_is_member(bot: Bot) -> None:
    assert (await bot.get_chat_member(-40, 99)).status == "left"
    assert (await bot.get_chat_member(99, 99)).status == "member"


async def test_get_chat_and_bad_commands(api: BotApiDouble, bot: Bot) -> None:
    api.user_sends(-1005, 1, "hi", chat_type="supergroup", title="Chip watchers")
    chat = await bot.get_chat(-1005)
    assert (chat.type, chat.title) == ("supergroup", "Chip watchers")
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])
    assert await bot.get_my_commands() == ()


async def test_edit_message_text(api: BotApiDouble, bot: Bot) -> None:
    message = await bot.send_message(1, "one")
    edited = await bot.edit_message_text("<i>two</i>", chat_id=1, message_id=message.message_id, parse_mode="HTML")
    assert not isinstance(edited, bool) and edited.text == "two"
    with pytest.raises(BadRequest, match="(?i)not modified"):
        await bot.edit_message_text("<i>two</i>", chat_id=1, message_id=message.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=1, message_id=999)
    assert [s.text for s in api.sent_messages(1)] == ["two"]


async def test_callback_answered_once(api: BotApiDouble, bot: Bot) -> None:
    query_id = api.user_presses(1, 1, 5, "x")
    assert await bot.answer_callback_query(query_id)
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await bot.answer_callback_query(query_id)


# -- statistics and other ways to run it ---------------------------------------------------------

def test_max_in_window() -> None:
    assert max_in_window([]) == 0
    assert max_in_window([0.0, 0.5, 0.99, 1.0, 1.2, 5.0]) == 4  # 0.5 .. 1.2
    assert max_in_window([0.0, 1.0, 2.0]) == 1


def test_window_stats_per_chat_and_group() -> None:
    received = [(0.0, 1, 200), (0.1, 1, 200), (0.2, 2, 429), (30.0, -5, 200), (50.0, -5, 200), (95.0, -5, 200)]
    stats = window_stats(received)
    assert (stats.messages, stats.accepted, stats.rejected_429) == (6, 5, 1)
    assert (stats.max_per_second, stats.max_per_chat_second, stats.busiest_chat) == (3, 2, 1)
    assert stats.max_group_per_minute == 2


def test_flood_limits_in_sliding_windows() -> None:
    limits = FloodLimits(overall=3, per_chat=1)
    for chat, at in [(1, 0.0), (2, 0.1), (3, 0.2)]:
        assert limits.verdict(chat, at) is None
        limits.accept(chat, at)
    assert limits.verdict(4, 0.5) == 1  # overall full until 1.0
    assert limits.verdict(1, 1.05) is None and limits.verdict(2, 1.05) == 1  # chat 2 frees at 1.1
    assert limits.verdict(4, 1.0) is None


def test_thread_served_double_for_sync_code() -> None:
    with BotApiDouble() as api:
        answer = httpx.post(f"{api.url}/bot{api.token}/sendMessage", data={"chat_id": "3", "text": "sync"})
        assert answer.json()["result"]["text"] == "sync"
        assert [s.text for s in api.wait_for_messages_sync(1, timeout=5)] == ["sync"]


async def test_thread_served_double_with_a_bot_in_the_test_loop() -> None:
    with BotApiDouble() as api:
        async with Bot(api.token, base_url=api.url + "/bot") as threaded:
            task = asyncio.create_task(api.wait_for_messages(2, timeout=10))
            await threaded.send_message(4, "one")
            await threaded.send_message(4, "two")
            assert [s.text for s in await task] == ["one", "two"]
            with pytest.raises(TimeoutError, match="waited 0.1s for 3 messages, got 2"):
                await api.wait_for_messages(3, timeout=0.1)


def test_separate_process_with_control_routes() -> None:
    process = subprocess.Popen([sys.executable, "-m", "tests.doubles.botapi", "--port", "0"], cwd=REPO,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdin is not None
        started = json.loads(process.stdout.readline())
        remote = RemoteBotApi(started["url"])
        update = remote.user_sends(5, 5, "/start")
        got = httpx.post(f"{started['url']}/bot{started['token']}/getUpdates", data={"offset": "0"}).json()
        assert got["result"][0]["update_id"] == update["update_id"]
        remote.inject("retry_after", 2, chat_id=5)
        limited = httpx.post(f"{started['url']}/bot{started['token']}/sendMessage", data={"chat_id": "5", "text": "a"})
        assert (limited.status_code, limited.json()["parameters"]) == (429, {"retry_after": 2})
        httpx.post(f"{started['url']}/bot{started['token']}/sendMessage", data={"chat_id": "5", "text": "b"})
        assert [m["text"] for m in remote.messages(5)] == ["b"]
        assert remote.stats()["messages"] == 2
        process.stdin.close()
        final = json.loads(process.stdout.readline())
        assert (final["messages"], final["accepted"], final["rejected_429"]) == (2, 1, 1)
    finally:
        process.kill()
        process.wait(5)
