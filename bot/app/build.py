"""The one wiring place: a Config in, the opened parts of watchbot out. IO: opens them.

    [telegram] set  -> alerts go to subscribed chats (TelegramChannel); the bot's handlers exist;
                       admin notices; chats in digest mode get theirs through the bot
    [email] set     -> email digests through SMTP
    neither         -> alerts go to the console

Both the CLI (``watchbot poll``, ``digest``, ``feeds`` ...) and the service (``watchbot run``)
open their parts here, so they cannot differ. ``serve=True`` (the service) holds the store for
itself and leaves starting the bot to the service; a one-off command initializes the bot for
sending only (reading updates is `watchbot run`'s job).
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.app.alerts import Alerts, Channel, ConsoleChannel, TelegramChannel
from bot.app.chats import Chats
from bot.app.digest_preview import DigestPreviews
from bot.app.digests import DigestService
from bot.app.feeds import FeedManager
from bot.app.judgments import Judgments
from bot.app.notices import Notices
from bot.app.phrases import Phrases
from bot.app.pipeline import Pipeline
from bot.app.recent_alerts import RecentAlerts
from bot.app.screen import ChatScreen
from bot.app.status import Status
from bot.app.suggest import Suggestions
from bot.app.watchlists import WatchlistEditor
from bot.app.web_auth import WebAuth
from bot.config import Config, is_postgres, postgres_url_problem, sqlite_path
from bot.deliver.email import SmtpSender
from bot.deliver.ratelimit import Pacer
from bot.deliver.telegram import TelegramSender
from bot.errors import StoreError, WatchbotError
from bot.feeds.fetch import HttpFetcher
from bot.observe import hide
from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore
from bot.telegram.app import TelegramBot, application
from bot.telegram.commands import reply
from bot.telegram.digest_commands import COMMANDS as DIGEST_COMMANDS
from bot.telegram.digest_commands import handlers as digest_handlers
from bot.telegram.digest_commands import list_line as digest_list_line
from bot.telegram.phrases import COMMANDS as PHRASE_COMMANDS
from bot.telegram.phrases import PhraseCommands, cap_notice
from bot.telegram.web_command import COMMANDS as WEB_COMMANDS
from bot.telegram.web_command import handlers as web_handlers
from bot.times import utcnow
from bot.watch import RuleBook

if TYPE_CHECKING:
    from starlette.types import ASGIApp

log = logging.getLogger("watchbot")


@dataclass
class App:
    """Everything a command or the service works with, opened from one Config."""

    config: Config
    store: Store
    rules: RuleBook
    clock: Callable[[], datetime]
    alerts: Alerts
    pipeline: Pipeline
    chats: Chats
    status: Status
    digests: DigestService | None = None
    notices: Notices | None = None
    telegram: TelegramBot | None = None
    fetcher: HttpFetcher | None = None
    phrases: Phrases | None = None
    editor: WatchlistEditor | None = None  # the web's watchlist editor; the service pulls others' saves through it

    @property
    def web_auth(self) -> WebAuth:
        """Login links and sessions of the web interface (admins are telegram.admins)."""
        admins = self.config.telegram.admins if self.config.telegram else ()
        return WebAuth(self.store, base_url=self.config.web_url, admins=admins, clock=self.clock)

    def feed_manager(self) -> FeedManager:
        assert self.fetcher is not None
        return FeedManager(self.config, self.store, self.fetcher, clock=self.clock)

    @property
    def channels(self) -> list[Channel]:
        return self.alerts.channels


def open_store(config: Config, *, serve: bool = False, upgrade: bool = True) -> Store:
    """The configured store, migrated; with ``serve`` it refuses a second `watchbot run` on SQLite.

    On PostgreSQL several `watchbot run` may share one store. ``upgrade=False`` (a command that only reads): an older
    store is refused, not upgraded (`watchbot feeds` run to check the config before restarting a service had
    upgraded its store under it, and the release before could not start on it again)."""
    return open_store_url(config.storage_url, base_dir=config.base_dir, serve=serve, upgrade=upgrade)


def open_store_url(url: str, *, base_dir: Path, serve: bool = False, upgrade: bool = True) -> Store:
    """The store at ``url`` (sqlite:///path, relative to ``base_dir``, or postgresql://...), migrated."""
    if is_postgres(url):
        from bot.store.postgres import PostgresStore, redact  # psycopg is only loaded by those who use it

        if problem := postgres_url_problem(url):  # (store copy --to: a URL the config never checked)
            raise StoreError(f"store {redact(url)}: {problem}")

        return PostgresStore(url, upgrade=upgrade)
    return SqliteStore(sqlite_path(url, base_dir), exclusive=serve, upgrade=upgrade)


@contextlib.asynccontextmanager
async def open_app(config: Config, *, serve: bool = False, offline: bool = False,
                   clock: Callable[[], datetime] = utcnow, store: Store | None = None, rules: RuleBook | None = None,
                   pacer: Pacer | None = None, poll_timeout: int = 10, existing: bool = False,
                   upgrade: bool = True, missing_ok: bool = False) -> AsyncIterator[App]:
    """Open the store, the rules, the HTTP client, the channels and the use-cases; close them on exit.

    ``offline``: a command that only reads (feeds, digest status) does not contact the Bot API. ``existing``: a
    command that reads what polls stored (alerts, stories, chats) refuses a SQLite store that is not there yet rather
    than create an empty one (run in the wrong folder, it said "0 alerts" and left a data/ folder behind).
    ``missing_ok``: such a command that has something to say all the same (`watchbot digest`: the recipients and the
    config's warnings) reads an empty store in memory instead."""
    rules = rules or RuleBook(config.rules_path)  # before the store: a broken rule folder touches nothing
    if existing and store is None and config.store_missing:
        raise WatchbotError(f"{config.db_path}: no store yet (nothing was polled with {config.source}): run "
                            "`watchbot poll` first, or give the --config of the install to read")
    own_store = store is None
    if missing_ok and store is None and config.store_missing:
        store = SqliteStore(":memory:")
    store = store or open_store(config, serve=serve, upgrade=upgrade)
    try:
        if upgrade and not store.read_only:  # (a command that only reads writes nothing: another config's `watchbot
            await store.run(store.feeds.sync, [(f.url, f.name) for f in config.feeds])  # alerts` added its feeds)
        async with contextlib.AsyncExitStack() as stack:
            app = await _assemble(config, store, rules, clock, stack, serve=serve, offline=offline, pacer=pacer,
                                  poll_timeout=poll_timeout)
            yield app
    finally:
        if own_store:
            store.close()


async def _assemble(config: Config, store: Store, rules: RuleBook, clock: Callable[[], datetime],
                    stack: contextlib.AsyncExitStack, *, serve: bool, offline: bool, pacer: Pacer | None,
                    poll_timeout: int) -> App:
    chats = Chats(store, clock=clock)
    status = Status(store)
    tg = config.telegram
    phrases = Phrases(store, rules, clock=clock, max_watch=tg.max_watch if tg else 50)
    await store.run(phrases.load)  # every chat's phrases and mutes, matched with the shared lists from here on
    chats.moved.append(phrases.moved)
    telegram: TelegramBot | None = None
    sender: TelegramSender | None = None
    notices: Notices | None = None
    channels: list[Channel]
    if tg is not None:
        telegram = TelegramBot(application(tg, pacer), chats=chats, status=status, rules=rules, admins=tg.admins,
                               clock=clock, poll_timeout=poll_timeout, judgments=Judgments(store, clock=clock),
                               suggest=Suggestions(store, lambda: rules.watchlists, clock=clock))
        sender = TelegramSender(telegram.bot)
        notices = Notices(store, sender, tg.admins, clock=clock)
        channels = [TelegramChannel(store, sender, chats, clock=clock, concurrency=tg.concurrency)]
        if not serve and not offline:
            await _initialize(config, telegram)
            stack.push_async_callback(telegram.application.shutdown)
    else:
        channels = [ConsoleChannel()]
    screen = ChatScreen(store, phrases, clock=clock, max_per_hour=tg.max_alerts_per_hour if tg else None,
                        sender=sender, notice=cap_notice, digest_at=tg.digest_at if tg else "08:00")
    alerts = Alerts(store, channels, clock=clock, screen=screen)
    if telegram is not None:
        phrase_commands = PhraseCommands(phrases=phrases, chats=chats, door=telegram.commands, reply=reply)
        telegram.add_handlers(phrase_commands.handlers(), PHRASE_COMMANDS)
        telegram.commands.list_sections.append(phrase_commands.list_lines)
        telegram.commands.own_verdict = phrases.explain
    digests = None
    if config.email is not None or telegram is not None:
        digests = DigestService(config, store, clock, smtp=SmtpSender(config.email) if config.email else None,
                                bot=sender, names=lambda: {w.id: w.name or w.id for w in rules.watchlists},
                                wanted=phrases.wanted)
        if telegram is not None:
            telegram.add_handlers(digest_handlers(digests, telegram.commands), DIGEST_COMMANDS)
            telegram.commands.list_sections.insert(0, digest_list_line(digests))  # (under the chat's settings)
    fetcher = await stack.enter_async_context(HttpFetcher(
        timeout=config.poll.timeout, max_bytes=config.poll.max_bytes,
        concurrency=config.poll.concurrency, per_host=config.poll.per_host))
    pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=phrases.matcher,
                        alerts=alerts, clock=clock, rng=random.Random())
    app = App(config=config, store=store, rules=rules, clock=clock, alerts=alerts, pipeline=pipeline, chats=chats,
              status=status, digests=digests, notices=notices, telegram=telegram, fetcher=fetcher, phrases=phrases,
              editor=WatchlistEditor(rules, store, clock=clock, emailed=emailed(config)))
    if telegram is not None and config.http_listen is not None:
        telegram.add_handlers(web_handlers(app.web_auth, telegram.commands), WEB_COMMANDS, admin=True)
    return app


def web_app(app: App) -> ASGIApp:
    """The web interface over the app's use-cases (served by `watchbot run` beside /healthz and /metrics)."""
    from bot.web.app import WebParts
    from bot.web.app import web_app as build

    def names() -> dict[str, str]:
        return {w.id: w.name or w.id for w in app.rules.watchlists}

    return build(WebParts(
        auth=app.web_auth, editor=app.editor or WatchlistEditor(app.rules, app.store, clock=app.clock,
                                                                emailed=emailed(app.config)),
        feeds=app.feed_manager(),
        status=app.status, alerts=RecentAlerts(app.store, lambda: app.rules.watchlists),
        digests=DigestPreviews(app.digests, names=names, clock=app.clock),
        secure_cookies=app.config.web_url.startswith("https://")))


async def _initialize(config: Config, telegram: TelegramBot) -> None:
    """Initialize the bot for sending; one readable line, without the token, when the Bot API is not there."""
    try:
        await telegram.application.initialize()
    except Exception as e:  # PTB's InvalidToken, NetworkError, TimedOut
        raise bot_api_error(config, e) from None


def bot_api_error(config: Config, e: BaseException) -> WatchbotError:
    """A failure to reach the Bot API as one line: where, why, what to check; secrets hidden."""
    tg = config.telegram
    reason = hide(str(e) or type(e).__name__, config.secrets())
    where = hide(tg.api_url, config.secrets()) if tg else "?"
    if "connect" in reason.lower() and "attempts failed" in reason.lower():
        return WatchbotError(f"telegram: cannot reach the Bot API at {where}: cannot connect; is telegram.api_url "
                             "right and the network up?")
    return WatchbotError(f"telegram: cannot reach the Bot API at {where}: {reason} "
                         "(check telegram.token and telegram.api_url)")


def emailed(config: Config) -> list[tuple[str, tuple[str, ...]]]:
    """The config's email digests that name their watchlists: (whom to, the ids)."""
    return [(", ".join(d.to), d.watchlists) for d in (config.email.digests if config.email else ()) if d.watchlists]
