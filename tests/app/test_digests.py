"""DigestService with email: pending per recipient, nothing lost on failures, dead letters, identity."""

from __future__ import annotations

import contextlib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.digest_preview import DigestPreviews
from bot.app.digests import DigestService, email_key
from bot.config import Config, EmailConfig, EmailDigestConfig, PollConfig
from bot.deliver.email import SmtpSender
from bot.store.sqlite import SqliteStore
from tests.doubles.smtp import SmtpServer, closed_port
from tests.worlds import seed

NOW = datetime(2026, 3, 27, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


def make_config(port: int, *digests: EmailDigestConfig, send_empty: bool = False) -> Config:
    email = EmailConfig(host="127.0.0.1", port=port, security="none", sender="Watchbot <alerts@example.com>",
                        send_empty=send_empty, digests=digests)
    return Config(storage_url="sqlite:///x.db", rules_path=Path("rules"), poll=PollConfig(), feeds=(), email=email)


ANALYST = EmailDigestConfig(to=("analyst@example.com",), watchlists=("asml", "export-controls"), at="08:00",
                            timezone="Asia/Shanghai")


def service(store: SqliteStore, port: int, *digests: EmailDigestConfig, **kw: object) -> DigestService:
    config = make_config(port, *(digests or (ANALYST,)), **kw)  # type: ignore[arg-type]
    assert config.email is not None
    return DigestService(config, store, lambda: NOW, smtp=SmtpSender(config.email, timeout=2),
                         names=lambda: {"asml": "ASML", "export-controls": "Export controls"})


def titles(server: SmtpServer, i: int = -1) -> str:
    body = server.messages[i].message.get_body(("plain",))
    assert body is not None
    return str(body.get_content())


async def test_first_digest_holds_the_last_24_hours_of_its_watchlists(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "old", watchlists=["asml"], at=NOW - timedelta(hours=30))
    seed(store, "fresh", watchlists=["asml"], at=NOW - timedelta(hours=2), feeds=("RFI 中文", "BBC 中文"))
    seed(store, "ec", watchlists=["export-controls"], at=NOW - timedelta(hours=1))
    seed(store, "other", watchlists=["semiconductors"], at=NOW - timedelta(hours=1))
    report = await service(store, smtp.port).send_email_digests(NOW)
    assert report.sent == [email_key("analyst@example.com", ["asml", "export-controls"])] and report.ok
    text = titles(smtp)
    assert "story fresh" in text and "story ec" in text
    assert "story old" not in text and "story other" not in text
    assert "also in: BBC 中文" in text
    assert smtp.messages[0].message["Subject"] == "Watchbot digest 2026-03-27: 2 stories (ASML 1, Export controls 1)"


async def test_after_a_digest_only_newer_matches_are_pending(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    svc = service(store, smtp.port)
    await svc.send_email_digests(NOW)
    again = await svc.send_email_digests(NOW + timedelta(hours=1))
    assert again.nothing and len(smtp.messages) == 1  # nothing pending: nothing sent
    seed(store, "b", watchlists=["asml"], at=NOW + timedelta(hours=3))
    await svc.send_email_digests(NOW + timedelta(days=1))
    assert len(smtp.messages) == 2
    assert "story b" in titles(smtp) and "story a" not in titles(smtp)


async def test_send_empty_sends_a_digest_without_stories(store: SqliteStore, smtp: SmtpServer) -> None:
    report = await service(store, smtp.port, send_empty=True).send_email_digests(NOW)
    assert len(report.sent) == 1 and "No new stories" in titles(smtp)


async def test_refused_keeps_everything_pending_and_the_retry_sends_it(store: SqliteStore) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    key = email_key("analyst@example.com", ["asml", "export-controls"])
    down = service(store, closed_port())
    report = await down.send_email_digests(NOW)
    assert report.retry == [key] and not report.ok and "cannot reach" in report.errors[0]
    state = store.digests.recipient(key)
    assert state is not None and state.failures == 1 and state.last_sent_at is None
    assert state.next_attempt_at is not None and state.next_attempt_at > NOW
    assert (await down.retry_due(NOW)).retry == []  # not due yet

    seed(store, "b", watchlists=["export-controls"], at=NOW + timedelta(minutes=1))  # more arrives meanwhile
    with SmtpServer() as server:
        up = service(store, server.port)
        later = state.next_attempt_at
        report = await up.retry_due(later)
        assert report.sent == [key]
        text = titles(server)
        assert "story a" in text and "story b" in text  # nothing lost
    after = store.digests.recipient(key)
    assert after is not None and after.failures == 0 and after.next_attempt_at is None and after.last_sent_at == later


async def test_backoff_grows_with_each_failure(store: SqliteStore) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    svc = service(store, closed_port())
    key = email_key("analyst@example.com", ["asml", "export-controls"])
    delays = []
    now = NOW
    for _ in range(3):
        await svc.send_email_digests(now)
        state = store.digests.recipient(key)
        assert state is not None and state.next_attempt_at is not None
        delays.append(state.next_attempt_at - now)
        now = state.next_attempt_at
    assert delays[0] < delays[1] < delays[2]


async def test_550_for_one_recipient_is_a_dead_letter_and_the_others_get_theirs(store: SqliteStore,
                                                                               smtp: SmtpServer) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    smtp.reject["gone@example.com"] = "550 5.1.1 No such user"
    team = replace(ANALYST, to=("analyst@example.com", "gone@example.com", "boss@example.com"))
    told: list[str] = []
    svc = service(store, smtp.port, team)
    svc.problem = lambda: told.append("a digest died")  # the admins' notice tick looks then
    report = await svc.send_email_digests(NOW)
    gone = email_key("gone@example.com", team.watchlists)
    assert report.dead == [gone] and len(report.sent) == 2
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["analyst@example.com", "boss@example.com"]
    [letter] = store.digests.dead_letters(gone)
    assert letter.stories == 1 and "550" in letter.error
    assert told == ["a digest died"]
    [unnotified] = store.digests.unnotified_dead()  # what the notice tells the admins once
    assert unnotified.key == gone
    statuses = {s.key: s for s in await svc.status(NOW)}
    assert statuses[gone].dead == 1 and statuses[gone].pending == 0 and "550" in (statuses[gone].last_error or "")
    await svc.send_email_digests(NOW + timedelta(hours=1))
    assert len(told) == 1  # told once


async def test_a_crash_in_a_batch_repeats_none_of_the_digests_the_server_took(store: SqliteStore,
                                                                               smtp: SmtpServer) -> None:
    """The batch's outcomes were recorded once the last message was answered: a kill -9 one second after the first
    recipient's digest was accepted sent it again at the restart (DESIGN.md: digests go out once)."""
    import asyncio

    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    team = replace(ANALYST, to=("k1@example.com", "k2@example.com", "k3@example.com"))
    smtp.hold_after = 1  # (k1's is taken; k2's DATA waits: the process dies then)
    sending = asyncio.create_task(service(store, smtp.port, team).send_email_digests(NOW))
    k1 = email_key("k1@example.com", team.watchlists)
    for _ in range(75):  # (1.5 s: well within the 4 s the sender gives k2's held DATA)
        state = store.digests.recipient(k1)
        if state is not None and state.last_sent_at is not None:
            break
        await asyncio.sleep(0.02)
    else:
        raise AssertionError("k1's digest was not recorded as sent while the batch went on")
    assert not sending.done() and len(smtp.messages) == 1
    sending.cancel()  # (the crash: nothing after this point is recorded)
    with contextlib.suppress(asyncio.CancelledError):
        await sending
    smtp.hold_after = None
    smtp.released.set()
    await service(store, smtp.port, team).send_email_digests(NOW + timedelta(minutes=1))  # (the restart's catch-up)
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["k1@example.com", "k2@example.com", "k3@example.com"]


async def test_two_processes_sending_at_once_mail_each_recipient_once(store: SqliteStore, smtp: SmtpServer) -> None:
    """Two `watchbot digest --send` at once (or one beside the service's schedule) each read the same pending stories
    and mailed every recipient twice: the lock was one process's."""
    import asyncio
    import threading

    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    team = replace(ANALYST, to=("k1@example.com", "k2@example.com"))
    assert store.path is not None
    other = SqliteStore(store.path)  # (another process's opening of the same file)
    smtp.hold_after = 0  # (the first send is slow: the second process comes meanwhile)
    threading.Timer(0.5, smtp.released.set).start()
    try:
        await asyncio.gather(service(store, smtp.port, team).send_email_digests(NOW),
                             service(other, smtp.port, team).send_email_digests(NOW))
    finally:
        other.close()
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["k1@example.com", "k2@example.com"]


async def test_451_then_success_delivers_the_same_stories_once(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    svc = service(store, smtp.port)
    smtp.data_reply = "451 4.3.0 try again later"
    assert (await svc.send_email_digests(NOW)).retry
    smtp.data_reply = None
    assert (await svc.send_email_digests(NOW + timedelta(minutes=5))).sent
    assert (await svc.send_email_digests(NOW + timedelta(minutes=10))).nothing
    assert len(smtp.messages) == 1 and "story a" in titles(smtp)


async def test_an_address_with_other_watchlists_is_another_recipient(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    seed(store, "s", watchlists=["semiconductors"], at=NOW - timedelta(hours=2))
    chips = EmailDigestConfig(to=("analyst@example.com",), watchlists=("semiconductors",), at="09:00")
    svc = service(store, smtp.port, ANALYST, chips)
    assert len(svc.email_recipients()) == 2
    report = await svc.send_email_digests(NOW, entry=1)  # only the second entry's schedule fired
    assert len(report.sent) == 1 and "story s" in titles(smtp) and "story a" not in titles(smtp)
    await svc.send_email_digests(NOW)
    assert len(smtp.messages) == 2 and "story a" in titles(smtp)


async def test_all_watchlists_when_the_entry_names_none(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "s", watchlists=["semiconductors", "asml"], at=NOW - timedelta(hours=2), title="Fab news")
    everything = EmailDigestConfig(to=("all@example.com",), timezone="Europe/Amsterdam")
    await service(store, smtp.port, everything).send_email_digests(NOW)
    text = titles(smtp)
    assert text.count("Fab news") == 1 and "also matched: semiconductors" in text
    assert "Europe/Amsterdam (CET, UTC+01:00)" in text


async def test_the_status_counts_stories_as_the_digest_does(store: SqliteStore, smtp: SmtpServer) -> None:
    """`watchbot digest` said "pending: 9 stories" of 4 stories in 9 reports; the email then said 4."""
    for n in range(3):
        seed(store, f"r{n}", watchlists=["asml"], at=NOW - timedelta(hours=1, minutes=n), title=f"ASML report {n}")
        store.items.set_story(f"r{n}", "one-story")
    [row] = service(store, smtp.port).status_now(NOW)
    assert row.pending == 1


async def test_a_story_alerted_to_a_chat_is_not_listed_again_by_its_digest(store: SqliteStore, smtp: SmtpServer) -> None:
    """Export controls instant, semiconductors in the digest: a story of both was alerted, then listed again."""
    store.chats.ensure(5, type="private", title="Desk", now=NOW - timedelta(days=1))
    store.chats.subscribe(5, "export-controls", "instant", now=NOW - timedelta(days=1))
    store.chats.subscribe(5, "semiconductors", "digest", now=NOW - timedelta(days=1))
    seed(store, "both", watchlists=["export-controls", "semiconductors"], at=NOW - timedelta(hours=1))
    seed(store, "chips", watchlists=["semiconductors"], at=NOW - timedelta(hours=1))
    digests = service(store, smtp.port)

    def pending() -> int:
        return next(r.pending for r in digests.status_now(NOW) if r.label.startswith("chat 5"))

    assert pending() == 2
    store.outbox.enqueue("both", "telegram", "5", ["export-controls"], now=NOW - timedelta(minutes=59))
    assert pending() == 1  # the alert's story reached the chat; the digest lists the other alone


async def test_all_watchlists_are_the_shared_ones_never_a_chats_own_phrases(store: SqliteStore,
                                                                             smtp: SmtpServer) -> None:
    """An email of "all watchlists" listed one Telegram chat's private /watch phrases, its id and its stories."""
    seed(store, "s", watchlists=["asml", "chat:9001"], at=NOW - timedelta(hours=2), title="ASML news")
    seed(store, "p", watchlists=["chat:9001"], at=NOW - timedelta(hours=1), title="Only my phrase")
    everything = EmailDigestConfig(to=("all@example.com",), timezone="Europe/Amsterdam")
    digests = service(store, smtp.port, everything)
    [row] = digests.status_now(NOW)
    assert row.pending == 1
    await digests.send_email_digests(NOW)
    [message] = smtp.messages
    text = titles(smtp)
    assert "ASML news" in text and "Only my phrase" not in text and "9001" not in text
    assert "9001" not in str(message.message["Subject"])
    # the web's preview of it, too, and in the recipient's language
    chinese = replace(everything, language="zh-hans")
    previews = DigestPreviews(service(store, smtp.port, chinese), names=dict, clock=lambda: NOW)
    [r] = previews.recipients()
    seed(store, "q", watchlists=["asml", "chat:9001"], at=NOW - timedelta(minutes=5), title="More ASML news")
    shown = await previews.preview(r.key)
    assert shown is not None and "More ASML news" in shown.text and "9001" not in shown.text + shown.html
    assert shown.subject.startswith("Watchbot 摘要") and "1 条新闻" in shown.text


async def test_a_schedule_and_a_retry_at_once_send_one_digest(store: SqliteStore, smtp: SmtpServer) -> None:
    import asyncio

    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    svc = service(store, smtp.port)
    smtp.data_reply = "451 4.3.0 try again later"
    await svc.send_email_digests(NOW)
    smtp.data_reply = None
    later = NOW + timedelta(hours=2)  # the retry is due and the daily schedule fires together
    await asyncio.gather(svc.send_email_digests(later), svc.retry_due(later))
    assert len(smtp.messages) == 1


async def test_a_recipient_taken_out_of_the_config_is_not_retried_forever(store: SqliteStore) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    await service(store, closed_port()).send_email_digests(NOW)
    key = email_key("analyst@example.com", ["asml", "export-controls"])
    other = EmailDigestConfig(to=("someone@example.com",))
    later = NOW + timedelta(hours=1)
    with SmtpServer() as server:
        await service(store, server.port, other).retry_due(later)
    state = store.digests.recipient(key)
    assert state is not None and state.next_attempt_at is None
    assert store.digests.due_retries(later) == []


async def test_catch_up_sends_the_first_digest_of_a_recipient_an_entry_crashed_before(store: SqliteStore,
                                                                                     smtp: SmtpServer) -> None:
    """The service died amid an entry's sending: its other recipient's first digest was never tried, and the catch-up
    took it for a first start's (which never sends at once): it came a day late."""
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    team = replace(ANALYST, to=("k1@example.com", "k2@example.com"))
    svc = service(store, smtp.port, team)
    k1 = email_key("k1@example.com", team.watchlists)
    await svc.send_email_digests(NOW, keys={k1})  # (k1's went; the process died before k2's was tried)
    report = await svc.catch_up(NOW + timedelta(minutes=20))
    assert report.sent == [email_key("k2@example.com", team.watchlists)]
    assert sorted(m.rcpt_tos[0] for m in smtp.messages) == ["k1@example.com", "k2@example.com"]


async def test_catch_up_after_a_restart_sends_a_missed_digest_once(store: SqliteStore, smtp: SmtpServer) -> None:
    seed(store, "a", watchlists=["asml"], at=NOW - timedelta(hours=2))
    svc = service(store, smtp.port)  # at 08:00 Asia/Shanghai = 00:00 UTC
    assert (await svc.catch_up(NOW + timedelta(minutes=30))).sent == []  # never attempted: a first start waits
    await svc.send_email_digests(NOW)  # the 27 March digest
    seed(store, "b", watchlists=["asml"], at=NOW + timedelta(hours=20))
    down_until = NOW + timedelta(days=1, minutes=20)  # the service was down at 08:00 on 28 March
    assert len((await svc.catch_up(down_until)).sent) == 1
    assert "story b" in titles(smtp)
    assert (await svc.catch_up(down_until + timedelta(minutes=1))).sent == []  # once
    seed(store, "c", watchlists=["asml"], at=NOW + timedelta(days=1, hours=1))
    assert (await svc.catch_up(NOW + timedelta(days=2, hours=7))).sent == []  # missed too long ago: next schedule
