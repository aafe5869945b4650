"""Email digests: the composed message as a mail client parses it, and sending to a real SMTP server."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from bot.config import EmailConfig
from bot.deliver.email import SmtpSender
from bot.digest.build import Digest, PendingMatch, build_digest
from bot.digest.email import compose
from bot.errors import PermanentDeliveryError, TemporaryDeliveryError
from tests.doubles.smtp import RawServer, SmtpServer, TlsCerts, closed_port

NOW = datetime(2026, 3, 27, 0, 30, tzinfo=UTC)
HOSTILE = "Chips <script>alert('x')</script> & \"more\"\r\nBcc: victim@evil.example"


def digest(zone: str = "Asia/Shanghai") -> Digest:
    pending = [
        PendingMatch(1, "a", "asml", NOW, "阿斯麦：对华出口光刻机须获荷兰许可", "https://rfi.example/a",
                     "荷兰政府宣布新规。", NOW - timedelta(hours=2), ("RFI 中文", "BBC 中文", "DW 中文"), ("阿斯麦",)),
        PendingMatch(2, "a", "semiconductors", NOW, "阿斯麦：对华出口光刻机须获荷兰许可", "https://rfi.example/a",
                     "", NOW - timedelta(hours=2), ("RFI 中文",)),
        PendingMatch(3, "b", "semiconductors", NOW, HOSTILE, "https://news.example/b?x=1&y=2", "lede & <b>bold</b>",
                     NOW - timedelta(minutes=10), ("Reuters",)),
    ]
    d = build_digest("r", pending, watchlists=["asml", "semiconductors"], zone=zone, now=NOW,
                     names={"asml": "ASML 阿斯麦", "semiconductors": "Semiconductors"})
    assert d is not None
    return d


def parse(msg: EmailMessage) -> EmailMessage:
    """The message as a client sees it after the wire."""
    return message_from_bytes(msg.as_bytes(policy=policy.SMTP), policy=policy.default)  # type: ignore[return-value]


def parts(msg: EmailMessage) -> tuple[str, str]:
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_multipart_with_both_parts_utf8_headers() -> None:
    msg = parse(compose(digest(), sender="监控机器人 <alerts@example.com>", to="分析师 <a@example.com>", now=NOW))
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == "Watchbot digest 2026-03-27: 2 stories (ASML 阿斯麦 1, Semiconductors 1)"
    assert msg["From"].addresses[0].display_name == "监控机器人"
    assert msg["To"].addresses[0].addr_spec == "a@example.com"
    assert msg["Date"].datetime == NOW
    assert msg["Message-ID"].startswith("<") and msg["Message-ID"].endswith("@example.com>")
    raw = compose(digest(), sender="监控机器人 <alerts@example.com>", to="a@example.com", now=NOW).as_bytes(
        policy=policy.SMTP)
    head = raw.split(b"\r\n\r\n", 1)[0]
    head.decode("ascii")  # every header is 7-bit on the wire (RFC 2047 encoded-words)
    assert b"=?utf-8?" in head


def test_text_and_html_hold_the_same_stories_grouped_with_also_in_and_local_times() -> None:
    text, html = parts(parse(compose(digest(), sender="w@example.com", to="a@example.com", now=NOW)))
    for body in (text, html):
        assert body.index("ASML 阿斯麦") < body.index("阿斯麦：对华出口光刻机须获荷兰许可") < body.index("Chips")
        assert body.count("阿斯麦：对华出口光刻机须获荷兰许可") == 1  # once, though it matched two watchlists
        assert "also in: BBC 中文, DW 中文" in body
        assert "2026-03-27 06:30" in body  # published 22:30 UTC, shown in Asia/Shanghai
        assert "Asia/Shanghai (UTC+08:00)" in body
    assert "https://rfi.example/a" in text
    assert 'href="https://news.example/b?x=1&amp;y=2"' in html


def test_hostile_titles_are_escaped_in_html_and_never_make_headers() -> None:
    sent = compose(digest(), sender="w@example.com", to="a@example.com", now=NOW)
    msg = parse(sent)
    assert msg["Bcc"] is None and "victim" not in str(msg.items())
    assert {k.lower() for k in msg} == {"subject", "from", "to", "date", "message-id", "auto-submitted",
                                        "list-unsubscribe", "list-id", "mime-version", "content-type"}
    assert msg["List-Unsubscribe"] == "<mailto:w@example.com?subject=unsubscribe>"
    # (from the default sender, @localhost, the request would reach nobody: not offered)
    local = parse(compose(digest(), sender="Watchbot <watchbot@localhost>", to="a@example.com", now=NOW))
    assert local["List-Unsubscribe"] is None
    text, html = parts(msg)
    # the footer says how to stop it too (a reader had no word of it), where a reply reaches someone
    assert 'To stop it, reply with "unsubscribe".' in text and "To stop it" in html
    assert "To stop it" not in parts(local)[0]
    assert "<script>" not in html
    assert "Chips &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;more&#34; Bcc: victim@evil.example" in html
    assert "lede &amp; &lt;b&gt;bold&lt;/b&gt;" in html
    assert "Chips <script>alert('x')</script> & \"more\" Bcc: victim@evil.example" in text  # text is text


def test_html_is_mail_client_friendly() -> None:
    _, html = parts(parse(compose(digest(), sender="w@example.com", to="a@example.com", now=NOW)))
    lowered = html.lower()
    assert "<script" not in lowered and "<style" not in lowered and "<link" not in lowered
    assert "<table" in lowered and 'style="' in lowered


@pytest.mark.parametrize(("lang", "subject", "says", "english"), [
    ("zh-hans", "Watchbot 摘要 2026-03-27：2 条新闻（ASML 阿斯麦 1、Semiconductors 1）",
     ["2026年3月27日 星期五", "2 条新闻", "时间均为 Asia/Shanghai", "也见于：BBC 中文、DW 中文", "命中：阿斯麦",
      "由 watchbot 发送给 a@example.com，监控列表：ASML、Chips。"],
     ["also in", "matched", "Times in", "Sent by", "stories", "Friday"]),
    ("zh-hant", "Watchbot 摘要 2026-03-27：2 則新聞（ASML 阿斯麦 1、Semiconductors 1）",
     ["2026年3月27日 星期五", "2 則新聞", "時間均為 Asia/Shanghai", "也見於：BBC 中文、DW 中文", "符合：阿斯麦",
      "由 watchbot 寄給 a@example.com，監控清單：ASML、Chips。"],
     ["also in", "matched", "Times in", "Sent by", "stories", "Friday"]),
])
def test_an_email_digest_speaks_its_recipients_language_around_the_stories(lang: str, subject: str, says: list[str],
                                                                          english: list[str]) -> None:
    """[[email.digests]] language: a Chinese desk's digest said "WATCHBOT DIGEST", "Friday, 27 March 2026",
    "also in", "matched" around its Chinese stories. The stories themselves are never translated."""
    msg = parse(compose(digest(), sender="w@example.com", to="a@example.com", now=NOW, watchlists=["ASML", "Chips"],
                        lang=lang))
    assert msg["Subject"] == subject
    text, html = parts(msg)
    assert f'<html lang="{lang}">' in html
    for body in (text, html):
        assert all(part in body for part in says), [part for part in says if part not in body]
        assert not any(word in body for word in english), [word for word in english if word in body]
        assert "阿斯麦：对华出口光刻机须获荷兰许可" in body and "Chips &lt;script&gt;" in html  # feed text as it came


def test_empty_digest_says_so() -> None:
    d = build_digest("r", [], watchlists=["asml"], zone="UTC", now=NOW, send_empty=True)
    assert d is not None
    text, html = parts(parse(compose(d, sender="w@example.com", to="a@example.com", now=NOW)))
    assert "No new stories" in text and "No new stories" in html


# --- sending ---------------------------------------------------------------------------------------------


def config(server: SmtpServer | RawServer | None, *, security: str = "none", port: int | None = None,
           username: str | None = None, password: str | None = None) -> EmailConfig:
    return EmailConfig(host="127.0.0.1", port=port or (server.port if server else closed_port()), security=security,
                       username=username, password=password, sender="监控机器人 <alerts@example.com>")


def messages(*to: str) -> list[EmailMessage]:
    return [compose(digest(), sender="监控机器人 <alerts@example.com>", to=t, now=NOW) for t in to]


async def test_plain_send_arrives_intact(smtp: SmtpServer) -> None:
    results = await SmtpSender(config(smtp), timeout=5).send(messages("a@example.com", "b@example.com"))
    assert results == [None, None]
    assert [m.rcpt_tos for m in smtp.messages] == [("a@example.com",), ("b@example.com",)]
    got = smtp.messages[0]
    assert got.mail_from == "alerts@example.com" and not got.tls
    assert got.message["Subject"] == "Watchbot digest 2026-03-27: 2 stories (ASML 阿斯麦 1, Semiconductors 1)"
    assert "阿斯麦：对华出口光刻机须获荷兰许可" in parts(got.message)[1]


@pytest.mark.parametrize("security", ["starttls", "ssl"])
async def test_tls_with_auth(security: str, certs: TlsCerts) -> None:
    with SmtpServer(tls=security, certs=certs, auth=("digest", "s3cret")) as server:
        sender = SmtpSender(config(server, security=security, username="digest", password="s3cret"),
                            timeout=5, tls_context=certs.client_context())
        assert await sender.send(messages("a@example.com")) == [None]
    assert server.messages[0].tls and server.messages[0].login == "digest"


async def test_wrong_password_is_temporary_and_names_the_keys(certs: TlsCerts) -> None:
    with SmtpServer(tls="starttls", certs=certs, auth=("digest", "s3cret")) as server:
        sender = SmtpSender(config(server, security="starttls", username="digest", password="wrong"),
                            timeout=5, tls_context=certs.client_context())
        [error] = await sender.send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError)
    assert "email.username" in error.reason and "wrong" not in str(error)
    assert server.messages == []


async def test_starttls_required_but_not_configured_is_temporary(certs: TlsCerts) -> None:
    with SmtpServer(tls="starttls", certs=certs) as server:
        [error] = await SmtpSender(config(server), timeout=5).send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and server.messages == []
    assert error.reason.endswith('the server wants TLS first: set email.security = "starttls"')  # (not email.from)


async def test_a_login_required_but_not_configured_names_the_login_keys(certs: TlsCerts) -> None:
    with SmtpServer(tls="starttls", certs=certs, auth=("digest", "s3cret")) as server:
        sender = SmtpSender(config(server, security="starttls"), timeout=5, tls_context=certs.client_context())
        [error] = await sender.send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and server.messages == []
    assert error.reason.endswith("the server wants a login first: set email.username and email.password"), error


async def test_tls_at_once_to_a_plain_server_says_which_security_to_use(smtp: SmtpServer) -> None:
    [error] = await SmtpSender(config(smtp, security="ssl"), timeout=5).send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and "[SSL:" not in error.reason
    assert 'the server does not speak TLS at once on this port: security = "starttls"' in error.reason, error


async def test_plain_to_a_tls_port_says_it_waits_for_tls(certs: TlsCerts) -> None:
    with SmtpServer(tls="ssl", certs=certs) as server:
        [error] = await SmtpSender(config(server, security="starttls"), timeout=0.5).send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and "no answer" in error.reason
    assert error.reason.endswith('says nothing until then: security = "ssl"'), error


async def test_untrusted_certificate_is_temporary(certs: TlsCerts) -> None:
    with SmtpServer(tls="ssl", certs=certs) as server:  # the client does not trust the test CA
        [error] = await SmtpSender(config(server, security="ssl"), timeout=5).send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and server.messages == []
    assert "this machine does not trust the server's certificate (a private CA" in error.reason, error


async def test_refused_is_temporary_for_every_message() -> None:
    results = await SmtpSender(config(None), timeout=5).send(messages("a@example.com", "b@example.com"))
    assert all(isinstance(r, TemporaryDeliveryError) for r in results) and len(results) == 2
    assert "cannot reach" in results[0].reason  # type: ignore[union-attr]


async def test_421_greeting_is_temporary() -> None:
    with RawServer(b"421 4.3.2 Service not available, closing channel\r\n") as server:
        [error] = await SmtpSender(config(server), timeout=5).send(messages("a@example.com"))
    assert isinstance(error, TemporaryDeliveryError) and "421" in error.reason


async def test_451_at_data_is_temporary(smtp: SmtpServer) -> None:
    smtp.data_reply = "451 4.3.0 Local error, try again"
    results = await SmtpSender(config(smtp), timeout=5).send(messages("a@example.com", "b@example.com"))
    assert all(isinstance(r, TemporaryDeliveryError) and "451" in r.reason for r in results)
    assert smtp.messages == []


async def test_550_for_one_recipient_is_permanent_and_does_not_block_the_others(smtp: SmtpServer) -> None:
    smtp.reject["gone@example.com"] = "550 5.1.1 No such user"
    results = await SmtpSender(config(smtp), timeout=5).send(
        messages("a@example.com", "gone@example.com", "b@example.com"))
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], PermanentDeliveryError) and "550" in results[1].reason
    assert [m.rcpt_tos for m in smtp.messages] == [("a@example.com",), ("b@example.com",)]


async def test_450_for_a_recipient_is_temporary(smtp: SmtpServer) -> None:
    smtp.reject["busy@example.com"] = "450 4.2.1 Mailbox busy"
    [error] = await SmtpSender(config(smtp), timeout=5).send(messages("busy@example.com"))
    assert isinstance(error, TemporaryDeliveryError)


async def test_a_server_that_hangs_times_out_as_temporary() -> None:
    with RawServer(None) as server:
        started = asyncio.get_running_loop().time()
        [error] = await SmtpSender(config(server), timeout=0.5).send(messages("a@example.com"))
        elapsed = asyncio.get_running_loop().time() - started
    assert isinstance(error, TemporaryDeliveryError) and "no answer" in error.reason
    assert elapsed < 30  # it ends (a bound, not a speed claim)


def test_long_sections_list_the_rest_as_titles_so_nothing_is_left_out() -> None:
    from bot.digest.email import render

    pending = [PendingMatch(i, f"s{i}", "asml", NOW, f"title number {i:02d}", f"https://n.example/{i}",
                            f"lede of {i:02d}", NOW - timedelta(minutes=i), ("Reuters",)) for i in range(12)]
    d = build_digest("r", pending, watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None
    text, html = render(d, recipient="a@example.com", detail=5)
    for body in (text, html):
        assert "7 more, titles only:" in body
        assert all(f"title number {i:02d}" in body for i in range(12))
        assert "lede of 04" in body and "lede of 05" not in body  # newest five in full
    # a story listed by title names every outlet too (DESIGN.md: each story once with every outlet)
    carried = [replace(p, feeds=("AP News", "Reuters", "NHK")) if p.identity == "s11" else p for p in pending]
    d = build_digest("r", carried, watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None
    text, html = render(d, recipient="a@example.com", detail=5)
    assert "- title number 11 (AP News, Reuters, NHK, 03-27 00:19)" in text
    assert "AP News, Reuters, NHK &middot; 03-27 00:19" in html


def test_the_email_fits_a_phone_whatever_its_titles(tmp_path) -> None:
    """A title that is one long unbroken URL made the email 722 px wide on a 360 px phone (in a real browser); and a
    digest of one watchlist opened with a contents table of that one line."""
    from tests.web.live import launch, require_browser

    require_browser()
    from playwright.sync_api import sync_playwright

    at = datetime(2026, 3, 27, tzinfo=UTC)
    url = "https://www.example.com/very/long/unbroken/path/that/goes/on/and/on/asml-ships-euv-tools-to-tsmc-2026"
    pending = [PendingMatch(1, "a", "asml", at, url, "https://x.example/1", "ASML ships tools.", at, ("Reuters",))]
    digest = build_digest("email:a@x|asml", pending, watchlists=["asml"], zone="Asia/Shanghai", now=at)
    assert digest is not None
    body = compose(digest, sender="w@example.com", to="a@example.com", now=at).get_body(("html",))
    assert body is not None
    assert ">asml</td>" not in body.get_content()  # (the contents table's cell)
    page_file = tmp_path / "digest.html"
    page_file.write_text(body.get_content(), encoding="utf-8")
    with sync_playwright() as p:
        browser = launch(p)
        try:
            page = browser.new_page(viewport={"width": 360, "height": 700})
            page.goto(page_file.as_uri())
            assert page.evaluate("document.documentElement.scrollWidth") <= 360
            assert page.evaluate("document.querySelectorAll('td').length") > 0
        finally:
            browser.close()


def test_the_text_part_wraps_chinese_ledes_too() -> None:
    """Jinja's wordwrap breaks at spaces only: a Chinese lede was one line of 140 columns in the plain-text part."""
    from bot.digest.email import display_width, render, wrap

    lede = "荷兰政府吊销了阿斯麦部分尖端芯片制造机的运输许可证，这将影响少数中国客户。" * 3
    assert all(display_width(line) <= 40 for line in wrap(lede, 40).splitlines())
    assert wrap(lede, 40).replace("\n", "") == lede  # (nothing lost, no space put between Chinese characters)
    assert wrap("export controls on ASML widened", 20) == "export controls on\nASML widened"
    pending = [PendingMatch(1, "s1", "asml", NOW, "阿斯麦对华出货受阻", "https://n.example/1", lede, NOW, ("RFI 中文",))]
    d = build_digest("r", pending, watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None
    text, _ = render(d, recipient="a@example.com")
    assert max(display_width(line) for line in text.splitlines()) <= 76
