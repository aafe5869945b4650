"""A Telegram Bot API double: a real HTTP server on 127.0.0.1 for tests and benchmarks. Does IO.

It answers ``POST /bot<token>/<method>`` as api.telegram.org does, so python-telegram-bot 22
runs against it unchanged (``base_url=double.url + "/bot"``) and raises its real exceptions::

    async with BotApiDouble() as api:                 # serves in the running event loop
        bot = Bot(api.token, base_url=api.url + "/bot")
    with BotApiDouble(enforce_limits=True) as api:    # serves from a thread (sync tests, benchmarks)
        ...

Scripted users, recorded calls and injected faults::

    api.user_sends(chat_id, user_id, "/subscribe asml", chat_type="group")  # bot_command entities
    api.user_presses(chat_id, user_id, message_id, "sub:asml")  # a callback_query; returns its id
    api.set_member(chat_id, user_id, "administrator")           # what getChatMember answers
    msgs = await api.wait_for_messages(2, timeout=5)            # -> [Sent, ...] (text as rendered)
    api.sent_messages(chat_id)      api.calls("sendMessage")     api.answers  api.commands()
    api.inject(retry_after(3), chat_id=42)                 # next sendMessage to chat 42 (times=1)
    api.inject(server_error(502), method=None, times=None)  # every call until api.clear_faults()
    api.block(chat_id)   api.migrate(old_id, new_id)       # persistent, as Telegram does
    api.stats()                                            # Stats: sliding-window maxima

Methods: getMe, deleteWebhook, getUpdates (long polling, offset confirmation, allowed_updates,
409 for a concurrent poll), sendMessage, editMessageText, editMessageReplyMarkup, answerCallbackQuery, getChatMember,
getChat, setMyCommands, getMyCommands, deleteMyCommands; any other is 404 "Not Found".
The fault builders are re-exported here (``from tests.doubles.botapi import BotApiDouble,
retry_after``). Text rules (HTML, lengths) live in botapi_html, faults and statistics in botapi_faults, the
separate-process mode (``python -m tests.doubles.botapi --port N``) in botapi_process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from tests.doubles.botapi_faults import (
    ChatId,
    Fault,
    FaultRule,
    FloodLimits,
    Stats,
    bad_gateway,
    blocked,
    chat_not_found,
    disconnect,
    error,
    kicked,
    migrated,
    retry_after,
    server_error,
    slow,
    too_long,
    window_stats,
)
from tests.doubles.botapi_html import bot_command_entities
from tests.doubles.botapi_http import HttpRequest, HttpResponse, ParamError, decode_params, json_response
from tests.doubles.botapi_http import serve_connection as _serve_connection
from tests.doubles.botapi_methods import ApiError, Call, Methods, Sent, chat_json, chat_member_json
from tests.doubles.botapi_process import control

__all__ = ["DEFAULT_TOKEN", "BotApiDouble", "Call", "Fault", "FloodLimits", "Sent", "Stats", "bad_gateway", "blocked",
           "chat_not_found", "disconnect", "error", "kicked", "migrated", "retry_after", "server_error", "slow",
           "too_long"]

DEFAULT_TOKEN = "123456789:AAtest-double-token_0123456789abcdef"
_PATH = re.compile(r"/bot([^/]+)/([A-Za-z]+)/?")
_HTML_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway"
             b"</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n")


class BotApiDouble(Methods):
    """The double; see the module docstring. State is thread-safe; `url` is valid once started."""

    def __init__(self, token: str = DEFAULT_TOKEN, *, host: str = "127.0.0.1", port: int = 0,
                 bot_username: str = "watchbot_test_bot", strict_amp: bool = True,
                 enforce_limits: bool = False, limits: FloodLimits | None = None,
                 max_long_poll: float | None = None) -> None:
        super().__init__(token, bot_username, strict_amp)
        self.host, self._port = host, port
        self.max_long_poll = max_long_poll
        self.limits = (limits or FloodLimits()) if enforce_limits else None
        self._calls: list[Call] = []
        self._faults: list[FaultRule] = []
        self._changed = threading.Condition(self._lock)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread: threading.Thread | None = None
        self._thread_stop: asyncio.Event | None = None
        self._waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = []
        self._callback_ids = itertools.count(1)

    # -- lifecycle ------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without /bot, e.g. http://127.0.0.1:PORT."""
        return f"http://{self.host}:{self.port}"

    @property
    def port(self) -> int:
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    async def start_async(self) -> BotApiDouble:
        """Listen in the running event loop."""
        self._loop = asyncio.get_running_loop()
        self._server = await asyncio.start_server(self._connection, self.host, self._port, backlog=1024)
        self._port = self.port
        return self

    async def stop_async(self) -> None:
        """Stop listening and end open connections, long polls included."""
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 2)
            self._server = None

    async def __aenter__(self) -> BotApiDouble:
        return await self.start_async()

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop_async()

    def start(self) -> BotApiDouble:
        """Serve from a background thread with its own event loop; returns once listening."""
        ready = threading.Event()
        failure: list[BaseException] = []

        async def run() -> None:
            self._thread_stop = asyncio.Event()
            try:
                await self.start_async()
            except BaseException as e:  # handed to start()'s caller
                failure.append(e)
                return
            finally:
                ready.set()
            await self._thread_stop.wait()
            await self.stop_async()

        self._thread = threading.Thread(target=asyncio.run, args=(run(),), name="botapi-double", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._loop is not None and self._thread_stop is not None:
            self._loop.call_soon_threadsafe(self._thread_stop.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> BotApiDouble:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- scripted users -------------------------------------------------------------------------

    def user_sends(self, chat_id: int, user_id: int, text: str, *, chat_type: str | None = None,
                   first_name: str | None = None, username: str | None = None,
                   title: str | None = None) -> dict[str, Any]:
        """A user's text message arrives (bot_command entities as Telegram computes them); the update."""
        with self._lock:
            user = self.add_user(user_id, first_name=first_name, username=username)
            chat = self.add_chat(chat_id, chat_type, title=title, user=user)
            self.members.setdefault((chat_id, user_id), "member")
            message: dict[str, Any] = {"message_id": self.next_message_id(chat_id), "from": user, "chat": chat,
                                       "date": int(time.time()), "text": text}
            entities = bot_command_entities(text)
            if entities:
                message["entities"] = entities
            self.messages[(chat_id, message["message_id"])] = message
            return self.push_update({"message": message})

    def user_presses(self, chat_id: int, user_id: int, message_id: int, data: str) -> str:
        """A user presses an inline button with `data` under a message; returns the callback query id."""
        with self._lock:
            user = self.add_user(user_id)
            message = self.messages.setdefault((chat_id, message_id), {
                "message_id": message_id, "from": self.me, "chat": chat_json(self.chats, chat_id),
                "date": int(time.time()), "text": "(a message the double did not send)"})
            query_id = f"{user_id}{next(self._callback_ids):08d}"
            self.callbacks[query_id] = False
            self.push_update({"callback_query": {"id": query_id, "from": user, "message": message,
                                                 "chat_instance": f"ci{chat_id}", "data": data}})
            return query_id

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update (without update_id; one is given) for getUpdates; returns it."""
        with self._lock:
            full = {"update_id": self.next_update_id(), **update}
            self.updates.append(full)
        self._wake_pollers()
        return full

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers: creator, administrator, member, restricted, left or kicked."""
        with self._lock:
            self.members[(chat_id, user_id)] = status

    # -- faults ---------------------------------------------------------------------------------

    def inject(self, fault: Fault, *, method: str | None = "sendMessage", chat_id: ChatId | None = None,
               times: int | None = 1) -> FaultRule:
        """Answer `fault` to the next `times` matching calls (None: all, until clear_faults)."""
        rule = FaultRule(fault, method, chat_id, times)
        with self._lock:
            self._faults.append(rule)
        return rule

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def block(self, chat_id: int, *, announce: bool = False) -> None:
        """The user blocked the bot: every later send to the chat gets 403.

        With announce, Telegram's my_chat_member update (the bot now "kicked") is queued too.
        """
        self.inject(blocked(), method=None, chat_id=chat_id, times=None)
        if announce:
            with self._lock:
                user = self.add_user(chat_id)
                self.push_update({"my_chat_member": {
                    "chat": self.add_chat(chat_id, "private", user=user), "from": user, "date": int(time.time()),
                    "old_chat_member": chat_member_json("member", self.me),
                    "new_chat_member": chat_member_json("kicked", self.me)}})

    def migrate(self, old_chat_id: int, new_chat_id: int, *, announce: bool = False) -> None:
        """The group became a supergroup: every later send to the old id gets migrate_to_chat_id.

        With announce, the two service messages Telegram sends (migrate_to_chat_id in the old
        group, migrate_from_chat_id in the new supergroup) are queued as updates.
        """
        self.inject(migrated(new_chat_id), method=None, chat_id=old_chat_id, times=None)
        with self._lock:
            new_chat = self.add_chat(new_chat_id, "supergroup", title=self.chats.get(old_chat_id, {}).get("title"))
            if announce:
                old_chat = chat_json(self.chats, old_chat_id)
                for chat, key, value in ((old_chat, "migrate_to_chat_id", new_chat_id),
                                         (new_chat, "migrate_from_chat_id", old_chat_id)):
                    self.push_update({"message": {"message_id": self.next_message_id(chat["id"]),
                                                  "from": self.me, "chat": chat, "date": int(time.time()),
                                                  key: value}})

    # -- what happened --------------------------------------------------------------------------

    def calls(self, method: str | None = None) -> list[Call]:
        """Every request received (optionally of one method), in the order answered."""
        with self._lock:
            return [c for c in self._calls if method is None or c.method.lower() == method.lower()]

    def sent_messages(self, chat_id: ChatId | None = None) -> list[Sent]:
        """Messages accepted by sendMessage, in order (their latest text if edited later)."""
        with self._lock:
            return [s for s in self.sent if chat_id is None or s.chat_id == chat_id]

    def stats(self, *, accepted_only: bool = False) -> Stats:
        """Sliding-window maxima of the sendMessage requests received (or only those answered ok)."""
        with self._lock:
            return window_stats([(c.at, c.chat_id, c.status) for c in self._calls if c.method == "sendMessage"
                                 and (c.status == 200 or not accepted_only)])

    def reset(self) -> None:
        """Forget calls, sent messages, callback answers and faults (users, chats, members, stored
        messages, queued updates and commands stay)."""
        with self._lock:
            self._calls.clear()
            self.sent.clear()
            self.edits.clear()
            self.answers.clear()
            self._faults.clear()
            if self.limits is not None:
                self.limits = FloodLimits(self.limits.overall, self.limits.per_chat, self.limits.group_per_minute)

    async def wait_for_messages(
            self, n: int, timeout: float = 5.0,  # noqa: ASYNC109 - a deadline in seconds reads best in tests
            chat_id: ChatId | None = None) -> list[Sent]:
        """Wait until at least n messages were accepted (to `chat_id` if given); TimeoutError otherwise."""
        try:
            await self.wait_until(lambda: len(self.sent_messages(chat_id)) >= n, timeout)
        except TimeoutError:
            got = [s.text[:80] for s in self.sent_messages(chat_id)]
            raise TimeoutError(f"Bot API double: waited {timeout}s for {n} messages, got {len(got)}: {got}") from None
        return self.sent_messages(chat_id)

    async def wait_until(self, predicate: Callable[[], bool],
                         timeout: float = 5.0) -> None:  # noqa: ASYNC109 - as above
        """Wait until `predicate()` holds, re-checked after every answered call and poll start."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()
        with self._lock:
            self._waiters.append((loop, event))
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await event.wait()
                    event.clear()
        finally:
            with self._lock:
                self._waiters.remove((loop, event))

    def wait_for_messages_sync(self, n: int, timeout: float = 5.0, chat_id: ChatId | None = None) -> list[Sent]:
        """wait_for_messages for code outside the double's event loop (a thread-served double)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.sent_messages(chat_id)) >= n, timeout):
                got = [s.text[:80] for s in self.sent_messages(chat_id)]
                raise TimeoutError(f"Bot API double: waited {timeout}s for {n} messages, got {len(got)}: {got}")
            return self.sent_messages(chat_id)

    # -- HTTP -----------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await _serve_connection(reader, writer, self._handle)
        except asyncio.CancelledError:
            pass  # stop_async() ends connections; asyncio 3.11 logs a cancelled callback task as an error
        finally:
            self._tasks.discard(task)

    async def _handle(self, request: HttpRequest) -> HttpResponse | None:
        at = time.monotonic()
        path = request.target.partition("?")[0]
        if path.startswith("/_double/"):
            return control(self, request)
        match = _PATH.fullmatch(path)
        if match is None:
            return _error(404, "Not Found")
        if match.group(1) != self.token:
            return _error(401, "Unauthorized")
        name = self.canonical(match.group(2))
        try:
            params = decode_params(request)
        except ParamError as e:
            return self._answer(name or match.group(2), {}, at, None, ApiError(400, f"Bad Request: {e}"))
        chat_id = params.get("chat_id")
        if name is None:
            return self._answer(match.group(2), params, at, chat_id, ApiError(404, "Not Found"))
        fault = self._take_fault(name, chat_id)
        if fault is not None:
            if fault.delay:
                await asyncio.sleep(fault.delay)
            if fault.drop:
                self._record(Call(name, params, at, chat_id, 0, "connection dropped"))
                return None
            if fault.status:
                if fault.html:
                    self._record(Call(name, params, at, chat_id, fault.status, fault.description))
                    return HttpResponse(fault.status, _HTML_502, "text/html")
                failure = ApiError(fault.status, fault.description, fault.parameters)
                return self._answer(name, params, at, chat_id, failure)
        try:
            if self.limits is not None and name == "sendMessage" and chat_id is not None:
                with self._lock:
                    wait = self.limits.verdict(chat_id, at)
                if wait is not None:
                    raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})
            result = await self.call(name, params, at)
        except ApiError as e:
            return self._answer(name, params, at, chat_id, e)
        if self.limits is not None and name == "sendMessage" and chat_id is not None:
            with self._lock:
                self.limits.accept(chat_id, at)
        return self._answer(name, params, at, chat_id, result)

    def _answer(self, name: str, params: dict[str, Any], at: float, chat_id: Any,
                outcome: ApiError | Any) -> HttpResponse:
        if isinstance(outcome, ApiError):
            self._record(Call(name, params, at, chat_id, outcome.code, outcome.description))
            return _error(outcome.code, outcome.description, outcome.parameters)
        self._record(Call(name, params, at, chat_id, 200, None))
        payload = {"ok": True, "result": outcome}
        if name == "deleteWebhook":
            payload["description"] = "Webhook is already deleted"
        return json_response(200, payload)

    def _record(self, call: Call) -> None:
        with self._lock:
            self._calls.append(call)
        self.changed()

    def changed(self) -> None:
        """Wake everything waiting in wait_until, wait_for_messages(_sync)."""
        with self._changed:
            self._changed.notify_all()
            waiters = list(self._waiters)
        for loop, event in waiters:
            with contextlib.suppress(RuntimeError):  # that loop has closed
                loop.call_soon_threadsafe(event.set)

    def _take_fault(self, method: str, chat_id: ChatId | None) -> Fault | None:
        with self._lock:
            for rule in self._faults:
                if rule.matches(method, chat_id):
                    if rule.remaining is not None:
                        rule.remaining -= 1
                    return rule.fault
        return None

    def _wake_pollers(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self.wake_poller)


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> HttpResponse:
    payload: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        payload["parameters"] = parameters
    return json_response(code, payload)


if __name__ == "__main__":
    from tests.doubles.botapi_process import main

    main()
