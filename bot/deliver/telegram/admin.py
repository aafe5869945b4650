"""Admin commands (/feeds, /reload, /stats) and notices to the admins. IO: Bot API, store reads.

Only user ids in ``telegram.admins`` may run the admin commands. Notices tell the admins once
about each problem: a feed failing ``FEED_FAILURE_THRESHOLD`` times in a row (until it recovers
and fails again), a rule-file error (until its text changes), an alert in the dead-letter state.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Bot, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.deliver.telegram.commands import esc, reply
from bot.deliver.telegram.format import pages
from bot.store.chats import ChatStore
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook

log = logging.getLogger("watchbot.telegram")

Context = ContextTypes.DEFAULT_TYPE
FEED_FAILURE_THRESHOLD = 3


def ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "never"
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{max(seconds, 0)}s ago"


class Admin:
    """Admin commands and once-only notices."""

    def __init__(self, *, chats: ChatStore, store: SqliteStore, rules: RuleBook, admins: Sequence[int],
                 clock: Callable[[], datetime]) -> None:
        self.chats = chats
        self.store = store
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
            self.chats.ensure(tg.id, type=tg.type, title=tg.title or tg.full_name or "", now=self.clock())
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
        for f in self.store.feeds():
            mark = "⚠️" if f.consecutive_failures else "✅"
            line = f"{mark} <b>{esc(f.label)}</b>: ok {ago(f.last_success_at, now)}, {f.items_total} items"
            if f.consecutive_failures:
                line += f", {f.consecutive_failures} failures in a row: {esc((f.last_error or '')[:200])}"
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
        for page in pages(self.stats_lines()):
            await reply(update, page)

    def stats_lines(self) -> list[str]:
        rows = self.store.execute("SELECT channel, state, count(*) AS n FROM outbox GROUP BY channel, state "
                                  "ORDER BY channel, state").fetchall()
        lines = ["<b>Outbox</b>"]
        by_channel: dict[str, list[str]] = {}
        for r in rows:
            by_channel.setdefault(r["channel"], []).append(f"{r['state']} {r['n']}")
        lines += [f"• {esc(ch)}: {', '.join(parts)}" for ch, parts in by_channel.items()] or ["• empty"]
        dead = self.store.execute("SELECT last_error, count(*) AS n FROM outbox WHERE state = 'dead' "
                                  "GROUP BY last_error ORDER BY n DESC LIMIT 5").fetchall()
        if dead:
            lines.append("<b>Dead letters</b>")
            lines += [f"• {r['n']}: {esc((r['last_error'] or '')[:200])}" for r in dead]
        failing = [f for f in self.store.feeds() if f.consecutive_failures]
        lines.append(f"<b>Feeds</b>: {len(self.store.feeds())}, failing {len(failing)}")
        lines += [f"• {esc(f.label)}: {f.consecutive_failures}x {esc((f.last_error or '')[:120])}"
                  for f in failing[:10]]
        counts = self.chats.counts()
        lines.append(f"<b>Chats</b>: {counts['active']} active ({counts['paused']} paused), "
                     f"{counts['inactive']} inactive, {counts['subscriptions']} subscriptions")
        return lines

    # --- notices -----------------------------------------------------------------------------------

    async def notify(self, bot: Bot, key: str, text: str) -> bool:
        """Tell every admin ``text`` unless ``key`` was told before; True when sent now."""
        if self.chats.noticed(key):
            return False
        if not self.admins:
            log.warning("telegram: no admins configured to tell: %s", text)
        delivered = not self.admins
        for admin in self.admins:
            try:
                await bot.send_message(admin, text, parse_mode=ParseMode.HTML)
                delivered = True
            except TelegramError as e:
                log.warning("telegram: could not tell admin %s (they must /start the bot first): %s", admin, e)
        if delivered:
            self.chats.record_notice(key, text, now=self.clock())
        return delivered

    async def notify_problems(self, bot: Bot, store: SqliteStore, rules: RuleBook) -> int:
        """After each poll: new feed failures past the threshold, rule errors, dead letters. Returns notices sent."""
        sent = 0
        failing = [f for f in store.feeds()
                   if f.consecutive_failures >= FEED_FAILURE_THRESHOLD and not f.failure_notified]
        for f in failing:
            key = f"feed:{f.url}:{f.last_error_at.isoformat() if f.last_error_at else ''}"
            text = (f"⚠️ Feed <b>{esc(f.label)}</b> failed {f.consecutive_failures} times in a row: "
                    f"{esc((f.last_error or 'unknown error')[:300])}\n{esc(f.url)}")
            sent += await self.notify(bot, key, text)
            store.mark_failure_notified(f.url)
        for error in rules.errors:
            digest = hashlib.sha256(str(error).encode()).hexdigest()[:16]
            sent += await self.notify(bot, f"rule:{digest}", f"⚠️ Watchlist problem: {esc(str(error)[:1000])}")
        dead = store.execute(
            """SELECT id, channel, target, last_error FROM outbox WHERE state = 'dead'
               AND COALESCE(last_error, '') NOT LIKE 'skipped:%' -- a paused chat's choice, not a problem
               AND NOT EXISTS (SELECT 1 FROM admin_notices WHERE key = 'dead:' || outbox.id) ORDER BY id""").fetchall()
        if dead:
            reasons: dict[str, int] = {}
            for r in dead:
                reason = f"{r['channel']}: {(r['last_error'] or 'unknown')[:200]}"
                reasons[reason] = reasons.get(reason, 0) + 1
            lines = [f"⚠️ {len(dead)} alert{'s' * (len(dead) != 1)} could not be delivered (dead letters, see /stats):"]
            lines += [f"• {n}x {esc(reason)}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:10]]
            text = pages(lines)[0]
            if await self.notify(bot, f"dead:{dead[0]['id']}-{dead[-1]['id']}", text):
                sent += 1
                now = self.clock()
                with store.transaction():
                    for r in dead:
                        self.chats.record_notice(f"dead:{r['id']}", "", now=now)
        return sent
