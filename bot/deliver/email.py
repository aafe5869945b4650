"""Email over SMTP: a thin aiosmtplib adapter. IO: one SMTP connection per batch.

none / starttls / ssl, AUTH when a username is configured. ``smtp_error`` is the one place that
tells temporary failures (refused, timeouts, 4xx such as 421 and 451, bad credentials) from
permanent ones (a 5xx for the recipient or for the message), so that a digest is buried only when
retrying cannot help.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable, Sequence
from email.message import EmailMessage
from email.utils import parseaddr
from typing import Protocol

import aiosmtplib

from bot.config import EmailConfig
from bot.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from bot.markup import one_line

Outcome = Callable[[int, DeliveryError | None], Awaitable[None]]  # (index of the message, None or its error)


class MailTransport(Protocol):
    """Sends messages; answers one entry per message: None when accepted, else the error. ``each`` is told every
    message's outcome as soon as the server gave it (so that a crash later in the batch repeats none of those)."""

    async def send(self, messages: Sequence[EmailMessage], *,
                   each: Outcome | None = None) -> list[DeliveryError | None]: ...


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

    async def send(self, messages: Sequence[EmailMessage], *,
                   each: Outcome | None = None) -> list[DeliveryError | None]:
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
            return [smtp_error(str(m["To"]), e, timeout=self.timeout, server=self.server,
                               security=c.security) for m in messages]
        try:
            for i, msg in enumerate(messages):
                to = str(msg["To"].addresses[0].addr_spec)
                try:
                    async with asyncio.timeout(self.timeout * 2):
                        await smtp.send_message(msg, sender=envelope_from, recipients=[to])
                    results.append(None)
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as e:
                    results.append(smtp_error(to, e, timeout=self.timeout, server=self.server, security=c.security))
                    if not smtp.is_connected:  # the rest cannot go over this connection
                        reason = f"connection to {self.server} closed: {results[-1].reason}"  # type: ignore[union-attr]
                        results += [TemporaryDeliveryError(str(m["To"]), reason) for m in messages[i + 1:]]
                        break
                if each is not None:
                    await each(i, results[-1])
        finally:
            if smtp.is_connected:
                try:
                    async with asyncio.timeout(self.timeout):
                        await smtp.quit()
                except (aiosmtplib.SMTPException, OSError, TimeoutError):
                    smtp.close()
        return results


def smtp_error(target: str, e: BaseException, *, timeout: float, server: str = "",
               security: str | None = None) -> DeliveryError:
    """An SMTP failure as a DeliveryError: permanent only for a 5xx on the recipient or the message; the hint names
    the setting to change (a server that wants TLS or a login had been answered "check email.from")."""
    where = f" {server}" if server else ""
    tls = e if isinstance(e, ssl.SSLError) else e.__cause__ if isinstance(e.__cause__, ssl.SSLError) else None
    if tls is not None:
        return TemporaryDeliveryError(target, f"TLS failed{where} ({tls.reason or tls}): {_tls_hint(tls)}")
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
        said = e.message.lower()
        if e.code == 530 and "tls" in said:
            hint = 'the server wants TLS first: set email.security = "starttls"'
        elif e.code == 530 or "auth" in said:
            hint = "the server wants a login first: set email.username and email.password"
        else:
            hint = "check email.from"
        return TemporaryDeliveryError(target, f"sender {e.sender} refused ({e.code} {e.message}): {hint}")
    if isinstance(e, aiosmtplib.SMTPResponseException):
        return TemporaryDeliveryError(target, f"server answered {e.code} {one_line(e.message)}")
    if isinstance(e, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
        hint = ('; a server that waits for TLS at once (port 465) says nothing until then: security = "ssl"'
                if security in ("none", "starttls") else "")
        return TemporaryDeliveryError(target, f"no answer from the SMTP server{where} within {timeout:g} s{hint}")
    if isinstance(e, aiosmtplib.SMTPNotSupported):
        return TemporaryDeliveryError(target, f"{e}: check email.security")
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


def _tls_hint(e: ssl.SSLError) -> str:
    reason = str(e.reason or e)
    if "WRONG_VERSION_NUMBER" in reason or "UNEXPECTED_EOF" in reason or "RECORD_LAYER" in reason:
        return ('the server does not speak TLS at once on this port: security = "starttls" (port 587) or "none" '
                '(port 25), or the TLS port (465) with security = "ssl"')
    if "CERTIFICATE_VERIFY_FAILED" in reason:
        return ("this machine does not trust the server's certificate (a private CA: add it to the system's trust "
                "store, e.g. /usr/local/share/ca-certificates and update-ca-certificates, or name it in SSL_CERT_FILE)")
    return "check email.security and email.port"
