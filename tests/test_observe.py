"""Logging as JSON lines, metrics from poll results, and the /healthz and /metrics endpoint."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import sys
from typing import Any

from bot.app.alerts import DrainReport
from bot.app.metrics import Metrics
from bot.app.pipeline import FeedResult
from bot.observe import REPEATING_LOGGERS, HttpEndpoint, JsonFormatter, Redact, Repeats


def record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("watchbot.poll", logging.INFO, __file__, 1, msg, args, None)


def test_json_lines_carry_the_poll_fields() -> None:
    line = JsonFormatter().format(record("poll %s status=%s ms=%.0f items=%d new=%d matched=%d", "RFI 中文",
                                         304, 12.4, 0, 0, 0))
    data = json.loads(line)
    assert data["msg"] == "poll RFI 中文 status=304 ms=12 items=0 new=0 matched=0"
    assert (data["status"], data["ms"], data["items"], data["matched"]) == (304, 12, 0, 0)
    assert data["level"] == "info" and data["logger"] == "watchbot.poll" and data["ts"].endswith("+00:00")
    assert json.loads(JsonFormatter().format(record("poll x status=None error=timed")))["status"] is None


def test_metrics_count_polls_and_deliveries() -> None:
    m = Metrics()
    m.poll(FeedResult("u", "U", 200, ms=250, items=10, new=3, matched=2, alerts=4), 1.0)
    m.poll(FeedResult("v", "V", None, ms=20_000, error="timed out after 20 s"), 2.0)
    m.delivery({"telegram": DrainReport(sent=3, retried=1, dead=1)})
    m.outbox_depth({"pending": 2, "dead": 1})
    text = m.text().decode()
    for line in ("watchbot_polls_total 2.0", "watchbot_poll_failures_total 1.0", "watchbot_items_new_total 3.0",
                 "watchbot_matches_total 2.0", 'watchbot_alerts_sent_total{channel="telegram"} 3.0',
                 'watchbot_alerts_failed_total{channel="telegram"} 1.0',
                 'watchbot_alerts_dead_lettered_total{channel="telegram"} 1.0',
                 'watchbot_outbox_depth{state="pending"} 2.0', 'watchbot_poll_duration_seconds_bucket{le="0.25"} 1.0',
                 "watchbot_poll_duration_seconds_count 2.0", "watchbot_last_poll_timestamp_seconds 2.0"):
        assert line in text


async def fetch(port: int, request: bytes) -> tuple[str, bytes]:
    """One raw HTTP/1.1 request (given without Host and Connection: they are added), the status line and body."""
    head, _, rest = request.partition(b"\r\n")
    request = head + b"\r\nHost: 127.0.0.1\r\nConnection: close\r\n" + rest.removeprefix(b"Host: x\r\n")
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return head.decode().split("\r\n")[0], body


async def test_healthz_answers_503_when_unhealthy_and_metrics_in_prometheus_format() -> None:
    state: dict[str, Any] = {"ok": True}

    async def health() -> tuple[bool, dict[str, Any]]:
        return state["ok"], {"store": "ok" if state["ok"] else "not writable"}

    async def metrics() -> bytes:
        return b"watchbot_polls_total 1.0\n"

    endpoint = HttpEndpoint("127.0.0.1", 0, health=health, metrics=metrics)
    await endpoint.start()
    try:
        status, body = await fetch(endpoint.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == "HTTP/1.1 200 OK" and json.loads(body) == {"ok": True, "store": "ok"}
        state["ok"] = False
        status, body = await fetch(endpoint.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        assert status == "HTTP/1.1 503 Service Unavailable" and json.loads(body)["store"] == "not writable"
        status, body = await fetch(endpoint.port, b"GET /metrics?x=1 HTTP/1.1\r\n\r\n")
        assert status == "HTTP/1.1 200 OK" and body == b"watchbot_polls_total 1.0\n"
        assert (await fetch(endpoint.port, b"POST /metrics HTTP/1.1\r\n\r\n"))[0].startswith("HTTP/1.1 405")
        assert (await fetch(endpoint.port, b"GET / HTTP/1.1\r\n\r\n"))[0].startswith("HTTP/1.1 404")
    finally:
        await endpoint.stop()


def test_redact_hides_secrets_in_messages_and_tracebacks() -> None:
    secret = "123456:AAsecret-token"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(Redact([secret]))
    logger = logging.getLogger("watchbot.test.redact")
    logger.addHandler(handler)
    try:
        logger.warning("calling %s/bot%s/getMe", "https://api.telegram.org", secret)
        try:
            raise RuntimeError(f"The token `{secret}` was rejected")
        except RuntimeError:
            logger.exception("start failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert secret not in out
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["msg"] == "calling https://api.telegram.org/bot(hidden)/getMe"
    assert "The token `(hidden)` was rejected" in second["exc"]


def test_a_library_saying_the_same_thing_again_and_again_is_heard_once_a_minute() -> None:
    """A database out of reach for 45 s made 338 lines: psycopg's pool warns twice a second, each with a traceback."""
    repeats = Repeats(REPEATING_LOGGERS, window=60.0)

    def record(name: str, message: str) -> logging.LogRecord:
        try:
            raise OSError(message)
        except OSError:
            return logging.LogRecord(name, logging.WARNING, __file__, 1, message, None, sys.exc_info())

    pool = [record("psycopg.pool", f"error connecting in 'pool-1': port {port} refused") for port in (37995, 40001)]
    assert repeats.filter(pool[0]) and pool[0].exc_info is None  # the first said, in one line
    assert not repeats.filter(pool[1])  # the same, but for the port: not again within the minute
    assert repeats.filter(record("procrastinate.worker", "Side task listener failed, stopping worker"))
    ours = record("watchbot.spread", "the poll worker stopped")
    assert repeats.filter(ours) and repeats.filter(ours) and ours.exc_info is not None  # our own lines untouched
