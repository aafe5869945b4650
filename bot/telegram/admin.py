"""Admin commands: /feeds, /reload, /stats. Front door: replies; use-cases read the state.

Only user ids in ``telegram.admins`` may run them. Notices to the admins (feed failures, rule
problems, dead letters) are the ``bot.app.notices`` use-case's. Replies come from ``bot.i18n`` in the
chat's language; what the use-cases say in words (a feed's error, its polling interval and reason, a
rule file's problem) is quoted as they say it, in English, as in the logs and the CLI.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.app.chats import Chats
from bot.app.feeds import HEALTHS, by_name
from bot.app.status import Status
from bot.i18n import CATALOG, DEFAULT, choose, t
from bot.markup import esc
from bot.render.telegram import listed, pages, poll_interval
from bot.store.protocols import FeedState
from bot.telegram.commands import language, reply
from bot.watch import RuleBook
from bot.watch.text import phrase_key

log = logging.getLogger("watchbot.telegram")

Context = ContextTypes.DEFAULT_TYPE


def ago(then: datetime | None, now: datetime, lang: str = "en") -> str:
    """'3h ago' (in ``lang``): the largest whole unit."""
    if then is None:
        return t(lang, "ago.never")
    seconds = int((now - then).total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return t(lang, f"ago.{unit}", n=seconds // size)
    return t(lang, "ago.s", n=max(seconds, 0))


def state_name(lang: str, state: str) -> str:
    """An outbox state in ``lang`` (a state the catalog does not know is shown as stored)."""
    return t(lang, f"state.{state}") if f"state.{state}" in CATALOG[DEFAULT] else esc(state)


FEW = 30  # feeds /feeds lists whole: 20,000 feeds made 750 messages; past it, counts and the feeds to look at


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

    async def admitted(self, update: Update, *, private: bool = False) -> str | None:
        """The language to answer an admin in; None (after replying) when the sender is not an admin, or ``private``
        and the chat is a group (a bot admin's /feeds in a newsroom's group showed every feed's address, a private
        feed's key in it, and every chat's counts, to all its members)."""
        tg = update.effective_chat
        chat = None
        if tg is not None:  # every chat that writes is recorded, as the other commands do
            chat = await self.chats.seen(tg.id, type=tg.type, title=tg.title or tg.full_name or "")
        user = update.effective_user
        lang = language(update, chat) if chat is not None else choose(None, user.language_code if user else None)
        if user is not None and user.id in self.admins:
            if private and tg is not None and tg.type != "private":
                await reply(update, t(lang, "admin.private"))
                return None
            return lang
        await reply(update, t(lang, "admin.only"))
        return None

    async def feeds(self, update: Update, context: Context) -> None:
        """/feeds: health of every feed; past FEW feeds, a count by health and the feeds that need a look (failing,
        or not reached); /feeds TEXT: the feeds whose name or address holds TEXT."""
        lang = await self.admitted(update, private=True)
        if lang is None:
            return
        now = self.clock()
        feeds = sorted(await self.status.feeds(), key=by_name)
        text = " ".join(context.args or []).strip()
        if not feeds:
            await reply(update, t(lang, "feeds.none"))
            return
        if not text and len(feeds) <= FEW:
            chosen, lines = feeds, []
        else:
            needle = phrase_key(text)  # (folded: "RFI 華語" finds "RFI 华语")
            chosen = ([f for f in feeds if needle in phrase_key(f.label) or needle in f.url.casefold()] if text
                      else [f for f in feeds if f.health in ("failing", "unreached")])
            counts = Counter(f.health for f in feeds)
            states = t(lang, "separator").join(t(lang, f"health.{h}", count=f"{counts[h]:,}")
                                               for h in HEALTHS if counts[h])
            lines = [t(lang, "feeds.summary", count=f"{len(feeds):,}", states=states)]
            if not chosen:
                lines.append(t(lang, "feeds.no_match", text=esc(text)) if text else t(lang, "feeds.all_fine"))
            elif text:  # (the count above is of every feed)
                lines.append(t(lang, "feeds.found", count=len(chosen), text=esc(text)))
        lines += [self._feed_line(f, now, lang) for f in chosen[:FEW]]
        if len(chosen) > FEW:
            lines.append(t(lang, "feeds.more", count=f"{len(chosen) - FEW:,}"))
        if not text and len(feeds) > FEW:
            lines.append(t(lang, "feeds.hint"))
        for page in pages(lines):
            await reply(update, page)

    def _feed_line(self, f: FeedState, now: datetime, lang: str) -> str:
        mark = "⚠️" if f.consecutive_failures else "❔" if f.unreached else "⏸️" if f.paused else "✅"
        line = t(lang, "feeds.line", mark=mark, label=esc(f.label), ago=ago(f.last_success_at, now, lang),
                 count=f.items_total)
        if f.consecutive_failures:
            line += t(lang, "feeds.failing", count=f.consecutive_failures, error=esc((f.last_error or "")[:200]))
        elif f.unreached:
            line += t(lang, "feeds.unreached", error=esc((f.last_error or "")[:200]))
        elif f.last_warning:
            line += t(lang, "feeds.warning", warning=esc(f.last_warning[:200]))
        if f.interval_seconds and f.interval_reason:
            line += poll_interval(f.interval_seconds, f.interval_reason, lang)
        return line

    async def reload(self, update: Update, context: Context) -> None:
        """/reload: read the watchlists again and report problems."""
        lang = await self.admitted(update)
        if lang is None:
            return
        self.rules.refresh(force=True)
        ids = listed([w.id for w in self.rules.watchlists], lang) or t(lang, "nothing")
        lines = [t(lang, "reload.done", count=len(self.rules.watchlists), ids=ids)]
        if self.rules.errors:
            lines.append(t(lang, "reload.problems", count=len(self.rules.errors)))
            lines += [f"• {esc(e)}" for e in self.rules.told()]
        for page in pages(lines):
            await reply(update, page)

    async def stats(self, update: Update, context: Context) -> None:
        """/stats: the outbox by channel and state (dead letters too), failing feeds, chats."""
        lang = await self.admitted(update, private=True)
        if lang is None:
            return
        for page in pages(await self.stats_lines(lang)):
            await reply(update, page)

    async def stats_lines(self, lang: str) -> list[str]:
        stats = await self.status.stats()
        lines = [t(lang, "stats.outbox")]
        lines += [f"• {esc(ch)}: {', '.join(f'{state_name(lang, state)} {n}' for state, n in states.items())}"
                  for ch, states in stats.outbox.items()] or [t(lang, "stats.empty")]
        if stats.dead_reasons:
            lines.append(t(lang, "stats.dead"))
            lines += [f"• {n}: {esc(reason[:200])}" for reason, n in stats.dead_reasons]
        if stats.dead_digests:  # (DESIGN.md: /stats shows them, as `watchbot digest` does)
            lines.append(t(lang, "stats.dead_digests"))
            lines += [t(lang, "stats.dead_digest", key=esc(d.key), count=d.stories, error=esc(d.error[:160]),
                        at=f"{d.at:%Y-%m-%d %H:%M} UTC") for d in stats.dead_digests[:10]]
        failing = stats.failing
        lines.append(t(lang, "stats.feeds", count=len(stats.feeds), failing=len(failing)))
        lines += [t(lang, "stats.failing_feed", label=esc(f.label), count=f.consecutive_failures,
                    error=esc((f.last_error or "")[:120])) for f in failing[:10]]
        stories, reports = stats.stories
        lines.append(t(lang, "stats.stories", stories=stories, count=reports, merged=reports - stories))
        counts = stats.chats
        lines.append(t(lang, "stats.chats", active=counts["active"], paused=counts["paused"],
                       inactive=counts["inactive"], subscriptions=counts["subscriptions"], own=counts["own_lists"]))
        return lines
