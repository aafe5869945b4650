"""The Telegram front door: the bot's Application, its handlers and its lifecycle. IO: Bot API.

The lifecycle is explicit, as python-telegram-bot's examples draw it:

    start: initialize | setMyCommands | start | updater.start_polling
    stop:  updater.stop | stop | shutdown

Handlers call use-cases (``bot.app``); sending alerts, digests and notices is the senders' job
through the same ``Bot`` (``.bot``), whose every request except getUpdates goes through our
``Pacer`` (Telegram's limits with a margin).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Bot, ChatMember, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.app.chats import Chats
from bot.app.judgments import Judgments
from bot.app.status import Status
from bot.config import TelegramConfig
from bot.deliver.ratelimit import Pacer
from bot.errors import StoreError
from bot.i18n import language_for, t
from bot.telegram.admin import Admin
from bot.telegram.commands import ADMIN_COMMANDS, COMMANDS, Commands, language, welcome_back
from bot.telegram.feedback import Feedback, SuggestionReport
from bot.telegram.menus import Menus
from bot.telegram.reading import ReadableUpdates
from bot.telegram.updates import FairUpdates
from bot.watch import RuleBook

log = logging.getLogger("watchbot.telegram")


def application(tg: TelegramConfig, pacer: Pacer | None = None) -> Application:
    """PTB's Application pointed at ``telegram.api_url`` (a self-hosted Bot API server or a test double)."""
    api = tg.api_url.rstrip("/")
    return (ApplicationBuilder().token(tg.token).base_url(api + "/bot").base_file_url(api + "/file/bot")
            .get_updates_request(ReadableUpdates(connection_pool_size=1))  # (one unreadable update: skipped)
            .rate_limiter(pacer or Pacer()).concurrent_updates(FairUpdates()).job_queue(None).build())


class TelegramBot:
    """Commands in: every handler of the bot, and its start and stop."""

    def __init__(self, app: Application, *, chats: Chats, status: Status, rules: RuleBook, admins: Sequence[int],
                 clock: Callable[[], datetime], poll_timeout: int = 10, judgments: Judgments | None = None,
                 suggest: SuggestionReport | None = None) -> None:
        self.application = app
        self.chats = chats
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.extra_help: list[tuple[str, str]] = []
        self.commands = Commands(chats=chats, rules=rules, clock=clock, extra_help=self.extra_help)
        self.admin = Admin(chats=chats, status=status, rules=rules, admins=admins, clock=clock)
        self.feedback = Feedback(judgments=judgments, admin=self.admin, suggest=suggest) if judgments else None
        self._extra: list[BaseHandler] = []
        self._started = False

    @property
    def bot(self) -> Bot:
        return self.application.bot

    def add_handlers(self, handlers: Sequence[BaseHandler], commands: Sequence[tuple[str, str]] = (), *,
                     admin: bool = False) -> None:
        """More handlers (e.g. /digest, /digest_at) and their menu entries (``admin``: in the admins' menus and in
        /help's admin line only, as /web); call before start()."""
        if self._started:
            raise RuntimeError("add_handlers() must be called before start()")
        self._extra.extend(handlers)
        (self.commands.extra_admin if admin else self.extra_help).extend(commands)

    async def start(self) -> None:
        """initialize | setMyCommands | start | start_polling. May be called again after it failed (the Bot API out
        of reach): what it did already is not done twice."""
        app = self.application
        if not self._started:
            feedback = self.feedback.handlers() if self.feedback else []
            app.add_handlers([*self.commands.handlers(), *self.admin.handlers(), *feedback, *self._extra,
                              # last: only a command no handler above took
                              MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, self.commands.unknown),
                              MessageHandler(filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE
                                             & ~filters.UpdateType.EDITED, self.commands.plain),
                              ChatMemberHandler(self._membership, ChatMemberHandler.MY_CHAT_MEMBER),
                              MessageHandler(filters.StatusUpdate.MIGRATE, self._migrated)])
            app.add_error_handler(self._on_error)
            self._started = True
        await app.initialize()
        admin_menu = [*ADMIN_COMMANDS, *self.commands.extra_admin]
        menus = self.commands.menus = Menus([*COMMANDS, *self.extra_help], admin_menu, self.admin.admins)
        languages = {}
        for admin in menus.admins:  # (an admin's menu in the language of their chat with the bot, where it has one)
            chat = await self.chats.get(admin)
            languages[admin] = chat.language if chat else None
        await menus.install(app.bot, languages)
        if not app.running:
            await app.start()
        assert app.updater is not None
        if not app.updater.running:
            await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES,
                                            error_callback=_reading_failed)
        log.info("telegram: polling for updates as @%s", app.bot.username)

    async def stop(self) -> None:
        """updater.stop | stop | shutdown (each only if it ran)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def _membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was removed from (or blocked in) a chat: it gets nothing more; added: it is known."""
        change = update.my_chat_member
        if change is None:
            return
        chat, status = change.chat, change.new_chat_member.status
        if status in (ChatMember.LEFT, ChatMember.BANNED):
            await self.chats.seen(chat.id, type=chat.type, title=chat.title or chat.full_name or "")
            await self.chats.deactivate(chat.id, f"the bot was removed ({status})" if chat.type != "private"
                                        else "the user blocked the bot")
            return
        known, back = await self.chats.arrive(chat.id, type=chat.type, title=chat.title or chat.full_name or "")
        if back is not None:  # added again, or unblocked: what it lost meanwhile
            with contextlib.suppress(TelegramError):
                await context.bot.send_message(chat.id, welcome_back(back, language(update, known), known.tz),
                                               parse_mode=ParseMode.HTML)

    async def _migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: its settings, subscriptions, pending alerts and digest state follow."""
        message = update.effective_message
        if message is None or not message.migrate_to_chat_id:
            return
        await self.chats.migrate(message.chat.id, message.migrate_to_chat_id)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log it, and tell the person who sent the update that it did not work (they would hear nothing): that the
        bot's storage refuses writes, or else that the bot is at fault. Their language from Telegram alone: the
        store may be what fails."""
        store = isinstance(context.error, StoreError)
        if store:
            log.error("telegram: handling an update failed: %s", context.error)
        else:
            log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)
        if not isinstance(update, Update):
            return
        user = update.effective_user
        text = t(language_for(user.language_code if user else None), "error.store" if store else "error.internal")
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text)
            elif update.effective_message is not None and update.effective_message.text:
                await update.effective_message.reply_text(text, allow_sending_without_reply=True)
        except TelegramError as e:
            log.info("telegram: could not say that handling an update failed: %s", e)


def _reading_failed(error: TelegramError) -> None:
    """getUpdates failed; python-telegram-bot tries again, waiting up to 30 s between tries. One line each time, not
    its default traceback: a Bot API outage of an hour made hundreds of them."""
    log.warning("telegram: reading updates failed, trying again: %s: %s", type(error).__name__, error)

