"""HTTP/1.1 plumbing of the Bot API double: read requests, decode Bot API parameters, write answers.

Does IO on asyncio streams. Keep-alive, Content-Length and chunked request bodies; parameters
from the query string, ``application/x-www-form-urlencoded`` (what python-telegram-bot sends:
every non-string value JSON-encoded), ``application/json`` and ``multipart/form-data``, typed the
way the Bot API types them (integers, booleans, JSON-serialized objects, strings).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
            503: "Service Unavailable", 504: "Gateway Timeout"}
_MAX_BODY = 10 * 1024 * 1024
_JSON_KEYS = {"reply_markup", "allowed_updates", "commands", "scope", "entities", "link_preview_options",
              "reply_parameters", "results", "permissions"}
_INT_KEYS = {"offset", "limit", "timeout", "message_id", "user_id", "cache_time", "message_thread_id",
             "reply_to_message_id", "from_chat_id", "max_connections"}
_BOOL_KEYS = {"drop_pending_updates", "show_alert", "disable_notification", "protect_content",
              "disable_web_page_preview", "allow_sending_without_reply", "allow_paid_broadcast"}


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    target: str  # path and query as sent
    headers: dict[str, str]  # lower-cased names
    body: bytes


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes
    content_type: str = "application/json"


class ParamError(ValueError):
    """A parameter the Bot API would reject; str() is the description after 'Bad Request: '."""


# None from the handler means: close the connection without answering.
Handler = Callable[[HttpRequest], Awaitable[HttpResponse | None]]


async def serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler) -> None:
    """Answer requests on one connection until the peer closes it or the handler drops it."""
    try:
        while True:
            request = await _read_request(reader)
            if request is None:
                return
            response = await handler(request)
            if response is None:
                return
            head = (f"HTTP/1.1 {response.status} {_REASONS.get(response.status, 'Error')}\r\n"
                    f"Server: botapi-double\r\nContent-Type: {response.content_type}\r\n"
                    f"Content-Length: {len(response.body)}\r\nConnection: keep-alive\r\n\r\n")
            writer.write(head.encode("latin-1") + response.body)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
        return
    finally:
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    line = await reader.readline()
    if not line.strip():
        return None
    method, target, _version = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while True:
        raw = await reader.readline()
        if raw in (b"\r\n", b"\n", b""):
            break
        name, _, value = raw.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        length = int(headers.get("content-length", "0") or 0)
        if length > _MAX_BODY:
            raise ValueError("request body too large")
        body = await reader.readexactly(length) if length else b""
    return HttpRequest(method.upper(), target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readline()).split(b";")[0].strip() or b"0", 16)
        if size == 0:
            while (await reader.readline()) not in (b"\r\n", b"\n", b""):
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readline()


def json_response(status: int, payload: dict[str, Any]) -> HttpResponse:
    return HttpResponse(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"))


def decode_params(request: HttpRequest) -> dict[str, Any]:
    """The Bot API parameters of a request, typed; ParamError when one cannot be read."""
    query = request.target.partition("?")[2]
    raw: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = request.headers.get("content-type", "").lower()
    if request.body:
        if ctype.startswith("application/json"):
            try:
                body = json.loads(request.body)
            except ValueError:
                raise ParamError("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise ParamError("can't parse JSON object")
            raw.update(body)
        elif ctype.startswith("multipart/form-data"):
            raw.update(_multipart(request.body, request.headers["content-type"]))
        else:
            raw.update(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
    return {key: _typed(key, value) for key, value in raw.items()}


def _multipart(body: bytes, content_type: str) -> dict[str, str]:
    message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body)
    fields: dict[str, str] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes) and part.get_filename() is None:
            fields[name] = payload.decode("utf-8", "replace")
    return fields


def _typed(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if key == "chat_id":
        return int(value) if value.lstrip("-").isdigit() else value
    if key in _INT_KEYS:
        try:
            return int(value)
        except ValueError:
            raise ParamError(f"invalid {key} specified") from None
    if key in _BOOL_KEYS:
        return value.lower() in ("true", "1")
    if key in _JSON_KEYS:
        try:
            return json.loads(value)
        except ValueError:
            raise ParamError(f"can't parse {key} JSON object") from None
    return value
