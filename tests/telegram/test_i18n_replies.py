"""Everything the bot says comes from the catalog: every command of the menu, with good and bad arguments,
the buttons and the admins' notices, driven through the Bot API double by users whose Telegram speaks
Traditional (zh-TW) or Simplified (zh-hans) Chinese. A reply line passes when it is a line of the catalog in
that language (placeholders filled with anything), or when nothing Latin is left once the data it quotes
(watchlist ids, names and descriptions, typed phrases, feed names, the matcher's explanations, links) is
taken out; an alert's own words ("also in", "Matched") too. An English literal in a handler fails here, as
does a key missing from a language."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator
from pathlib import Path
from string import Formatter

import pytest

from bot.app.build import open_app
from bot.app.polling import Interval
from bot.i18n import CATALOG
from bot.telegram.commands import ADMIN_COMMANDS, COMMANDS
from bot.telegram.digest_commands import COMMANDS as DIGEST_COMMANDS
from bot.telegram.phrases import COMMANDS as PHRASE_COMMANDS
from bot.telegram.web_command import COMMANDS as WEB_COMMANDS
from bot.watch.explain import explain
from tests.app.test_alerts_telegram import follow, poll, story
from tests.doubles.botapi import BotApiDouble
from tests.waiting import eventually
from tests.worlds import ADMIN, RULES, Clock, World, fast_pacer, make_config

MENU = {name for name, _ in [*COMMANDS, *DIGEST_COMMANDS, *PHRASE_COMMANDS, *ADMIN_COMMANDS, *WEB_COMMANDS]}
TEST_TITLE = "ASML wins an EUV order"
# (command, run by the admin?) in a private chat: every command, without, with bad and with good arguments
PRIVATE = [
    "/start", "/help", "/watchlists", "/subscribe", "/subscribe nope", "/subscribe asmx", "/subscribe asml fast",
    "/subscribe asml", "/subscribe chips digest", "/list", "/unsubscribe", "/unsubscribe nope",
    "/unsubscribe chips", "/mode", "/mode digest", "/mode instant", "/tz", "/tz Mars/Base", "/tz Asia/Taipe",
    "/tz Asia/Taipei", "/quiet", "/quiet 25:00-1", "/quiet 22:00-07:00", "/list", "/quiet off", "/pause", "/list",
    "/resume", "/test", "/test nothing to see", f"/test {TEST_TITLE}", "/digest", "/digest at 07:30", "/digest_at", "/digest_at 07:30",
    "/watch", "/watch Huawei", "/watch huawei", "/watch !!!", "/watch AI", "/watch 半導體", "/list", "/unwatch",
    "/unwatch gallium", "/unwatch Huawei", "/mute", "/mute bitcoin", "/mute bitcoin", "/mute source Nope",
    "/mute source feed", "/list", "/unmute", "/unmute gallium", "/unmute all", "/lang", "/lang klingon",
    "/feeds", "/reload", "/stats", "/suggest", "/web", "/unsubscribe all", "/frobnicate now",
]
ADMIN_ONLY = ["/feeds", "/reload", "/stats", "/suggest", "/web"]
GROUP = ["/subscribe asml", "/unsubscribe all", "/mode digest", "/tz UTC", "/quiet off", "/pause", "/resume",
         "/digest_at 08:00", "/watch Huawei", "/unwatch all", "/mute bitcoin", "/unmute all", "/lang en", "/web"]


@pytest.fixture
async def world(tmp_path: Path, api: BotApiDouble, rules_dir: Path) -> AsyncIterator[World]:
    """The usual world, with the web interface configured so that /web is a command."""
    config = dataclasses.replace(make_config(tmp_path, api, rules_dir), http_listen=("127.0.0.1", 9108))
    clock = Clock()
    async with open_app(config, serve=True, clock=clock, pacer=fast_pacer(), poll_timeout=1) as app:
        assert app.telegram is not None
        app.telegram.application.update_processor.per_user = 10_000  # type: ignore[attr-defined]  # a script, not a flood
        await app.telegram.start()
        try:
            yield World(api=api, app=app, clock=clock, config=config, tmp=tmp_path)
        finally:
            await app.telegram.stop()


def line_patterns(lang: str) -> list[re.Pattern[str]]:
    """Every line of every text of ``lang`` as the double shows it (tags removed), placeholders filled with
    anything; /help's lines too. Lines that are only placeholders are left out: they would pass anything."""
    texts = list(CATALOG[lang].values())
    texts += [f"/{key.removeprefix('cmd.')} {text}" for key, text in CATALOG[lang].items() if key.startswith("cmd.")]
    patterns = []
    for text in texts:
        for line in re.sub(r"</?\w+[^>]*>", "", text).split("\n"):
            parts = [(re.escape(literal), name) for literal, name, _, _ in Formatter().parse(line)]
            if not re.search(r"[^\x00-\x7f]", "".join(literal for literal, _, _, _ in Formatter().parse(line))):
                continue  # nothing of this language in it: it must not vouch for a line
            patterns.append(re.compile("".join(lit + (".*?" if name is not None else "") for lit, name in parts)))
    return patterns


def leaks(text: str, lang: str, data: list[str]) -> list[str]:
    """The lines of ``text`` that are neither the catalog's nor data."""
    patterns = line_patterns(lang)
    bad = []
    for line in text.split("\n"):
        if not line.strip() or any(p.fullmatch(line) for p in patterns):
            continue
        rest = re.sub(r"https?://\S+", " ", line)  # (first: a login token may hold a data word, "…ZAIw")
        for quoted in sorted(data, key=len, reverse=True):
            rest = rest.replace(quoted, " ")
        rest = re.sub(r"/\w+", " ", rest)
        if re.search(r"[A-Za-z]", rest):
            bad.append(line)
    return bad


async def say(world: World, chat_id: int, user_id: int, text: str, chat_type: str = "private") -> None:
    """A user writes; wait until the bot answered (every scripted command gets at least one reply)."""
    before = len(world.api.sent_messages(chat_id))
    world.api.user_sends(chat_id, user_id, text, chat_type=chat_type, title=f"chat {chat_id}")
    await world.api.wait_for_messages(before + 1, timeout=5, chat_id=chat_id)


async def press(world: World, chat_id: int, user_id: int, message_id: int, data: str) -> None:
    query = world.api.user_presses(chat_id, user_id, message_id, data)
    await eventually(lambda: any(a.get("callback_query_id") == query for a in world.api.answers), "the answer")


@pytest.mark.parametrize(("code", "lang"), [("zh-TW", "zh-hant"), ("zh-hans", "zh-hans")])
async def test_every_reply_comes_from_the_catalog_in_the_users_language(world: World, code: str, lang: str) -> None:
    user, member, group = 21, 23, -300
    for uid in (user, member, ADMIN):
        world.api.add_user(uid)["language_code"] = code
    scripted = {c.split()[0].removeprefix("/") for c in [*PRIVATE, *GROUP]}
    assert sorted(MENU - scripted) == [] and "frobnicate" not in MENU  # a new command joins the script

    for command in PRIVATE:
        await say(world, user, user, command)
    for command in [f"/lang {lang}", *ADMIN_ONLY]:  # the service's notices follow the admin's /lang
        await say(world, ADMIN, ADMIN, command)
    for command in GROUP:
        await say(world, group, member, command, chat_type="group")
    await say(world, group, ADMIN, "/web", chat_type="group")  # an admin, but not in a private chat

    listing = next(m for m in world.api.sent_messages(user) if m.buttons and m.buttons[0][1].startswith("sub"))
    for data in ("sub:asml", "unsub:asml", "sub:gone"):
        await press(world, user, user, listing.message_id, data)
    await press(world, group, member, listing.message_id, "sub:asml")  # not an administrator
    await say(world, user, user, f"/lang {lang}")  # what the service sends unasked follows /lang
    follow(world, user, "asml")
    await poll(world, [story(1)])
    alert = next(m for m in world.api.sent_messages(user) if m.buttons and m.buttons[0][0] == "👍")
    for data in (alert.buttons[0][1], alert.buttons[0][1], alert.buttons[1][1], "fb:up:999999", "fb:what"):
        await press(world, user, user, alert.message_id, str(data))
    for command in ("/feeds", "/stats"):  # now with a feed, an outbox and a story
        await say(world, ADMIN, ADMIN, command)
    await world.app.notices.tell("rule:x", lambda la: CATALOG[la]["notice.rule"].format(error="x.yaml: oops"))
    assert world.app.notices is not None
    await world.app.notices.problems(["asml.yaml:3: unknown key 'fuzy' (did you mean 'fuzzy'?)"])

    data = [*RULES, "asml", "chips", "ASML", "Chips", "The Dutch lithography company.", "Semiconductors & fabs.",
            "Huawei", "huawei", "bitcoin", "AI", "feed", "Asia/Taipei", "Asia/Shanghai", "UTC", "asml.yaml",
            "unknown key 'fuzy' (did you mean 'fuzzy'?)", "x.yaml: oops", "telegram", story(1)["title"],
            story(1)["lede"]]
    verdicts = world.rules.matcher.explain({"title": TEST_TITLE, "lede": ""})
    known = {w.id: w for w in world.rules.watchlists}
    data += [line for v in verdicts if v.match for line in explain(v.match, known.get(v.watchlist))]
    data += [d.reason for v in verdicts for d in v.discounted]
    for f in await world.app.status.feeds():  # the use-case's words on polling, quoted as said
        if f.interval_seconds and f.interval_reason:
            data += [Interval(f.interval_seconds, f.interval_reason).every, f.interval_reason]

    replies = [m.text for chat in (user, ADMIN, group) for m in world.api.sent_messages(chat)]  # the alert too
    answers = [str(a.get("text", "")) for a in world.api.answers]
    assert len(replies) > len(PRIVATE) and len(answers) == 9
    found = {text: leaks(text, lang, data) for text in [*replies, *answers] if leaks(text, lang, data)}
    assert found == {}, "\n".join(f"{text[:60]!r} has {lines}" for text, lines in found.items())
    english = {re.sub(r"<[^>]+>", "", v) for v in CATALOG["en"].values()}
    assert [text for text in [*replies, *answers] if text in english] == []


def test_the_check_catches_an_english_reply() -> None:
    """The checker itself: an English sentence fails it, a catalog line or quoted data passes."""
    assert leaks("Alerts paused. /resume to get them again.", "zh-hant", []) != []
    assert leaks("Hello there", "zh-hans", []) != []
    assert leaks(CATALOG["zh-hant"]["pause.done"], "zh-hant", []) == []
    assert leaks("• asml ASML ✅ 即時推播", "zh-hant", ["asml", "ASML"]) == []
    assert leaks("• asml ASML ✅ instant", "zh-hant", ["asml", "ASML"]) != []
