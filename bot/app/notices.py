"""Notices to the admins: each problem told once. Use-case: the store and the Telegram sender.

Problems: a feed failing ``FEED_FAILURE_THRESHOLD`` times in a row (until it recovers and fails
again), a rule-file error (until its text changes), alerts and digests in the dead-letter state
(a paused chat's skipped alerts are its choice, not a problem). Each notice is recorded once it
reached at least one admin; an admin who never started the bot is logged, not retried forever.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.deliver.telegram import TelegramSender
from bot.errors import DeliveryError
from bot.markup import esc
from bot.render.telegram import pages
from bot.store.protocols import Store

log = logging.getLogger("watchbot.telegram")

FEED_FAILURE_THRESHOLD = 3


class Notices:
    def __init__(self, store: Store, sender: TelegramSender, admins: Sequence[int], *,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.sender = sender
        self.admins = tuple(admins)
        self.clock = clock

    async def tell(self, key: str, text: str) -> bool:
        """Tell every admin ``text`` (HTML) unless ``key`` was told before; True when sent now."""
        if await self.store.run(self.store.notices.noticed, key):
            return False
        if not self.admins:
            log.warning("telegram: no admins configured to tell: %s", text)
        delivered = not self.admins
        for admin in self.admins:
            try:
                await self.sender.post(admin, text)
                delivered = True
            except DeliveryError as e:
                log.warning("telegram: could not tell admin %s (they must /start the bot first): %s", admin, e.reason)
        if delivered:
            await self.store.run(self.store.notices.record, key, text, now=self.clock())
        return delivered

    async def problems(self, rule_errors: Sequence[object] = ()) -> int:
        """Tell the admins of new problems: failing feeds, rule errors, dead letters. Returns notices sent."""
        sent = 0
        feeds = await self.store.run(self.store.feeds.all)
        for f in feeds:
            if f.consecutive_failures < FEED_FAILURE_THRESHOLD or f.failure_notified:
                continue
            key = f"feed:{f.url}:{f.last_error_at.isoformat() if f.last_error_at else ''}"
            text = (f"⚠️ Feed <b>{esc(f.label)}</b> failed {f.consecutive_failures} times in a row: "
                    f"{esc((f.last_error or 'unknown error')[:300])}\n{esc(f.url)}")
            sent += await self.tell(key, text)
            await self.store.run(self.store.feeds.mark_failure_notified, f.url)
        for error in rule_errors:
            digest = hashlib.sha256(str(error).encode()).hexdigest()[:16]
            sent += await self.tell(f"rule:{digest}", f"⚠️ Watchlist problem: {esc(str(error)[:1000])}")
        sent += await self._dead_alerts()
        sent += await self._dead_digests()
        return sent

    async def _dead_alerts(self) -> int:
        dead = await self.store.run(self.store.outbox.unnotified_dead)
        if not dead:
            return 0
        reasons: dict[str, int] = {}
        for r in dead:
            reason = f"{r.channel}: {(r.last_error or 'unknown')[:200]}"
            reasons[reason] = reasons.get(reason, 0) + 1
        lines = [f"⚠️ {len(dead)} alert{'s' * (len(dead) != 1)} could not be delivered (dead letters, see /stats):"]
        lines += [f"• {n}x {esc(reason)}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:10]]
        if not await self.tell(f"dead:{dead[0].id}-{dead[-1].id}", pages(lines)[0]):
            return 0
        await self.store.run(self.store.outbox.mark_dead_notified, [r.id for r in dead])
        return 1

    async def _dead_digests(self) -> int:
        letters = await self.store.run(self.store.digests.unnotified_dead)
        sent = 0
        for d in letters:
            text = (f"Digest for <b>{esc(d.key)}</b> was rejected for good ({d.stories} stories kept as a "
                    f"dead letter): {esc(d.error)}. See <code>watchbot digest</code>.")
            sent += await self.tell(f"digest-dead:{d.id}", text)
        if letters:
            await self.store.run(self.store.digests.mark_notified, [d.id for d in letters])
        return sent
