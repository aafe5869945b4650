"""Telegram digests: pages split between items at 4,096 UTF-16 units, and sending to the Bot API double."""

from __future__ import annotations

import html
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot
from telegram.error import NetworkError

from bot.app.chats import chat_key
from bot.app.digests import DigestService
from bot.config import Config, PollConfig, TelegramConfig
from bot.deliver.telegram import TelegramSender, classify
from bot.digest.build import PendingMatch, build_digest
from bot.digest.pages import pages
from bot.markup import rendered_len
from bot.store.sqlite import SqliteStore
from tests.doubles.botapi import BotApiDouble
from tests.worlds import seed

NOW = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)
TITLES = ["阿斯麦：对华出口光刻机须获荷兰许可，新规即日生效", "ASML says export curbs will hit 2026 sales 🚫📉",
          "Chips <b>&</b> \"quotes\" 𝕏 and emoji 😀😀😀", "荷兰扩大对华半导体设备出口管制范围"]


def big_digest(n: int = 150, title_len: int = 1):
    pending = [PendingMatch(i, f"id{i:03d}", ("asml", "export-controls", "semiconductors")[i % 3], NOW,
                            TITLES[i % 4] * title_len + f" #{i}", f"https://news.example/{i}?a=1&b=2", "",
                            NOW - timedelta(minutes=i), ("RFI 中文", "BBC 中文", "DW", "Reuters", "AP", "VOA"))
               for i in range(n)]
    d = build_digest("chat:1", pending, watchlists=["asml", "export-controls", "semiconductors"],
                     zone="Asia/Shanghai", now=NOW)
    assert d is not None
    return d


@pytest.mark.parametrize(("n", "title_len"), [(1, 1), (40, 1), (150, 1), (60, 3)])
def test_pages_fit_and_split_only_between_items(n: int, title_len: int) -> None:
    d = big_digest(n, title_len)
    ps = pages(d)
    assert all(rendered_len(p.text) <= 4096 for p in ps)
    # every item is on exactly one page, whole: its title and its meta line together
    for section in d.sections:
        for item in section.items:
            holders = [p for p in ps if f">{html.escape(item.title)}</a>" in p.text]
            assert len(holders) == 1
            assert set(item.match_ids) <= set(holders[0].match_ids)
    assert sorted(i for p in ps for i in p.match_ids) == sorted(d.match_ids)
    # a page ends only where the next item would not have fitted
    for a, b in zip(ps, ps[1:], strict=False):
        first_block = b.text.split("\n\n")[2]  # after "continued" and the repeated section heading
        assert rendered_len(a.text + "\n\n" + first_block) > 4096
        assert "continued" in b.text
    if n == 150:
        assert len(ps) > 3


def test_a_digest_of_one_watchlist_has_no_contents_line() -> None:
    """"Chips 120" then at once the heading "Chips (120)": a contents line is for digests of several watchlists."""
    several = pages(big_digest(6))[0].text.splitlines()
    assert "asml 2 · export-controls 2 · semiconductors 2" in several
    pending = [PendingMatch(i, f"id{i}", "asml", NOW, f"Story {i}", None, "", NOW, ("DW",)) for i in range(3)]
    one = build_digest("chat:1", pending, watchlists=["asml"], zone="UTC", now=NOW)
    assert one is not None
    text = pages(one)[0].text
    assert "asml 3" not in text and "<b>asml</b> (3)" in text


def test_page_text_is_escaped_html() -> None:
    d = big_digest(4)
    [page] = pages(d)
    assert "Chips &lt;b&gt;&amp;&lt;/b&gt; &quot;quotes&quot;" in page.text
    assert 'href="https://news.example/2?a=1&amp;b=2"' in page.text
    assert "also in BBC 中文, DW, Reuters, AP and 1 more" in page.text
    assert "times in Asia/Shanghai (UTC+08:00)" in page.text  # (CST is also US Central time)


def test_an_item_of_another_day_shows_its_date_and_of_another_year_its_year() -> None:
    """Times in the chat's zone: the same day as the digest only the time, another day the date, and an item
    of another year (backdated) the year too, so that it never passes for this year's news."""
    when = {"today": NOW, "yesterday": NOW - timedelta(days=1), "old": datetime(2025, 8, 21, 9, 3, tzinfo=UTC)}
    pending = [PendingMatch(i, f"id{i}", "asml", NOW, f"Story {name}", f"https://news.example/{i}", "", at, ("DW",))
               for i, (name, at) in enumerate(when.items())]
    d = build_digest("chat:1", pending, watchlists=["asml"], zone="Asia/Shanghai", now=NOW + timedelta(hours=1))
    assert d is not None
    [page] = pages(d)
    assert "DW · 08:00" in page.text and "DW · 03-26 08:00" in page.text and "DW · 2025-08-21 17:03" in page.text


# --- with the Bot API double ----------------------------------------------------------------------------


@pytest.fixture
async def bot(api: BotApiDouble) -> AsyncIterator[TelegramSender]:
    b = Bot(api.token, base_url=api.url + "/bot")
    async with b:
        yield TelegramSender(b)


class FailingPage(TelegramSender):
    """The real sender, except that one send fails as a dropped connection would."""

    def __init__(self, sender: TelegramSender, fail_at: int) -> None:
        super().__init__(sender.bot)
        self.fail_at, self.calls = fail_at, 0

    async def post(self, chat_id: int, text: str, markup: Any = None) -> int:
        self.calls += 1
        if self.calls == self.fail_at:
            raise classify(NetworkError("connection reset"), str(chat_id))
        return await super().post(chat_id, text, markup)


def config() -> Config:
    return Config(storage_url="sqlite:///x.db", rules_path=Path("rules"), poll=PollConfig(), feeds=(),
                  telegram=TelegramConfig(token="t", digest_at="08:00"))


def digest_chat(store: SqliteStore, chat_id: int, *, since: datetime, watchlists: tuple[str, ...] = ("asml",),
                tz: str = "Europe/Amsterdam") -> None:
    chats = store.chats
    chats.ensure(chat_id, type="private", title="Ann", now=since)
    chats.update(chat_id, tz=tz, now=since)
    for w in watchlists:
        chats.subscribe(chat_id, w, "digest", now=since)


async def test_chat_digest_arrives_and_collects_from_the_switch_on(store: SqliteStore, api: BotApiDouble,
                                                                    bot: TelegramSender) -> None:
    seed(store, "before", watchlists=["asml"], at=NOW - timedelta(hours=3))
    digest_chat(store, 42, since=NOW - timedelta(hours=2))
    seed(store, "after", watchlists=["asml"], at=NOW - timedelta(hours=1), title="ASML <news> & more",
         feeds=("RFI 中文", "BBC 中文"))
    seed(store, "elsewhere", watchlists=["semiconductors"], at=NOW - timedelta(hours=1))
    svc = DigestService(config(), store, lambda: NOW, bot=bot)
    report = await svc.send_chat_digest(42, NOW)
    assert report.sent == [chat_key(42)]
    [msg] = api.sent_messages(42)
    assert "ASML <news> & more" in msg.text and "also in BBC 中文" in msg.text
    assert "story before" not in msg.text and "story elsewhere" not in msg.text
    assert "times in Europe/Amsterdam (CET, UTC+01:00)" in msg.text
    assert (await svc.send_chat_digest(42, NOW + timedelta(minutes=5))).nothing
    assert len(api.sent_messages(42)) == 1


async def test_a_failed_page_keeps_the_rest_pending_without_repeating_the_sent_pages(
        store: SqliteStore, api: BotApiDouble, bot: TelegramSender) -> None:
    digest_chat(store, 7, since=NOW - timedelta(days=1), watchlists=("asml", "export-controls"))
    for i in range(120):
        seed(store, f"s{i:03d}", watchlists=["asml" if i % 2 else "export-controls"], at=NOW - timedelta(minutes=i),
             title=f"{TITLES[i % 4]} #{i:03d}", feeds=("RFI 中文", "BBC 中文", "DW"))
    flaky = FailingPage(bot, fail_at=2)
    svc = DigestService(config(), store, lambda: NOW, bot=flaky)
    report = await svc.send_chat_digest(7, NOW)
    assert report.retry == [chat_key(7)]
    first = api.sent_messages(7)
    assert len(first) == 1
    state = store.digests.recipient(chat_key(7))
    assert state is not None and state.next_attempt_at is not None and "connection reset" in (state.last_error or "")

    later = state.next_attempt_at
    assert (await svc.retry_due(later)).sent == [chat_key(7)]
    texts = [m.text for m in api.sent_messages(7)]
    assert len(texts) >= 3
    for i in range(120):  # every story arrived exactly once
        assert sum(t.count(f"#{i:03d}") for t in texts) == 1, i
    assert (await svc.send_chat_digest(7, later + timedelta(minutes=1))).nothing


async def test_blocked_chat_is_a_dead_letter(store: SqliteStore, api: BotApiDouble, bot: TelegramSender) -> None:
    digest_chat(store, 9, since=NOW - timedelta(days=1))
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=1))
    api.block(9)
    svc = DigestService(config(), store, lambda: NOW, bot=bot)
    report = await svc.send_chat_digest(9, NOW)
    assert report.dead == [chat_key(9)]
    [letter] = store.digests.dead_letters(chat_key(9))
    assert letter.stories == 1


# --- /digest and /digest_at through the Telegram service ------------------------------------------------


async def test_digest_commands_through_the_bot(store: SqliteStore, api: BotApiDouble) -> None:
    from bot.app.build import open_app
    from bot.shipped import shipped_path
    from bot.telegram.digest_commands import COMMANDS

    cfg = Config(storage_url="sqlite:///x.db", rules_path=shipped_path("rules"), poll=PollConfig(), feeds=(),
                 telegram=TelegramConfig(token=api.token, api_url=api.url, digest_at="08:00"))
    digest_chat(store, 42, since=NOW - timedelta(hours=2))
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=1), title="ASML 阿斯麦 news")
    async with open_app(cfg, serve=True, clock=lambda: NOW, store=store, poll_timeout=1) as app:
        tg, svc = app.telegram, app.digests
        assert tg is not None and svc is not None
        await tg.start()
        try:
            assert {"command": "digest", "description": COMMANDS[0][1]} in api.commands()
            api.user_sends(42, 42, "/digest")
            [msg] = await api.wait_for_messages(1, timeout=10, chat_id=42)
            assert "ASML 阿斯麦 news" in msg.text
            api.user_sends(42, 42, "/digest")
            [_, again] = await api.wait_for_messages(2, timeout=10, chat_id=42)
            assert again.text == "Nothing pending: no new stories since the last digest. The next one comes at 08:00 (Europe/Amsterdam)."
            api.user_sends(42, 42, "/digest_at 6:45")
            [*_, done] = await api.wait_for_messages(3, timeout=10, chat_id=42)
            assert done.text.startswith("Daily digest at 06:45 (Europe/Amsterdam")
            assert await svc.chat_digest_at(42) == "06:45"
            api.user_sends(42, 42, "/digest_at soon")
            [*_, usage] = await api.wait_for_messages(4, timeout=10, chat_id=42)
            assert usage.text.startswith("Usage: /digest_at HH:MM")
            api.user_sends(42, 42, "/digest_at 01:00")  # (it is 01:30 in Amsterdam: today's time has passed)
            await api.wait_for_messages(5, timeout=10, chat_id=42)
            api.user_sends(42, 42, "/digest")
            [*_, tomorrow] = await api.wait_for_messages(6, timeout=10, chat_id=42)
            assert tomorrow.text.endswith("The next one comes tomorrow at 01:00 (Europe/Amsterdam).")
        finally:
            await tg.stop()


async def test_a_paused_chat_gets_its_digest_only_when_it_asks(store: SqliteStore, api: BotApiDouble,
                                                                bot: TelegramSender) -> None:
    digest_chat(store, 5, since=NOW - timedelta(days=1))
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=1))
    store.chats.update(5, paused=True, now=NOW)
    svc = DigestService(config(), store, lambda: NOW, bot=bot)
    assert (await svc.send_chat_digest(5, NOW)).nothing and api.sent_messages(5) == []
    assert (await svc.send_chat_digest(5, NOW, manual=True)).sent
    assert "story a" in api.sent_messages(5)[0].text


async def test_a_group_that_became_a_supergroup_gets_its_digest_at_the_new_id(store: SqliteStore, api: BotApiDouble,
                                                                               bot: TelegramSender) -> None:
    digest_chat(store, -100, since=NOW - timedelta(days=1))
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=1))
    api.migrate(-100, -100200)
    svc = DigestService(config(), store, lambda: NOW, bot=bot)
    report = await svc.send_chat_digest(-100, NOW)
    assert report.sent == [chat_key(-100200)]
    assert "story a" in api.sent_messages(-100200)[0].text
    assert store.digests.recipient(chat_key(-100)) is None
    assert [c.chat_id for c in store.chats.digest_chats()] == [-100200]
    assert (await svc.send_chat_digest(-100200, NOW + timedelta(minutes=1))).nothing


async def test_status_lists_digest_chats_with_pending_and_schedule(store: SqliteStore, bot: TelegramSender) -> None:
    digest_chat(store, 11, since=NOW - timedelta(days=1))
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=1))
    seed(store, "b", watchlists=["asml"], at=NOW - timedelta(hours=2))
    store.chats.update(11, digest_at="07:15", now=NOW)
    svc = DigestService(config(), store, lambda: NOW, bot=bot)
    [row] = await svc.status(NOW)
    assert (row.key, row.channel, row.pending, row.schedule) == (chat_key(11), "telegram", 2, "07:15 Europe/Amsterdam")
    assert row.label == "chat 11 (Ann)" and row.last_sent_at is None
    await svc.send_chat_digest(11, NOW)
    [row] = await svc.status(NOW)
    assert row.pending == 0 and row.last_sent_at == NOW


def test_a_chats_digest_speaks_its_language_around_the_feed_text() -> None:
    for lang, words in (("zh-hant", ["則新聞", "時間以 Asia/Shanghai", "也見於 BBC 中文、DW、Reuters、AP，另有 1 家", "（續）"]),
                        ("zh-hans", ["条新闻", "时间按 Asia/Shanghai", "也见于 BBC 中文、DW、Reuters、AP，另有 1 家", "（续）"])):
        ps = pages(big_digest(150), lang=lang)
        text = "\n".join(p.text for p in ps)
        assert all(w in text for w in words), lang
        assert not any(w in text for w in ("Digest ", "continued", "also in", "times in", "stories")), lang
        assert "ASML says export curbs will hit 2026 sales" in text  # feed text is never translated
