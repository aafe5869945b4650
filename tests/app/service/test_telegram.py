"""The real service with Telegram (the Bot API double) and email (aiosmtpd): subscribe, alert, dedupe,
admin notices, `watchbot digest --send`, and kill -9 in the middle of sending."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator

import pytest

from tests.app.service.conftest import Workdir
from tests.app.service.proc import REPO
from tests.doubles.botapi import DEFAULT_TOKEN, BotApiDouble
from tests.doubles.feedserver import FeedServer, rss
from tests.doubles.smtp import SmtpServer

ADMIN = 9001
CHAT = 5001
EUV = ("ASML ships its newest EUV machine", "https://news.example/euv")
EUV_TRACKED = ("ASML ships its newest EUV machine", "https://NEWS.example/euv?utm_source=rss&fbclid=x#top")
SENTINEL = ("Semiconductor sentinel story", "https://other.example/sentinel")
WEATHER = ("Sunny weekend ahead", "https://other.example/weather")
LEDE = "The lede of the story."


@pytest.fixture
def api() -> Iterator[BotApiDouble]:
    with BotApiDouble() as double:
        yield double


def telegram_config(api: BotApiDouble, smtp: SmtpServer | None = None) -> str:
    text = f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\nadmins = [{ADMIN}]\n'
    if smtp is not None:
        text += (f'[email]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\n'
                 'from = "Watchbot <alerts@example.com>"\n'
                 '[[email.digests]]\nto = ["analyst@example.com"]\nat = "08:00"\ntimezone = "Asia/Shanghai"\n')
    return text


def texts(api: BotApiDouble, chat_id: int) -> list[str]:
    return [m.text for m in api.sent_messages(chat_id)]


def test_subscribe_alert_dedupe_digest_and_stop(work: Workdir, feeds: FeedServer, api: BotApiDouble) -> None:
    a = feeds.feed("/a.xml", rss([WEATHER], title="Alpha"))
    b = feeds.feed("/b.xml", rss([WEATHER], title="Beta"))
    broken = feeds.status("/broken.xml", 500)
    (work.rules / "typo.yaml").write_text("id: typo\nany: [gallium]\nfuzy: 80\n", encoding="utf-8")
    with SmtpServer() as smtp:
        config = work.config([(a, "Alpha"), (b, "Beta"), (broken, "Broken")], extra=telegram_config(api, smtp))
        with work.service() as svc:
            svc.wait_for(lambda: "telegram: polling for updates" in svc.stderr_text(), "the bot polling")
            assert "alerts to telegram; email digests for 1 recipient" in svc.stderr_text().splitlines()[0]

            api.user_sends(CHAT, CHAT, "/subscribe asml")
            svc.wait_for(lambda: texts(api, CHAT), "the /subscribe reply")
            api.user_sends(CHAT, CHAT, "/digest")  # the digest part's handlers are wired in
            svc.wait_for(lambda: any("Nothing pending" in t for t in texts(api, CHAT)), "the /digest reply")

            feeds.update("/a.xml", rss([WEATHER, EUV], title="Alpha", description=LEDE))
            svc.wait_for(lambda: any(EUV[0] in t for t in texts(api, CHAT)), "the alert in the chat")

            # The same story with tracking parameters in another feed is not sent again.
            api.user_sends(CHAT, CHAT, "/subscribe chips")
            feeds.update("/b.xml", rss([WEATHER, EUV_TRACKED, SENTINEL], title="Beta", description=LEDE))
            svc.wait_for(lambda: any(SENTINEL[0] in t for t in texts(api, CHAT)), "the sentinel alert")
            assert sum(t.count(EUV[0]) for t in texts(api, CHAT)) == 1, texts(api, CHAT)
            assert not any(WEATHER[0] in t for t in texts(api, CHAT))

            # A feed failing again and again, and a broken rule file, are told to the admin, once each.
            svc.wait_for(lambda: any("Broken" in t and "failed" in t for t in texts(api, ADMIN)),
                         "the admin notice about the broken feed", timeout=45)
            svc.wait_for(lambda: any("typo.yaml" in t for t in texts(api, ADMIN)), "the notice about the rule file")

            # The email digest, sent by the CLI next to the running service, holds both parts.
            done = subprocess.run([sys.executable, "-m", "bot", "digest", "--send", "--config", str(config)],
                                  cwd=work.path, env={**os.environ, "PYTHONPATH": str(REPO)},
                                  capture_output=True, text=True, timeout=60)
            assert done.returncode == 0, done.stderr
            [mail] = smtp.to("analyst@example.com")
            plain = mail.message.get_body(("plain",))
            rich = mail.message.get_body(("html",))
            assert plain is not None and rich is not None
            for part in (plain.get_content(), rich.get_content()):
                assert EUV[0] in part and SENTINEL[0] in part

            assert svc.terminate() == 0
    assert sum(1 for t in texts(api, ADMIN) if "Broken" in t) == 1
    assert sum(1 for t in texts(api, ADMIN) if "typo.yaml" in t) == 1
    assert svc.stderr_text().rstrip().endswith("stopped")


def test_kill_9_while_sending_to_chats(work: Workdir, feeds: FeedServer, api: BotApiDouble) -> None:
    chats = [7001 + i for i in range(5)]
    items = [(f"Chip story {i:02d} " + "with a longer headline about fabs " * 3, f"https://news.example/c/{i}")
             for i in range(24)]
    url = feeds.feed("/a.xml", rss([], title="Alpha"))
    work.config([(url, "Alpha")], extra=telegram_config(api))

    with work.service() as first:
        first.wait_for(lambda: "telegram: polling for updates" in first.stderr_text(), "the bot polling")
        for chat in chats:
            api.user_sends(chat, chat, "/subscribe chips")
        first.wait_for(lambda: all(texts(api, c) for c in chats), "every /subscribe answered")
        replies = len(api.sent_messages())
        feeds.update("/a.xml", rss(items, title="Alpha", description="A lede about a chip fab. " * 8))
        first.wait_for(lambda: len(api.sent_messages()) > replies, "the first alert message")
        first.kill9()
    in_flight = Counter(str(t) for (t,) in work.query("SELECT target FROM outbox WHERE state = 'sending'"))
    assert in_flight, "the kill came after every send; nothing was cut off"
    before = len(api.sent_messages())

    # SIGTERM in the middle of sending: sends in flight finish or go back to pending, nothing stays claimed.
    with work.service() as second:
        second.wait_for(lambda: len(api.sent_messages()) > before, "a message after the restart")
        assert second.terminate() == 0, second.output()
    assert "sending" not in work.outbox(), work.outbox()

    with work.service() as third:
        third.wait_for(lambda: "telegram: polling for updates" in third.stderr_text(), "the bot polling")
        third.wait_for(lambda: work.outbox() == {"sent": len(items) * len(chats)}, "every alert sent", timeout=60)
        assert third.terminate() == 0

    delivered: Counter[tuple[int, str]] = Counter()
    for message in api.sent_messages():
        for title in re.findall(r"Chip story \d\d", message.text):
            delivered[(int(message.chat_id), title)] += 1
    assert set(delivered) == {(c, f"Chip story {i:02d}") for c in chats for i in range(len(items))}
    repeated = [pair for pair, n in delivered.items() if n > 1]
    assert all(str(chat) in in_flight for chat, _ in repeated)  # repeats only where a send was cut off
    repeated_messages = {m.message_id for m in api.sent_messages()[:before]
                         if any((int(m.chat_id), t) in repeated for t in re.findall(r"Chip story \d\d", m.text))}
    assert len(repeated_messages) <= 4  # telegram.concurrency: at most that many messages arrive twice


def test_a_bot_api_out_of_reach_at_start_is_waited_out_while_polling_goes_on(work: Workdir, feeds: FeedServer) -> None:
    """It had stopped the service (exit 1): a reboot before the network was up, five times in five minutes, and
    systemd gave up on it for good. Now it says so in one line, polls, and starts the bot once the Bot API answers."""
    from tests.app.service.proc import free_port

    port = free_port()
    url = feeds.feed("/a.xml", rss([EUV], title="Alpha"))
    work.config([(url, "Alpha")], http=True,
                extra=f'[telegram]\ntoken = "{DEFAULT_TOKEN}"\napi_url = "http://127.0.0.1:{port}"\n')
    with work.service() as svc:
        svc.wait_for(lambda: "polling goes on, alerts wait in the outbox" in svc.stderr_text(), "the one line")
        line = next(x for x in svc.stderr_text().splitlines() if "polling goes on" in x)
        assert f"telegram: cannot reach the Bot API at http://127.0.0.1:{port}" in line and "Traceback" not in line
        svc.wait_for(lambda: feeds.requests_for("/a.xml"), "a poll all the same")
        with BotApiDouble(port=port) as api:
            svc.wait_for(lambda: "the Bot API answers again" in svc.stderr_text(), "the bot to start", timeout=60)
            svc.wait_for(lambda: "telegram: polling for updates" in svc.stderr_text(), "the bot reading updates")
            api.user_sends(5, 5, "/start", chat_type="private")
            svc.wait_for(lambda: api.sent_messages(5), "the bot's answer")
            assert svc.terminate() == 0


def test_a_rejected_token_never_shows(work: Workdir, feeds: FeedServer, api: BotApiDouble) -> None:
    secret = "424242:not-the-doubles-token-SECRET"
    url = feeds.feed("/a.xml", rss([EUV], title="Alpha"))
    work.config([(url, "Alpha")], extra=f'[telegram]\ntoken = "{secret}"\napi_url = "{api.url}"\n')
    with work.service() as svc:
        assert svc.wait_exit() == 1
    error = svc.stderr_text().splitlines()[-1]
    assert error.startswith(f"watchbot: error: telegram: cannot reach the Bot API at {api.url}: ")
    assert secret not in svc.stderr_text() + svc.stdout_text() and "SECRET" not in svc.stderr_text()


def test_phrases_another_process_stores_are_matched_without_a_restart(
        work: Workdir, feeds: FeedServer, api: BotApiDouble) -> None:
    """On a shared store the leader answers /watch and every process polls: a running service takes the phrases and
    mutes another process stored (here the test, writing the store as a leader would) within seconds."""
    from datetime import UTC, datetime

    from bot.store.sqlite import SqliteStore

    a = feeds.feed("/a.xml", rss([WEATHER], title="Alpha"))
    work.config([(a, "Alpha")], extra=telegram_config(api))
    with work.service() as svc:
        svc.wait_for(lambda: "telegram: polling for updates" in svc.stderr_text(), "the bot polling")
        svc.wait_for(lambda: "poll Alpha status=200" in svc.stderr_text(), "the first poll")
        now = datetime.now(UTC)
        other = SqliteStore(work.db)
        try:
            other.chats.ensure(CHAT, type="private", title="c", now=now)
            other.phrases.add(CHAT, "gallium", "gallium", now=now)
            other.chats.subscribe(CHAT, f"chat:{CHAT}", now=now)
            other.phrases.mute(CHAT, "phrase", "bitcoin", "bitcoin", now=now)
        finally:
            other.close()
        svc.wait_for(lambda: "phrases: chats' own phrases or mutes changed" in svc.stderr_text(), "the phrases read")
        feeds.update("/a.xml", rss([WEATHER, ("Gallium exports resume", "https://news.example/ga"),
                                    ("Gallium paid in bitcoin", "https://news.example/btc")], title="Alpha"))
        svc.wait_for(lambda: any("Gallium exports resume" in t for t in texts(api, CHAT)), "the phrase's alert")
        assert svc.terminate() == 0
    assert not any("bitcoin" in t for t in texts(api, CHAT))  # muted there, and here too
