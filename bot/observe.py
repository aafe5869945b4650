"""What the service shows about itself: logging set-up, secret redaction, /healthz and /metrics. Does IO.

- ``setup_logging("text" | "json")``: one line per record on stderr; JSON lines carry ``key=value``
  pairs of the message (the pipeline's poll line: status, ms, items, new, matched) as fields too;
  ``redact(secrets)`` hides the bot token and the SMTP password in every record.
- ``HttpEndpoint``: a tiny asyncio HTTP/1.1 server for ``[http] listen``: ``GET /healthz`` answers
  200 or 503 with a JSON body, ``GET /metrics`` the Prometheus text format. Nothing else.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST

from bot.errors import WatchbotError

QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram", "aiosmtplib", "asyncio")
_FIELDS = ("feed", "url")
_PAIR = re.compile(r"(?<!\S)([a-z_]+)=(\S+)")


class JsonFormatter(logging.Formatter):
    """One JSON object per record: ts, level, logger, msg (and exc), plus the message's key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        data: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "msg": message,
        }
        for key in _FIELDS:  # passed as ``extra=`` (the poll line's feed name and URL)
            if hasattr(record, key):
                data[key] = getattr(record, key)
        for key, value in _PAIR.findall(message):
            if key not in data:
                data[key] = _number(value)
        if record.exc_info or record.exc_text:
            data["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(data, ensure_ascii=False)


def _number(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return None if text == "None" else text


def setup_logging(fmt: str = "text", *, level: int = logging.INFO) -> None:
    """Send every record to stderr as text or JSON lines; libraries' chatter only from WARNING up."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(_utc_formatter())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class Redact(logging.Filter):
    """Replace secrets (the bot token, the SMTP password) in every record, its exception included."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        message = hide(message, self.secrets)
        if record.exc_text:
            record.exc_text = hide(record.exc_text, self.secrets)
        record.msg, record.args = message, None
        return True


def hide(text: str, secrets: list[str]) -> str:
    """``text`` with every secret replaced: the one place secrets are redacted (logs and error lines)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "(hidden)")
    return text


def redact(secrets: list[str]) -> None:
    """Hide ``secrets`` in everything logged from now on (on the root handlers setup_logging made)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(Redact(secrets))


Health = Callable[[], Awaitable[tuple[bool, dict[str, Any]]]]


class HttpEndpoint:
    """GET /healthz and GET /metrics on one loopback (or any) address."""

    def __init__(self, host: str, port: int, *, health: Health, metrics: Callable[[], Awaitable[bytes]]) -> None:
        self.host = host
        self.port = port
        self.health = health
        self.metrics = metrics
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        try:
            self._server = await asyncio.start_server(self._connection, self.host, self.port)
        except OSError as e:
            raise WatchbotError(f"http.listen: cannot listen on {self.host}:{self.port}: {e.strerror or e} "
                                "(pick a free port or remove [http])") from e
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(5):
                head = await reader.readuntil(b"\r\n\r\n")
            method, _, rest = head.decode("latin-1").partition(" ")
            path = rest.split(" ", 1)[0].split("?", 1)[0]
            status, ctype, body = await self._answer(method, path)
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n".encode("latin-1") + (b"" if method == "HEAD" else body))
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    async def _answer(self, method: str, path: str) -> tuple[str, str, bytes]:
        if method not in ("GET", "HEAD"):
            return "405 Method Not Allowed", "text/plain", b"GET /healthz or GET /metrics\n"
        if path == "/metrics":
            return "200 OK", CONTENT_TYPE_LATEST, await self.metrics()
        if path == "/healthz":
            ok, details = await self.health()
            body = (json.dumps({"ok": ok, **details}, ensure_ascii=False) + "\n").encode()
            return ("200 OK" if ok else "503 Service Unavailable"), "application/json", body
        return "404 Not Found", "text/plain", b"GET /healthz or GET /metrics\n"


def _utc_formatter() -> logging.Formatter:
    """Text log lines stamped in UTC, saying so: "2024-03-27T15:45:02Z INFO ..."."""
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    return formatter
