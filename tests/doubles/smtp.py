"""SMTP servers on loopback for tests and benchmarks. Does IO (sockets, threads).

    with SmtpServer() as server:                       # aiosmtpd on 127.0.0.1, a free port, plain
        ... send to server.host, server.port ...
    server.messages                                    # what it accepted: envelope + parsed message
    server.reject["bad@example.com"] = "550 5.1.1 no such user"   # at RCPT, for one recipient
    server.data_reply = "451 4.3.0 try again later"    # at DATA, for every message

    certs = TlsCerts()                                 # a trustme CA and a 127.0.0.1 certificate
    SmtpServer(tls="starttls", certs=certs)            # STARTTLS required (and offered)
    SmtpServer(tls="ssl", certs=certs)                 # TLS from the first byte
    SmtpServer(auth=("user", "secret"))                # AUTH PLAIN/LOGIN required before MAIL
    certs.client_context()                             # an SSLContext that trusts the CA

    with RawServer(greeting=b"421 4.3.2 busy\\r\\n"):  # answers once and hangs up
    with RawServer(greeting=None):                     # accepts and never says a word
    closed_port()                                      # a port nobody listens on (refused)

aiosmtpd's Controller(port=0) cannot report the port it got, so a free port is found first.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import ssl
import threading
import warnings
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage
from types import TracebackType
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    """A TCP port on 127.0.0.1 free right now (bound, read and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def closed_port() -> int:
    """A port where connections are refused."""
    return free_port()


class TlsCerts:
    """A throw-away CA and a server certificate for 127.0.0.1 and localhost."""

    def __init__(self) -> None:
        self.ca = trustme.CA()
        self.cert = self.ca.issue_cert(HOST, "localhost")

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.cert.configure_cert(ctx)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    message: EmailMessage  # parsed with policy.default
    tls: bool
    login: str | None


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_RCPT(self, smtp: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        reply = self.server.reject.get(address.lower())
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.server.data_reply:
            return self.server.data_reply
        if self.server.hold_after is not None and len(self.server.messages) >= self.server.hold_after:
            await asyncio.to_thread(self.server.released.wait)  # (a slow server, or one the client dies waiting on)
        raw = envelope.original_content or envelope.content
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        parsed = message_from_bytes(raw, policy=policy.default)
        self.server.messages.append(Received(
            mail_from=envelope.mail_from, rcpt_tos=tuple(envelope.rcpt_tos), raw=raw,
            message=parsed,  # type: ignore[arg-type]
            tls=smtp.transport.get_extra_info("ssl_object") is not None, login=login))
        return "250 Message accepted"


class _Controller(Controller):
    def factory(self) -> Any:
        # aiosmtpd counts only STARTTLS as TLS; under implicit TLS its AUTH check is off, and it warns.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return super().factory()


class SmtpServer:
    """aiosmtpd on 127.0.0.1 in its own thread; see the module docstring."""

    def __init__(self, *, tls: str | None = None, certs: TlsCerts | None = None,
                 auth: tuple[str, str] | None = None) -> None:
        if tls and certs is None:
            certs = TlsCerts()
        self.certs = certs
        self.tls = tls
        self.auth = auth
        self.host = HOST
        self.port = free_port()
        self.messages: list[Received] = []
        self.reject: dict[str, str] = {}
        self.data_reply: str | None = None
        self.hold_after: int | None = None  # messages accepted at once; DATA of later ones waits for ``released``
        self.released = threading.Event()
        self.auth_attempts: list[str] = []
        kwargs: dict[str, Any] = {}
        if tls == "starttls":
            assert certs is not None
            kwargs.update(tls_context=certs.server_context(), require_starttls=True)
        elif tls == "ssl":
            assert certs is not None
            kwargs.update(ssl_context=certs.server_context())
        if auth:
            kwargs.update(authenticator=self._authenticate, auth_required=True,
                          auth_require_tls=tls == "starttls")  # aiosmtpd does not see implicit TLS
        self.controller = _Controller(_Handler(self), hostname=HOST, port=self.port,
                                     server_hostname="smtp.test", ready_timeout=5.0, **kwargs)

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login = auth_data.login.decode()
        self.auth_attempts.append(login)
        ok = self.auth is not None and (login, auth_data.password.decode()) == self.auth
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    def start(self) -> SmtpServer:
        self.controller.start()
        return self

    def stop(self) -> None:
        self.released.set()  # (a held DATA must not keep the server's thread from stopping)
        self.controller.stop()

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def to(self, address: str) -> list[Received]:
        """The accepted messages whose envelope included ``address``."""
        return [m for m in self.messages if address in m.rcpt_tos]


class RawServer:
    """A TCP server that sends ``greeting`` (if any) to each client, then hangs up or, without one, hangs."""

    def __init__(self, greeting: bytes | None) -> None:
        self.greeting = greeting
        self.host = HOST
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((HOST, 0))
        self.port = int(self.sock.getsockname()[1])
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.connections = 0
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="raw-smtp", daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            if self.greeting is None:
                self._held.append(conn)  # say nothing, keep it open
                continue
            with contextlib.suppress(OSError):
                conn.sendall(self.greeting)
                conn.shutdown(socket.SHUT_WR)
            conn.close()

    def __enter__(self) -> RawServer:
        self._thread.start()
        return self

    def __exit__(self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self.sock.close()
