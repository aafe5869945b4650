"""What the service shows about itself: logging set-up, secret redaction, /healthz and /metrics. Does IO.

- ``setup_logging("text" | "json")``: one line per record on stderr; JSON lines carry ``key=value``
  pairs of the message (the pipeline's poll line: status, ms, items, new, matched) as fields too;
  ``redact(secrets)`` hides the bot token and the SMTP password in every record.
- ``HttpEndpoint``: the HTTP server for ``[http] listen`` (uvicorn on the service's own loop):
  ``GET /healthz`` answers 200 or 503 with a JSON body, ``GET /metrics`` the Prometheus text format,
  and the web interface (an ASGI app handed in) at ``/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import socket
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import uvicorn
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp

from bot.errors import WatchbotError

QUIET_LOGGERS = ("httpx", "httpcore", "apscheduler", "telegram", "aiosmtplib", "asyncio",
                 "procrastinate")  # procrastinate: a line for every poll job deferred and ended
# Libraries that say the same thing again and again while a database is out of reach: a pool's every try to connect
# (two lines each), procrastinate's worker stopping (watchbot starts it again and says so: bot.app.spread)
REPEATING_LOGGERS = ("psycopg.pool", "procrastinate")
_DIGITS = re.compile(r"\d+")
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
    handler.addFilter(Repeats(REPEATING_LOGGERS))  # a database out of reach: one line a minute, not two a second


class Repeats(logging.Filter):
    """Records of the loggers ``names`` (and their children): each message once in ``window`` seconds (numbers aside:
    "port 37995" and "port 40001" are one message), its traceback left out (what the error was is in its message;
    a library's own frames tell an operator nothing). Other records pass untouched."""

    def __init__(self, names: tuple[str, ...], window: float = 60.0) -> None:
        super().__init__()
        self.names = names
        self.window = window
        self.last: dict[str, float] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self.names):
            return True
        key = _DIGITS.sub("#", f"{record.name} {record.getMessage()}")
        now = time.monotonic()
        if now - self.last.get(key, -self.window) < self.window:
            return False
        if len(self.last) > 1000:
            self.last.clear()
        self.last[key] = now
        record.exc_info, record.exc_text = None, None
        return True


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


class _Server(uvicorn.Server):
    """uvicorn inside the service's loop: the service, not uvicorn, owns SIGTERM and SIGINT."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class HttpEndpoint:
    """GET /healthz and GET /metrics (and, given one, the web interface at /) on one address.

    Served by uvicorn on the running event loop: no thread, no second loop."""

    def __init__(self, host: str, port: int, *, health: Health, metrics: Callable[[], Awaitable[bytes]],
                 app: ASGIApp | None = None) -> None:
        self.host = host
        self.port = port
        self.health = health
        self.metrics = metrics
        self.app = app
        self._server: _Server | None = None
        self._task: asyncio.Task[None] | None = None

    def asgi(self) -> ASGIApp:
        routes: list[BaseRoute] = [Route("/healthz", self._healthz), Route("/metrics", self._metrics)]
        if self.app is not None:
            routes.append(Mount("/", app=self.app))
        return Starlette(routes=routes)

    async def start(self) -> None:
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self.port))
        except OSError as e:
            sock.close()
            raise WatchbotError(f"http.listen: cannot listen on {self.host}:{self.port}: {e.strerror or e} "
                                "(pick a free port or remove [http])") from e
        sock.setblocking(False)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.asgi(), lifespan="off", log_config=None, log_level="warning", access_log=False,
                                server_header=False, timeout_graceful_shutdown=1, timeout_keep_alive=5)
        self._server = _Server(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]), name="http")
        while not self._server.started:  # uvicorn says when it listens; a failure ends the task instead
            if self._task.done():
                self._task.result()
                raise WatchbotError(f"http.listen: the web server on {self.host}:{self.port} did not start")
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 2)

    async def _metrics(self, request: Request) -> Response:
        return Response(await self.metrics(), media_type=CONTENT_TYPE_LATEST)

    async def _healthz(self, request: Request) -> Response:
        ok, details = await self.health()
        body = (json.dumps({"ok": ok, **details}, ensure_ascii=False) + "\n").encode()
        return Response(body, status_code=200 if ok else 503, media_type="application/json")


def _utc_formatter() -> logging.Formatter:
    """Text log lines stamped in UTC, saying so: "2024-03-27T15:45:02Z INFO ..."."""
    formatter = logging.Formatter("%(asctime)sZ %(levelname)s %(name)s: %(message)s", datefmt="%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    return formatter
