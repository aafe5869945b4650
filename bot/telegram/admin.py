"""Admin commands: /feeds, /reload, /stats. Front door: replies; use-cases read the state.

Only user ids in ``telegram.admins`` may run them. Notices to the admins (feed failures, rule
problems, dead letters) are the ``bot.app.notices`` use-case's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.app.chats import Chats
from bot.app.polling import Interval
from bot.app.status import Status
from bot.markup import esc
from bot.render.telegram import pages
from bot.telegram.commands import reply
from bot.watch import RuleBook

log = logging.getLogger("watchbot.telegram")

Context = ContextTypes.DEFAULT_TYPE


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


class Admin:
    """The admin commands."""

    def __init__(self, *, chats: Chats, status: Status, rules: RuleBook, admins: Sequence[int],
                 clock: Callable[[], datetime]) -> None:
        self.chats = chats
        self.status = status
        self.rules = rules
        self.admins = tuple(admins)
        self.clock = clock

    def handlers(self) -> list[BaseHandler]:
        return [CommandHandler("feeds", self.feeds), CommandHandler("reload", self.reload),
                CommandHandler("stats", self.stats)]

    async def refuse(self, update: Update) -> bool:
        """True (after replying) when the sender is not one of the bot's admins."""
        tg = update.effective_chat
        if tg is not None:  # every chat that writes is recorded, as the other commands do
            await self.chats.seen(tg.id, type=tg.type, title=tg.title or tg.full_name or "")
        user = update.effective_user
        if user is not None and user.id in self.admins:
            return False
        await reply(update, "This command is for the bot's admins (telegram.admins in the config).")
        return True

    async def feeds(self, update: Update, context: Context) -> None:
        """/feeds: health of every feed."""
        if await self.refuse(update):
            return
        now = self.clock()
        lines = []
        for f in await self.status.feeds():
            mark = "⚠️" if f.consecutive_failures else "✅"
            line = f"{mark} <b>{esc(f.label)}</b>: ok {ago(f.last_success_at, now)}, {f.items_total} items"
            if f.consecutive_failures:
                line += f", {f.consecutive_failures} failures in a row: {esc((f.last_error or '')[:200])}"
            if f.interval_seconds and f.interval_reason:
                line += f", {esc(Interval(f.interval_seconds, f.interval_reason).every)} ({esc(f.interval_reason)})"
            lines.append(line)
        for page in pages(lines or ["No feeds configured."]):
            await reply(update, page)

    async def reload(self, update: Update, context: Context) -> None:
        """/reload: read the watchlists again and report problems."""
        if await self.refuse(update):
            return
        self.rules.refresh(force=True)
        ids = ", ".join(w.id for w in self.rules.watchlists) or "none"
        lines = [f"Reloaded: {len(self.rules.watchlists)} watchlists ({esc(ids)})."]
        if self.rules.errors:
            lines.append(f"{len(self.rules.errors)} problems:")
            lines += [f"• {esc(e)}" for e in self.rules.errors]
        for page in pages(lines):
            await reply(update, page)

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: the outbox by channel and state (dead letters too), failing feeds, chats."""
        if await self.refuse(update):
            return
        for page in pages(await self.stats_lines()):
            await reply(update, page)

    async def stats_lines(self) -> list[str]:
        stats = await self.status.stats()
        lines = ["<b>Outbox</b>"]
        lines += [f"• {esc(ch)}: {', '.join(f'{state} {n}' for state, n in states.items())}"
                  for ch, states in stats.outbox.items()] or ["• empty"]
        if stats.dead_reasons:
            lines.append("<b>Dead letters</b>")
            lines += [f"• {n}: {esc(reason[:200])}" for reason, n in stats.dead_reasons]
        failing = stats.failing
        lines.append(f"<b>Feeds</b>: {len(stats.feeds)}, failing {len(failing)}")
        lines += [f"• {esc(f.label)}: {f.consecutive_failures}x {esc((f.last_error or '')[:120])}"
                  for f in failing[:10]]
        stories, reports = stats.stories
        lines.append(f"<b>Stories</b> (last 24 h): {stories}, from {reports} reports "
                     f"({reports - stories} merged into an earlier story)")
        counts = stats.chats
        lines.append(f"<b>Chats</b>: {counts['active']} active ({counts['paused']} paused), "
                     f"{counts['inactive']} inactive, {counts['subscriptions']} subscriptions")
        return lines
