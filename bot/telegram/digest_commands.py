"""/digest and /digest_at: a chat's digest on demand and its daily time. Front door: replies.

The digest use-case (``bot.app.digests.DigestService``) builds, pages and sends; these handlers
parse, check who may change the group's settings, and answer in the chat's language (``bot.i18n``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.i18n import EN, t
from bot.markup import esc
from bot.times import hhmm, zone

if TYPE_CHECKING:
    from bot.store.protocols import Chat
    from bot.telegram.commands import Commands

COMMANDS = [(name, EN[f"cmd.{name}"]) for name in ("digest", "digest_at")]

Context = ContextTypes.DEFAULT_TYPE


class DigestCommands(Protocol):
    """What the handlers need of the digest use-case."""

    clock: Callable[[], datetime]

    async def send_chat_digest(self, chat_id: int, now: datetime, *, manual: bool = False) -> Any: ...

    async def chat_digest_at(self, chat_id: int) -> str: ...

    async def set_chat_digest_at(self, chat_id: int, at: str | None) -> None: ...


def handlers(service: DigestCommands, commands: Commands) -> list[BaseHandler]:
    """/digest and /digest_at, for TelegramBot.add_handlers(handlers(...), COMMANDS)."""
    from bot.telegram.commands import reply

    async def digest(update: Update, context: Context) -> None:
        """/digest: send this chat's pending digest now. With words after it ("/digest at 07:30") the user meant
        /digest_at: say so, and send nothing."""
        chat, lang = await commands.chat_language(update)
        if await commands.refuse_unless_allowed(update, context, chat, said="group.admins_digest"):
            return  # (a member flushing the group's digest took what its daily digest would have held)
        if context.args:
            await reply(update, t(lang, "digest.args", at=esc(await service.chat_digest_at(chat.chat_id)),
                                  tz=esc(chat.tz)))
            return
        report = await service.send_chat_digest(chat.chat_id, service.clock(), manual=True)
        if getattr(report, "nothing", None):
            if any(s.mode == "digest" for s in await commands.chats.subscriptions(chat.chat_id)):
                at = await service.chat_digest_at(chat.chat_id)
                local = service.clock().astimezone(zone(chat.tz))  # ("at 00:52" at 00:54 is tomorrow's)
                key = "digest.nothing_tomorrow" if f"{local:%H:%M}" >= (hhmm(at) or at) else "digest.nothing_next"
                await reply(update, t(lang, key, at=esc(at), tz=esc(chat.tz)))
            else:  # (nothing in digest mode: say how to get a digest)
                await reply(update, t(lang, "digest.nothing"))
        elif getattr(report, "errors", None):
            await reply(update, t(lang, "digest.failed", error=esc(report.errors[0])))

    async def digest_at(update: Update, context: Context) -> None:
        """/digest_at HH:MM: when this chat's daily digest comes, in its /tz zone."""
        chat, lang = await commands.chat_language(update)
        args = context.args or []
        at = hhmm(args[0]) if len(args) == 1 else None
        if at is None:
            await reply(update, t(lang, "digest_at.usage", at=esc(await service.chat_digest_at(chat.chat_id)),
                                  tz=esc(chat.tz)))
            return
        if await commands.refuse_unless_allowed(update, context, chat):
            return
        await service.set_chat_digest_at(chat.chat_id, at)
        await reply(update, t(lang, "digest_at.set", at=at, tz=esc(chat.tz)))

    return [CommandHandler("digest", digest), CommandHandler("digest_at", digest_at)]


def list_line(service: DigestCommands) -> Callable[[Update, Chat], Awaitable[list[str]]]:
    """/list's line of the chat's daily digest time (a section for Commands.list_sections)."""

    from bot.telegram.commands import language

    async def line(update: Update, chat: Chat) -> list[str]:
        lang = language(update, chat)
        return [t(lang, "list.digest_at", at=esc(await service.chat_digest_at(chat.chat_id)), tz=esc(chat.tz))]

    return line
