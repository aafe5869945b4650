"""TelegramService: the bot's Application, its commands, the alert sender and admin notices. IO: Bot API.

The lifecycle is explicit, as python-telegram-bot's examples draw it:

    start: initialize | setMyCommands | start | updater.start_polling
    stop:  updater.stop | stop | shutdown

Every Bot API request except getUpdates goes through our `Pacer` (Telegram's limits with a
margin). The service owns no scheduler: the caller drains the outbox with ``.channel`` in its
Pipeline and calls ``notify_problems`` after each poll.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import BotCommand, ChatMember, Update
from telegram.ext import (
    Application,
    ApplicationBuilder,
    BaseHandler,
    ChatMemberHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot.config import Config
from bot.deliver.telegram.admin import Admin
from bot.deliver.telegram.commands import ADMIN_COMMANDS, COMMANDS, Commands
from bot.deliver.telegram.ratelimit import Pacer
from bot.deliver.telegram.sender import CHANNEL, TelegramSender
from bot.errors import ConfigError
from bot.pipeline import Channel
from bot.store.chats import ChatStore
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook

log = logging.getLogger("watchbot.telegram")


class TelegramService:
    """The Telegram side of watchbot: commands in, alerts and notices out."""

    def __init__(self, config: Config, store: SqliteStore, rules: RuleBook, clock: Callable[[], datetime], *,
                 pacer: Pacer | None = None, poll_timeout: int = 10) -> None:
        if config.telegram is None:
            raise ConfigError("config", ["telegram: section missing (token and api_url are needed for the bot)"])
        tg = config.telegram
        api = tg.api_url.rstrip("/")
        self.config = config
        self.store = store
        self.rules = rules
        self.clock = clock
        self.poll_timeout = poll_timeout
        self.application: Application = (
            ApplicationBuilder().token(tg.token).base_url(api + "/bot").base_file_url(api + "/file/bot")
            .rate_limiter(pacer or Pacer()).job_queue(None).build()
        )
        self.chats = ChatStore(store)
        self.extra_help: list[tuple[str, str]] = []
        self.commands = Commands(chats=self.chats, rules=rules, clock=clock, extra_help=self.extra_help)
        self.admin = Admin(chats=self.chats, store=store, rules=rules, admins=tg.admins, clock=clock)
        self.sender = TelegramSender(self.application.bot, self.chats, clock=clock, concurrency=tg.concurrency)
        self.channel = Channel(sender=self.sender, recipients=self.chats.instant_recipients)
        self._extra: list[BaseHandler] = []
        self._started = False

    def add_handlers(self, handlers: Sequence[BaseHandler], commands: Sequence[tuple[str, str]] = ()) -> None:
        """More handlers (e.g. /digest, /digest_at) and their menu entries; call before start()."""
        if self._started:
            raise RuntimeError("add_handlers() must be called before start()")
        self._extra.extend(handlers)
        self.extra_help.extend(commands)

    async def start(self) -> None:
        """initialize | setMyCommands | start | start_polling."""
        app = self.application
        app.add_handlers([*self.commands.handlers(), *self.admin.handlers(), *self._extra,
                          ChatMemberHandler(self._membership, ChatMemberHandler.MY_CHAT_MEMBER),
                          MessageHandler(filters.StatusUpdate.MIGRATE, self._migrated)])
        app.add_error_handler(self._on_error)
        self._started = True
        await app.initialize()
        menu = [*COMMANDS, *self.extra_help, *ADMIN_COMMANDS]
        await app.bot.set_my_commands([BotCommand(name, text[:256]) for name, text in menu])
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=self.poll_timeout, allowed_updates=Update.ALL_TYPES)
        log.info("telegram: polling for updates as @%s", app.bot.username)

    async def stop(self) -> None:
        """updater.stop | stop | shutdown (each only if it ran)."""
        app = self.application
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()

    async def notify_admins(self, key: str, text: str) -> bool:
        """Tell the admins ``text`` (HTML, escaped by the caller) once per ``key``."""
        return await self.admin.notify(self.application.bot, key, text)

    async def notify_problems(self, store: SqliteStore | None = None, rules: RuleBook | None = None) -> int:
        """After each poll: feed failures past the threshold, rule errors and dead letters, each told once."""
        return await self.admin.notify_problems(self.application.bot, store or self.store, rules or self.rules)

    async def _membership(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The bot was removed from (or blocked in) a chat: it gets nothing more; added: it is known."""
        change = update.my_chat_member
        if change is None:
            return
        chat, status = change.chat, change.new_chat_member.status
        if status in (ChatMember.LEFT, ChatMember.BANNED):
            self.chats.ensure(chat.id, type=chat.type, title=chat.title or chat.full_name or "", now=self.clock())
            self.chats.deactivate(chat.id, f"the bot was removed ({status})", now=self.clock())
            log.info("telegram: removed from chat %s; deactivated and unsubscribed", chat.id)
        else:
            self.chats.ensure(chat.id, type=chat.type, title=chat.title or chat.full_name or "", now=self.clock())

    async def _migrated(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group became a supergroup: its settings, subscriptions and pending alerts follow."""
        message = update.effective_message
        if message is None or not message.migrate_to_chat_id:
            return
        old, new = message.chat.id, message.migrate_to_chat_id
        self.chats.migrate(old, new, now=self.clock())
        self.store.retarget(CHANNEL, str(old), str(new))
        log.info("telegram: group %s migrated to %s", old, new)

    async def _on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        log.error("telegram: handling an update failed: %s", context.error, exc_info=context.error)
