"""The Bot API double as a separate process (for benchmarks), driven over HTTP. Does IO.

    python -m tests.doubles.botapi --port 0 [--token T] [--enforce-limits] [--max-seconds S]

prints one JSON line ``{"url": "http://127.0.0.1:PORT", "token": "..."}`` once it listens, serves
until its standard input closes (or --max-seconds pass), then prints the final stats as one JSON
line. While it runs, control routes beside the Bot API (no token) drive it:

    GET  /_double/stats                   -> Stats as JSON
    GET  /_double/messages[?chat_id=N]    -> [{chat_id, message_id, text, raw, at, ...}]
    GET  /_double/calls[?method=M]        -> [{method, chat_id, at, status, description}]
    POST /_double/user_sends  {"chat_id", "user_id", "text", "chat_type"?}  -> the update
    POST /_double/user_presses {"chat_id", "user_id", "message_id", "data"} -> {"id": ...}
    POST /_double/set_member  {"chat_id", "user_id", "status"}
    POST /_double/inject {"fault": "retry_after"|"server_error"|"bad_gateway"|"blocked"|"too_long"|
                          "migrated"|"slow"|"disconnect", "arg"?, "method"?, "chat_id"?, "times"?}
    POST /_double/clear_faults    POST /_double/reset

`RemoteBotApi(url)` is a small synchronous client for these routes.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import sys
import threading
import urllib.request
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from tests.doubles import botapi_faults as faults
from tests.doubles.botapi_http import HttpRequest, HttpResponse, json_response

if TYPE_CHECKING:
    from tests.doubles.botapi import BotApiDouble

_FAULTS = {"retry_after": faults.retry_after, "server_error": faults.server_error, "bad_gateway": faults.bad_gateway,
           "blocked": faults.blocked, "kicked": faults.kicked, "too_long": faults.too_long,
           "migrated": faults.migrated, "slow": faults.slow, "disconnect": faults.disconnect,
           "chat_not_found": faults.chat_not_found}


def control(double: BotApiDouble, request: HttpRequest) -> HttpResponse:
    """Answer one /_double/ route."""
    route, _, query = request.target.partition("?")
    args = dict(parse_qsl(query))
    body: dict[str, Any] = json.loads(request.body) if request.body else {}
    name = route.removeprefix("/_double/").strip("/")
    try:
        return json_response(200, {"ok": True, "result": _route(double, name, args, body)})
    except (KeyError, TypeError, ValueError) as e:
        return json_response(400, {"ok": False, "description": f"/_double/{name}: {e!r}"})


def _route(double: BotApiDouble, name: str, args: dict[str, str], body: dict[str, Any]) -> Any:
    chat = int(args["chat_id"]) if "chat_id" in args else None
    if name == "stats":
        return dataclasses.asdict(double.stats())
    if name == "messages":
        return [{**dataclasses.asdict(s), "buttons": s.buttons} for s in double.sent_messages(chat)]
    if name == "calls":
        return [{"method": c.method, "chat_id": c.chat_id, "at": c.at, "status": c.status,
                 "description": c.description} for c in double.calls(args.get("method"))]
    if name == "user_sends":
        return double.user_sends(body["chat_id"], body["user_id"], body["text"], chat_type=body.get("chat_type"))
    if name == "user_presses":
        return {"id": double.user_presses(body["chat_id"], body["user_id"], body["message_id"], body["data"])}
    if name == "set_member":
        double.set_member(body["chat_id"], body["user_id"], body["status"])
        return True
    if name == "inject":
        builder = _FAULTS[body["fault"]]
        fault = builder(body["arg"]) if "arg" in body else builder()  # type: ignore[operator]
        double.inject(fault, method=body.get("method", "sendMessage"), chat_id=body.get("chat_id"),
                      times=body.get("times", 1))
        return True
    if name == "clear_faults":
        double.clear_faults()
        return True
    if name == "reset":
        double.reset()
        return True
    raise KeyError(name)


class RemoteBotApi:
    """A synchronous client of a double's control routes (another process or thread)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def _call(self, name: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        target = f"{self.url}/_double/{name}"
        if query:
            target += "?" + "&".join(f"{k}={v}" for k, v in query.items() if v is not None)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(target, data=data, method="POST" if data is not None else "GET",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return json.loads(response.read())["result"]

    def stats(self) -> dict[str, Any]:
        return dict(self._call("stats"))

    def messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        return list(self._call("messages", chat_id=chat_id))

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("calls", method=method))

    def user_sends(self, chat_id: int, user_id: int, text: str, chat_type: str | None = None) -> dict[str, Any]:
        return dict(self._call("user_sends", {"chat_id": chat_id, "user_id": user_id, "text": text,
                                              "chat_type": chat_type}))

    def user_presses(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        body = {"chat_id": chat_id, "user_id": user_id, "message_id": message_id, "data": data}
        return str(self._call("user_presses", body)["id"])

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        self._call("set_member", {"chat_id": chat_id, "user_id": user_id, "status": status})

    def inject(self, fault: str, arg: Any = None, *, method: str | None = "sendMessage",
               chat_id: int | None = None, times: int | None = 1) -> None:
        body: dict[str, Any] = {"fault": fault, "method": method, "chat_id": chat_id, "times": times}
        if arg is not None:
            body["arg"] = arg
        self._call("inject", body)

    def clear_faults(self) -> None:
        self._call("clear_faults", {})

    def reset(self) -> None:
        self._call("reset", {})


def main(argv: list[str] | None = None) -> None:
    from tests.doubles.botapi import DEFAULT_TOKEN, BotApiDouble

    parser = argparse.ArgumentParser(prog="python -m tests.doubles.botapi", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--enforce-limits", action="store_true", help="answer 429 past 30/s, 1/s per chat")
    parser.add_argument("--max-seconds", type=float, default=None)
    args = parser.parse_args(argv)

    async def run() -> None:
        async with BotApiDouble(args.token, host=args.host, port=args.port,
                                enforce_limits=args.enforce_limits) as double:
            print(json.dumps({"url": double.url, "token": double.token}), flush=True)
            loop = asyncio.get_running_loop()
            stdin_closed = asyncio.Event()

            def watch_stdin() -> None:  # a daemon thread: a pending read must not keep the process alive
                sys.stdin.read()
                loop.call_soon_threadsafe(stdin_closed.set)

            threading.Thread(target=watch_stdin, daemon=True).start()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stdin_closed.wait(), args.max_seconds)
            print(json.dumps(dataclasses.asdict(double.stats())), flush=True)

    asyncio.run(run())
