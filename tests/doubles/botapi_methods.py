"""The Bot API methods of the double: state (users, chats, messages, updates) and what each answers.

No sockets here; botapi.BotApiDouble serves these over HTTP. Results are shaped as Telegram's
JSON so python-telegram-bot's de_json accepts them (ChatFullInfo, ChatMember* required fields).
Errors are ApiError with Telegram's codes and descriptions.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from tests.doubles.botapi_faults import ChatId
from tests.doubles.botapi_html import TextError, render

_DEFAULT_UPDATES = {"message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
                    "business_message", "edited_business_message", "deleted_business_messages",
                    "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
                    "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer", "my_chat_member",
                    "chat_join_request", "chat_boost", "removed_chat_boost"}
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"
_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")


class ApiError(Exception):
    """An error answer: HTTP status = error_code, Telegram's description and parameters."""

    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None) -> None:
        super().__init__(description)
        self.code, self.description, self.parameters = code, description, parameters or {}


@dataclass(frozen=True, slots=True)
class Call:
    """One request the double received and what it answered."""

    method: str  # canonical name ("sendMessage"), or as sent when unknown
    params: dict[str, Any]
    at: float  # time.monotonic() when the request had been read
    chat_id: ChatId | None
    status: int  # HTTP status answered (0: the connection was dropped)
    description: str | None  # the error description, None when ok


@dataclass(frozen=True, slots=True)
class Sent:
    """A message as Telegram stored it (sendMessage accepted, or its latest editMessageText)."""

    chat_id: ChatId
    message_id: int
    text: str  # rendered: tags removed, entities decoded, surrounding whitespace trimmed
    raw: str  # the text parameter as the bot sent it
    parse_mode: str | None
    entities: tuple[dict[str, Any], ...]
    reply_markup: dict[str, Any] | None
    at: float  # receipt time (time.monotonic()) of the request that sent or last edited it
    edited: bool = False

    @property
    def buttons(self) -> list[tuple[str, str | None]]:
        """(text, callback_data) of every inline button, row by row."""
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [(b.get("text", ""), b.get("callback_data")) for row in rows for b in row]


class _Poller:
    def __init__(self) -> None:
        self.event = asyncio.Event()
        self.conflicted = False


class Methods:
    """Bot API state and method implementations; guarded by one re-entrant lock."""

    def __init__(self, token: str, bot_username: str, strict_amp: bool) -> None:
        self.token = token
        self.strict_amp = strict_amp
        self.max_long_poll: float | None = None
        bot_id = int(token.split(":", 1)[0]) if token.split(":", 1)[0].isdigit() else 123456789
        self.me: dict[str, Any] = {"id": bot_id, "is_bot": True, "first_name": "Watchbot Test",
                                   "username": bot_username, "can_join_groups": True,
                                   "can_read_all_group_messages": False, "supports_inline_queries": False,
                                   "can_connect_to_business": False, "has_main_web_app": False}
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[ChatId, dict[str, Any]] = {}
        self.members: dict[tuple[ChatId, int], str] = {}
        self.messages: dict[tuple[ChatId, int], dict[str, Any]] = {}
        self.sent: list[Sent] = []
        self.edits: list[Sent] = []
        self.updates: list[dict[str, Any]] = []
        self.callbacks: dict[str, bool] = {}  # callback query id -> answered
        self.answers: list[dict[str, Any]] = []  # answerCallbackQuery parameters
        self.my_commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.allowed_updates: set[str] = set(_DEFAULT_UPDATES)
        self._lock = threading.RLock()
        self._update_id = 700_000_000
        self._message_ids: dict[ChatId, int] = {}
        self._poller: _Poller | None = None
        self._methods = {name.lower(): name for name in (
            "getMe", "deleteWebhook", "getUpdates", "sendMessage", "editMessageText", "editMessageReplyMarkup",
            "answerCallbackQuery",
            "getChatMember", "getChat", "setMyCommands", "getMyCommands", "deleteMyCommands")}

    # -- registries -----------------------------------------------------------------------------

    def canonical(self, name: str) -> str | None:
        """The method's canonical spelling (Telegram ignores case), None when the double lacks it."""
        return self._methods.get(name.lower())

    def add_user(self, user_id: int, *, first_name: str | None = None, username: str | None = None) -> dict[str, Any]:
        with self._lock:
            user = self.users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                   "first_name": first_name or f"User{user_id}",
                                                   "language_code": "en"})
            if first_name:
                user["first_name"] = first_name
            if username:
                user["username"] = username
            return user

    def add_chat(self, chat_id: ChatId, chat_type: str | None = None, *, title: str | None = None,
                 user: dict[str, Any] | None = None) -> dict[str, Any]:
        """Register a chat (its type defaults from the id: > 0 private, -100... supergroup, else group)."""
        with self._lock:
            chat = chat_json(self.chats, chat_id, chat_type, title=title, user=user)
            self.chats[chat_id] = chat
            return chat

    def next_message_id(self, chat_id: ChatId) -> int:
        with self._lock:
            self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
            return self._message_ids[chat_id]

    def next_update_id(self) -> int:
        with self._lock:
            self._update_id += 1
            return self._update_id

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """The command menu set by setMyCommands for a scope (default scope when None)."""
        with self._lock:
            return list(self.my_commands.get((_scope_key(scope), language_code), []))

    def menu_seen(self, chat_id: int, language_code: str) -> list[dict[str, str]]:
        """The menu a private chat's user with this Telegram language sees, as Telegram picks it: the chat's scope
        with the language's two letters, the chat's scope, then the default scope with them, the default scope."""
        code = language_code.split("-")[0].lower()
        chat = {"type": "chat", "chat_id": chat_id}
        with self._lock:
            for scope, lang in ((chat, code), (chat, ""), (None, code), (None, "")):
                if (found := self.my_commands.get((_scope_key(scope), lang))) is not None:
                    return list(found)
        return []

    def changed(self) -> None:
        """Called after state visible to waiters changed (BotApiDouble wakes its waiters)."""

    @property
    def polling(self) -> bool:
        """Whether a getUpdates call is waiting (long polling) right now."""
        return self._poller is not None

    def wake_poller(self) -> None:
        """Wake a waiting getUpdates (call in the serving loop)."""
        if self._poller is not None:
            self._poller.event.set()

    # -- dispatch -------------------------------------------------------------------------------

    async def call(self, name: str, params: dict[str, Any], at: float) -> Any:
        if name == "getUpdates":
            return await self._get_updates(params)
        with self._lock:
            handler = getattr(self, "_" + re.sub(r"([A-Z])", r"_\1", name).lower())
            return handler(params, at)

    def _get_me(self, _p: dict[str, Any], _at: float) -> Any:
        return self.me

    def _delete_webhook(self, p: dict[str, Any], _at: float) -> Any:
        if p.get("drop_pending_updates"):
            self.updates.clear()
        return True

    async def _get_updates(self, p: dict[str, Any]) -> list[dict[str, Any]]:
        limit = max(1, min(int(p.get("limit") or 100), 100))
        timeout = float(p.get("timeout") or 0)
        if self.max_long_poll is not None:
            timeout = min(timeout, self.max_long_poll)
        with self._lock:
            if "allowed_updates" in p and p["allowed_updates"] is not None:
                allowed = set(p["allowed_updates"])
                self.allowed_updates = allowed or set(_DEFAULT_UPDATES)
            self._confirm(int(p.get("offset") or 0))
            batch = self._pending(limit)
            if self._poller is not None:  # Telegram ends an earlier poll with 409
                self._poller.conflicted = True
                self._poller.event.set()
            me = self._poller = _Poller()
        self.changed()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not batch and (remaining := deadline - loop.time()) > 0:
                me.event.clear()
                with self._lock:
                    batch = self._pending(limit)
                if batch:
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(me.event.wait(), remaining)
                if me.conflicted:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only "
                                        "one bot instance is running")
                with self._lock:
                    batch = self._pending(limit)
        finally:
            with self._lock:
                if self._poller is me:
                    self._poller = None
        return batch

    def _confirm(self, offset: int) -> None:
        if offset > 0:
            self.updates[:] = [u for u in self.updates if u["update_id"] >= offset]
        elif offset < 0:
            self.updates[:] = self.updates[offset:]

    def _pending(self, limit: int) -> list[dict[str, Any]]:
        # Telegram never produces updates of types the bot did not allow
        self.updates[:] = [u for u in self.updates if set(u) - {"update_id"} <= self.allowed_updates]
        return [json.loads(json.dumps(u)) for u in self.updates[:limit]]

    def _send_message(self, p: dict[str, Any], at: float) -> Any:
        chat_id = self._chat(p)
        text, entities = self._render(p)
        self._check_reply(chat_id, p)
        markup = _inline_markup(p.get("reply_markup"))
        message_id = self.next_message_id(chat_id)
        message: dict[str, Any] = {"message_id": message_id, "from": self.me,
                                   "chat": chat_json(self.chats, chat_id), "date": int(time.time()), "text": text}
        if entities:
            message["entities"] = entities
        if markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message_id)] = message
        self.sent.append(Sent(chat_id, message_id, text, str(p["text"]), p.get("parse_mode"), tuple(entities),
                              markup, at))
        return message

    def _edit_message_text(self, p: dict[str, Any], at: float) -> Any:
        if p.get("inline_message_id"):
            self._render(p)
            return True
        chat_id, message = self._editable(p)
        text, entities = self._render(p)
        markup = _inline_markup(p.get("reply_markup"))
        if (text, entities, markup) == (message["text"], message.get("entities", []), message.get("reply_markup")):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        message.update(text=text, edit_date=int(time.time()))
        for key, value in (("entities", entities), ("reply_markup", markup)):
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        edited = Sent(chat_id, message["message_id"], text, str(p["text"]), p.get("parse_mode"), tuple(entities),
                      markup, at, edited=True)
        self.edits.append(edited)
        self.sent[:] = [edited if (s.chat_id, s.message_id) == (chat_id, edited.message_id) else s
                        for s in self.sent]
        return message

    def _edit_message_reply_markup(self, p: dict[str, Any], at: float) -> Any:
        """Only the inline keyboard of a message the bot sent (no markup: the keyboard removed)."""
        if p.get("inline_message_id"):
            _inline_markup(p.get("reply_markup"))
            return True
        chat_id, message = self._editable(p)
        markup = _inline_markup(p.get("reply_markup"))
        if markup == message.get("reply_markup"):
            raise ApiError(400, "Bad Request: message is not modified: specified new message content and reply "
                                "markup are exactly the same as a current content and reply markup of the message")
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        old = next((s for s in reversed(self.sent) if (s.chat_id, s.message_id) == (chat_id, message["message_id"])),
                   None)
        if old is None:  # (a message `user_presses` made up, never sent by the bot: its edit is recorded alone)
            return message
        edited = replace(old, reply_markup=markup, at=at, edited=True)
        self.edits.append(edited)
        self.sent[:] = [edited if s is old else s for s in self.sent]
        return message

    def _editable(self, p: dict[str, Any]) -> tuple[ChatId, dict[str, Any]]:
        """The chat and the message an edit names, refused as Telegram refuses it."""
        chat_id = self._chat(p)
        if "message_id" not in p:
            raise ApiError(400, "Bad Request: message identifier is not specified")
        message = self.messages.get((chat_id, int(p["message_id"])))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message["from"].get("id") != self.me["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return chat_id, message

    def _answer_callback_query(self, p: dict[str, Any], _at: float) -> Any:
        query_id = str(p.get("callback_query_id") or "")
        if self.callbacks.get(query_id, True):
            raise ApiError(400, _QUERY_TOO_OLD)
        if len(str(p.get("text") or "")) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self.callbacks[query_id] = True
        self.answers.append(dict(p))
        return True

    def _get_chat_member(self, p: dict[str, Any], _at: float) -> Any:
        chat_id = self._chat(p)
        if "user_id" not in p:
            raise ApiError(400, "Bad Request: user_id is empty")
        user_id = int(p["user_id"])
        status = self.members.get((chat_id, user_id))
        if status is None:
            status = "member" if chat_id == user_id else "left"
        return chat_member_json(status, self.users.get(user_id) or {"id": user_id, "is_bot": False,
                                                                    "first_name": f"User{user_id}"})

    def _get_chat(self, p: dict[str, Any], _at: float) -> Any:
        chat = dict(chat_json(self.chats, self._chat(p)))
        chat.update(accent_color_id=0, max_reaction_count=11,
                    accepted_gift_types={"unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
                                         "premium_subscription": False, "gifts_from_channels": False})
        return chat

    def _set_my_commands(self, p: dict[str, Any], _at: float) -> Any:
        commands = p.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, "Bad Request: too many commands specified")
        for c in commands:
            if not isinstance(c, dict) or not _COMMAND.fullmatch(str(c.get("command", ""))):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(c.get("description", "")).strip()) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        key = (_scope_key(p.get("scope")), str(p.get("language_code") or ""))
        self.my_commands[key] = [{"command": c["command"], "description": c["description"]} for c in commands]
        return True

    def _get_my_commands(self, p: dict[str, Any], _at: float) -> Any:
        return self.commands(p.get("scope"), str(p.get("language_code") or ""))

    def _delete_my_commands(self, p: dict[str, Any], _at: float) -> Any:
        self.my_commands.pop((_scope_key(p.get("scope")), str(p.get("language_code") or "")), None)
        return True

    # -- helpers --------------------------------------------------------------------------------

    def _chat(self, p: dict[str, Any]) -> ChatId:
        chat_id = p.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, "Bad Request: chat_id is empty")
        if isinstance(chat_id, str) and chat_id not in self.chats:
            raise ApiError(400, "Bad Request: chat not found")
        assert isinstance(chat_id, int | str)
        return chat_id

    def _check_reply(self, chat_id: ChatId, p: dict[str, Any]) -> None:
        """A reply needs its message, unless the bot allowed sending without it."""
        reply = p.get("reply_parameters") or {}
        if not isinstance(reply, dict):
            raise ApiError(400, "Bad Request: can't parse reply parameters JSON object")
        message_id = reply.get("message_id", p.get("reply_to_message_id"))
        if message_id is None or reply.get("allow_sending_without_reply", p.get("allow_sending_without_reply")):
            return
        if (reply.get("chat_id", chat_id), int(message_id)) not in self.messages:
            raise ApiError(400, "Bad Request: message to be replied not found")

    def _render(self, p: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        try:
            return render(p.get("text"), p.get("parse_mode"), strict_amp=self.strict_amp)
        except TextError as e:
            raise ApiError(400, f"Bad Request: {e}") from None


def chat_json(chats: dict[ChatId, dict[str, Any]], chat_id: ChatId, chat_type: str | None = None, *,
              title: str | None = None, user: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Chat object: the registered one, or one made up from the id."""
    known = chats.get(chat_id)
    if known is not None and chat_type in (None, known["type"]) and title is None:
        return known
    if chat_type is None:
        if not isinstance(chat_id, int):
            chat_type = "channel"  # an @username
        elif chat_id > 0:
            chat_type = "private"
        else:
            chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
    chat: dict[str, Any] = {"id": chat_id, "type": chat_type}
    if chat_type == "private":
        chat["first_name"] = (user or {}).get("first_name") or f"User{chat_id}"
        if user and user.get("username"):
            chat["username"] = user["username"]
    else:
        chat["title"] = title or f"{chat_type.title()} {chat_id}"
    return chat


def chat_member_json(status: str, user: dict[str, Any]) -> dict[str, Any]:
    """A ChatMember object with every field python-telegram-bot requires for that status."""
    if status not in _STATUSES:
        raise ValueError(f"chat member status {status!r}: expected one of {', '.join(_STATUSES)}")
    member: dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update({key: False for key in (
            "can_be_edited", "is_anonymous", "can_post_stories", "can_edit_stories", "can_delete_stories",
            "can_promote_members")})
        member.update({key: True for key in (
            "can_manage_chat", "can_delete_messages", "can_manage_video_chats", "can_restrict_members",
            "can_change_info", "can_invite_users", "can_pin_messages")})
    elif status == "restricted":
        member.update({key: False for key in (
            "can_change_info", "can_invite_users", "can_pin_messages", "can_send_messages", "can_send_polls",
            "can_send_other_messages", "can_add_web_page_previews", "can_manage_topics", "can_send_audios",
            "can_send_documents", "can_send_photos", "can_send_videos", "can_send_video_notes",
            "can_send_voice_notes", "can_edit_tag", "can_react_to_messages")}, is_member=True, until_date=0)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _inline_markup(markup: Any) -> dict[str, Any] | None:
    """The inline keyboard as Telegram echoes it; other keyboards are not echoed. Checks button data."""
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: field \"inline_keyboard\" "
                            "must be an Array of Arrays")
    # Telegram's limits, found by bots that met them (documented nowhere): 100 buttons, 8 a row, and about 10 KB of
    # markup; past them, "reply markup is too long".
    if (sum(len(r) for r in rows) > 100 or any(len(r) > 8 for r in rows)
            or len(json.dumps(markup, ensure_ascii=False).encode()) > 10_000):
        raise ApiError(400, "Bad Request: reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are "
                                    "unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            if data is None and not any(k in button for k in ("url", "switch_inline_query", "web_app",
                                                               "login_url", "pay", "copy_text",
                                                               "switch_inline_query_current_chat")):
                raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are "
                                    "unallowed in the inline keyboard")
    return {"inline_keyboard": [[dict(b) for b in row] for row in rows]}


def _scope_key(scope: Any) -> str:
    return json.dumps(scope or {"type": "default"}, sort_keys=True)

