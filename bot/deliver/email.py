"""Email digests: compose a multipart message from a Digest (pure), send messages over SMTP (IO).

Composing uses the standard library's email package (policy.default: RFC 2047 encoded-words for
Chinese subjects and names, no header may hold CR or LF) and Jinja2 templates with autoescaping
for the HTML part. Every header is built from our own values; feed text only reaches the bodies.

Sending is a thin aiosmtplib adapter: one connection per batch, none / starttls / ssl, AUTH when a
username is configured. ``smtp_error`` is the one place that tells temporary failures (refused,
timeouts, 4xx such as 421 and 451, bad credentials) from permanent ones (a 5xx for the recipient
or for the message), so that a digest is buried only when retrying cannot help.
"""

from __future__ import annotations

import asyncio
import ssl
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache
from typing import Protocol

import aiosmtplib
import jinja2

from bot.config import EmailConfig
from bot.digest import Digest, one_line
from bot.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError

BRAND = "Watchbot digest"
DETAIL = 20  # stories per watchlist shown with lede and matched terms; the rest as titles only


def display_width(text: str) -> int:
    """Columns a monospace terminal or mail client gives ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.deliver", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["width"] = display_width
    return env


def render(digest: Digest, *, recipient: str, watchlists: Sequence[str] = (), detail: int = DETAIL) -> tuple[str, str]:
    """(text, html) bodies of a digest; each watchlist's first ``detail`` stories in full, the rest as titles."""
    values = {"digest": digest, "brand": BRAND, "subject": digest.subject(BRAND), "recipient": recipient,
              "watchlists": list(watchlists), "detail": detail}
    env = _templates()
    text = env.get_template("digest.txt").render(values)
    html = env.get_template("digest.html").render(values)
    return _tidy_text(text), html


def compose(digest: Digest, *, sender: str, to: str, now: datetime, watchlists: Sequence[str] = ()) -> EmailMessage:
    """The digest as a multipart/alternative message (text first, HTML preferred) for one address."""
    text, html = render(digest, recipient=to, watchlists=watchlists)
    msg = EmailMessage()
    msg["Subject"] = digest.subject(BRAND)
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    msg["Date"] = format_datetime(now.astimezone(digest.created.tzinfo))
    msg["Message-ID"] = make_msgid("digest", domain=_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def _address(text: str) -> Address:
    """A header address from "Name <addr>" or "addr"; the display name may be Chinese."""
    name, addr = parseaddr(one_line(text))
    if "@" not in addr:
        raise ValueError(f"not an email address: {text!r}")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _tidy_text(text: str) -> str:
    """No runs of blank lines in the text part."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


# --- sending --------------------------------------------------------------------------------------------


class MailTransport(Protocol):
    """Sends messages; answers one entry per message: None when accepted, else the error."""

    async def send(self, messages: Sequence[EmailMessage]) -> list[DeliveryError | None]: ...


class SmtpSender:
    """MailTransport over aiosmtplib to the configured server."""

    def __init__(self, config: EmailConfig, *, timeout: float = 30.0,
                 tls_context: ssl.SSLContext | None = None) -> None:
        self.config = config
        self.timeout = timeout
        self.tls_context = tls_context  # tests pass one trusting their own CA

    @property
    def server(self) -> str:
        return f"{self.config.host}:{self.config.port}"

    async def send(self, messages: Sequence[EmailMessage]) -> list[DeliveryError | None]:
        if not messages:
            return []
        c = self.config
        envelope_from = parseaddr(c.sender)[1]
        smtp = aiosmtplib.SMTP(
            hostname=c.host, port=c.port, timeout=self.timeout, use_tls=c.security == "ssl",
            start_tls=c.security == "starttls", tls_context=self.tls_context,
            username=c.username or None, password=c.password if c.username else None,
        )
        results: list[DeliveryError | None] = []
        try:
            async with asyncio.timeout(self.timeout * 2):  # a server that dribbles answers still ends
                await smtp.connect()
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
            return [smtp_error(str(m["To"]), e, timeout=self.timeout, server=self.server) for m in messages]
        try:
            for i, msg in enumerate(messages):
                to = str(msg["To"].addresses[0].addr_spec)
                try:
                    async with asyncio.timeout(self.timeout * 2):
                        await smtp.send_message(msg, sender=envelope_from, recipients=[to])
                    results.append(None)
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
                    results.append(smtp_error(to, e, timeout=self.timeout, server=self.server))
                    if not smtp.is_connected:  # the rest cannot go over this connection
                        reason = f"connection to {self.server} closed: {results[-1].reason}"  # type: ignore[union-attr]
                        results += [TemporaryDeliveryError(str(m["To"]), reason) for m in messages[i + 1:]]
                        break
        finally:
            if smtp.is_connected:
                try:
                    async with asyncio.timeout(self.timeout):
                        await smtp.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()
        return results


def smtp_error(target: str, e: BaseException, *, timeout: float, server: str = "") -> DeliveryError:
    """An SMTP failure as a DeliveryError: permanent only for a 5xx on the recipient or the message."""
    where = f" {server}" if server else ""
    if isinstance(e, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in e.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in e.recipients)
        if codes and all(500 <= c < 600 for c in codes):
            return PermanentDeliveryError(target, f"recipient rejected by the server ({detail})")
        return TemporaryDeliveryError(target, f"recipient deferred by the server ({detail})")
    if isinstance(e, aiosmtplib.SMTPRecipientRefused | aiosmtplib.SMTPDataError) and 500 <= e.code < 600:
        what = "recipient" if isinstance(e, aiosmtplib.SMTPRecipientRefused) else "message"
        return PermanentDeliveryError(target, f"{what} rejected by the server ({e.code} {e.message})")
    if isinstance(e, aiosmtplib.SMTPAuthenticationError):
        return TemporaryDeliveryError(target, f"SMTP login refused ({e.code} {e.message}): "
                                              "check email.username and email.password")
    if isinstance(e, aiosmtplib.SMTPSenderRefused):
        return TemporaryDeliveryError(target, f"sender {e.sender} refused ({e.code} {e.message}): check email.from")
    if isinstance(e, aiosmtplib.SMTPResponseException):
        return TemporaryDeliveryError(target, f"server answered {e.code} {one_line(e.message)}")
    if isinstance(e, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
        return TemporaryDeliveryError(target, f"no answer from the SMTP server{where} within {timeout:g} s")
    if isinstance(e, aiosmtplib.SMTPNotSupported):
        return TemporaryDeliveryError(target, f"{e}: check email.security")
    if isinstance(e, ssl.SSLError):
        return TemporaryDeliveryError(target, f"TLS failed ({e.reason or e}): check email.security and email.port")
    if isinstance(e, aiosmtplib.SMTPConnectError | aiosmtplib.SMTPServerDisconnected | OSError):
        cause = e.__cause__ if isinstance(e.__cause__, OSError) else e
        if isinstance(cause, ConnectionRefusedError):
            detail = "connection refused (check email.host and email.port)"
        elif isinstance(cause, OSError) and cause.strerror:
            detail = cause.strerror
        else:
            detail = one_line(str(e)) or type(e).__name__
        return TemporaryDeliveryError(target, f"cannot reach the SMTP server{where}: {detail}")
    if isinstance(e, aiosmtplib.SMTPException):
        return TemporaryDeliveryError(target, f"SMTP session failed: {one_line(str(e))} (check email.security)")
    return TemporaryDeliveryError(target, f"unexpected {type(e).__name__}: {e}")
