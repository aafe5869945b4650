"""The service's optional parts, wired: the Telegram bot and the digests. Does IO through them.

    [telegram] set  -> TelegramService: commands in, alerts out (its channel replaces the console),
                       admin notices (feed failures, rule problems, dead letters) on a short tick
    [email] set     -> DigestService with an SMTP transport: email digests on their cron schedules
    both or either  -> chats in digest mode get theirs through the bot; /digest and /digest_at exist
    neither         -> nothing here; alerts go to the console

``Parts`` gives the service one face for all of this: ``channels``, ``start``/``stop``,
``install(scheduler)`` for the cron and notice jobs, ``describe`` for the start-up line, and
``problems()`` to say that a poll failed or a letter died (notices are then checked on the next tick).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.config import Config
from bot.errors import WatchbotError
from bot.pipeline import Channel
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook

if TYPE_CHECKING:
    from bot.deliver.telegram.app import TelegramService
    from bot.digests import DigestService

log = logging.getLogger("watchbot.service")

NOTICE_TICK = 5.0  # seconds between checks for problems to tell the admins about


def secrets(config: Config) -> list[str]:
    """The values that must never appear in a log line or an error message."""
    found = [config.telegram.token if config.telegram else None,
             config.email.password if config.email else None]
    return [s for s in found if s and len(s) >= 4]


def hide(text: str, hidden: list[str]) -> str:
    for secret in hidden:
        text = text.replace(secret, "(hidden)")
    return text


class Parts:
    """Telegram and digests as the config asks for them."""

    def __init__(self, config: Config, store: SqliteStore, rules: RuleBook, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.store = store
        self.rules = rules
        self.clock = clock
        self.telegram: TelegramService | None = None
        self.digests: DigestService | None = None
        self._problems = True  # check once at start
        if config.telegram is not None:
            from bot.deliver.telegram.app import TelegramService

            self.telegram = TelegramService(config, store, rules, clock)
        if config.email is not None or self.telegram is not None:
            self.digests = self._digest_service()

    def _digest_service(self) -> DigestService:
        from bot.deliver.email import SmtpSender
        from bot.digests import DigestService

        tg = self.telegram
        service = DigestService(
            self.config, self.store, self.clock,
            smtp=SmtpSender(self.config.email) if self.config.email else None,
            bot=tg.application.bot if tg else None,
            names=lambda: {w.id: w.name or w.id for w in self.rules.watchlists},
            notify=tg.notify_admins if tg else None,
        )
        if tg is not None:
            from bot.deliver.telegram_digest import COMMANDS, handlers

            tg.add_handlers(handlers(service, tg.commands), COMMANDS)
        return service

    @property
    def channels(self) -> list[Channel]:
        return [self.telegram.channel] if self.telegram else []

    def describe(self) -> list[str]:
        out = []
        if self.config.email is not None:
            n = len(self.digests.email_recipients()) if self.digests else 0
            out.append(f"email digests for {n} recipient{'s' * (n != 1)} via {self.config.email.host}")
        return out

    async def start(self) -> None:
        if self.telegram is None:
            return
        try:
            await self.telegram.start()
        except WatchbotError:
            raise
        except Exception as e:  # PTB's InvalidToken, NetworkError, TimedOut ...
            tg = self.config.telegram
            reason = hide(str(e) or type(e).__name__, secrets(self.config))
            raise WatchbotError(f"telegram: cannot start the bot at {tg.api_url if tg else '?'}: {reason} "
                                "(check telegram.token and telegram.api_url)") from None

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop()

    def install(self, scheduler: Any) -> None:
        """Digest cron jobs (kept in step by the digest part) and the admin-notice tick."""
        if self.digests is not None:
            self.digests.install(scheduler)
        if self.telegram is not None:
            scheduler.add_job(self._notices, "interval", seconds=NOTICE_TICK, id="notices",
                              name="tell the admins about problems")

    def problems(self) -> None:
        """Something an admin may need to hear of happened (a failed poll, a dead letter, a rule error)."""
        self._problems = True

    async def _notices(self) -> None:
        if not self._problems or self.telegram is None:
            return
        self._problems = False
        try:
            sent = await self.telegram.notify_problems()
        except Exception:  # the notices must never stop the service
            log.exception("telling the admins about problems failed")
            self._problems = True
            return
        if sent:
            log.info("told the admins about %d problem(s)", sent)
