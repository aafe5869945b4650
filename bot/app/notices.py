"""Notices to the admins: each problem told once. Use-case: the store and the Telegram sender.

Problems: a feed failing ``FEED_FAILURE_THRESHOLD`` times in a row (until it recovers and fails
again), a rule-file error (until its text changes), alerts and digests in the dead-letter state
(a paused chat's skipped alerts are its choice, not a problem). Each notice is recorded once it
reached at least one admin; an admin who never started the bot is logged, not retried forever.
Each admin reads a notice in their private chat's /lang language (``bot.i18n``); the notice is
recorded in English. What it quotes (a feed's error, a rule file's problem) stays as it was said.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial

from bot.deliver.telegram import TelegramSender
from bot.errors import DeliveryError, RuleError
from bot.i18n import DEFAULT, choose, t
from bot.markup import esc
from bot.render.telegram import pages
from bot.store.protocols import Store
from bot.watch.reload import LAST_GOOD

log = logging.getLogger("watchbot.telegram")

FEED_FAILURE_THRESHOLD = 3

Words = Callable[[str], str]  # a language -> the notice in it


class Notices:
    def __init__(self, store: Store, sender: TelegramSender, admins: Sequence[int], *,
                 clock: Callable[[], datetime]) -> None:
        self.store = store
        self.sender = sender
        self.admins = tuple(admins)
        self.clock = clock

    async def tell(self, key: str, text: str | Words) -> bool:
        """Tell every admin ``text`` (HTML; or words in each admin's language) unless ``key`` was told
        before; True when sent now."""
        if await self.store.run(self.store.notices.noticed, key):
            return False
        english = text if isinstance(text, str) else text(DEFAULT)
        if not self.admins:
            log.warning("telegram: no admins configured to tell: %s", english)
        delivered = not self.admins
        for admin in self.admins:
            try:
                await self.sender.post(admin, text if isinstance(text, str) else text(await self._language(admin)))
                delivered = True
            except DeliveryError as e:
                log.warning("telegram: could not tell admin %s (they must /start the bot first): %s", admin, e.reason)
        if delivered:
            await self.store.run(self.store.notices.record, key, english, now=self.clock())
        return delivered

    async def tell_store_refuses(self, error: str) -> bool:
        """Tell every admin that the store refuses writes (once an outage: the caller remembers, since the store
        cannot keep that it told); True when told."""
        told = False
        for admin in self.admins:
            try:
                await self.sender.post(admin, t(await self._language(admin), "notice.store_refuses",
                                                error=esc(error[:300])))
                told = True
            except DeliveryError as e:
                log.warning("telegram: could not tell admin %s (they must /start the bot first): %s", admin, e.reason)
        return told

    async def _language(self, admin: int) -> str:
        """An admin's language: their private chat's /lang choice (the chat's id is the user's)."""
        chat = await self.store.run(self.store.chats.get, admin)
        return choose(chat.language if chat else None, None)

    async def problems(self, rule_errors: Sequence[object] = ()) -> int:
        """Tell the admins of new problems: failing feeds, rule errors, dead letters. Returns notices sent."""
        sent = 0
        feeds = await self.store.run(self.store.feeds.all)
        for f in feeds:
            if f.consecutive_failures < FEED_FAILURE_THRESHOLD or f.failure_notified:
                continue
            key = f"feed:{f.url}:{f.last_error_at.isoformat() if f.last_error_at else ''}"
            sent += await self.tell(key, partial(_feed_failed, f.label, f.consecutive_failures, f.last_error, f.url))
            await self.store.run(self.store.feeds.mark_failure_notified, f.url)
        # One notice a file, its problems together (each had been a message of its own, and "the last good version
        # stays active" another, in English), and that its last good version stays active in the admin's language.
        by_file: dict[str, list[str]] = {}
        kept: set[str] = set()
        for error in rule_errors:
            if isinstance(error, RuleError) and error.message == LAST_GOOD:
                kept.add(error.path)
                continue
            by_file.setdefault(error.path if isinstance(error, RuleError) else str(error), []).append(str(error))
        for where, lines in by_file.items():
            said = "\n".join(lines)[:1000]
            digest = hashlib.sha256((said + ("\0kept" if where in kept else "")).encode()).hexdigest()[:16]
            sent += await self.tell(f"rule:{digest}", partial(_rule_notice, said, where in kept))
        sent += await self._dead_alerts()
        sent += await self._dead_digests()
        sent += await self._failing_digests()
        return sent

    async def _failing_digests(self) -> int:
        """Digests failing again and again for one reason (a login or a sender the server refuses, TLS, a server out
        of reach): kept and retried, but nobody heard of it; told once a reason."""
        states = await self.store.run(self.store.digests.recipients)
        by_error: dict[str, list[str]] = {}
        for s in states:
            if s.failures >= DIGEST_FAILURE_THRESHOLD and s.last_error and s.next_attempt_at is not None:
                by_error.setdefault(s.last_error, []).append(s.target)
        sent = 0
        for error, targets in sorted(by_error.items()):
            digest = hashlib.sha256(error.encode()).hexdigest()[:16]
            sent += await self.tell(f"digest-failing:{digest}", partial(
                _words, "notice.digest_failing", count=len(targets), error=esc(error[:300]),
                targets=esc(", ".join(sorted(targets)[:5]))))
        return sent

    async def _dead_alerts(self) -> int:
        dead = await self.store.run(self.store.outbox.unnotified_dead)
        if not dead:
            return 0
        reasons: dict[str, int] = {}
        for r in dead:
            reason = f"{r.channel}: {(r.last_error or 'unknown')[:200]}"
            reasons[reason] = reasons.get(reason, 0) + 1
        listed = [f"• {n}x {esc(reason)}" for reason, n in sorted(reasons.items(), key=lambda kv: -kv[1])[:10]]

        def words(lang: str) -> str:
            return pages([t(lang, "notice.dead_alerts", count=len(dead)), *listed])[0]

        if not await self.tell(f"dead:{dead[0].id}-{dead[-1].id}", words):
            return 0
        await self.store.run(self.store.outbox.mark_dead_notified, [r.id for r in dead])
        return 1

    async def _dead_digests(self) -> int:
        letters = await self.store.run(self.store.digests.unnotified_dead)
        sent = 0
        for d in letters:
            text = partial(_words, "notice.dead_digest", key=esc(d.key), stories=d.stories, error=esc(d.error))
            sent += await self.tell(f"digest-dead:{d.id}", text)
        if letters:
            await self.store.run(self.store.digests.mark_notified, [d.id for d in letters])
        return sent


DIGEST_FAILURE_THRESHOLD = 3  # tries of one digest in a row that failed, before the admins hear of it


def _rule_notice(said: str, kept: bool, lang: str) -> str:
    text = t(lang, "notice.rule", error=esc(said))
    return f"{text}\n{t(lang, 'notice.rule_kept')}" if kept else text


def _words(name: str, lang: str, /, **values: object) -> str:
    return t(lang, name, **values)


def _feed_failed(label: str, count: int, error: str | None, url: str, lang: str) -> str:
    error = error or t(lang, "notice.unknown_error")
    return t(lang, "notice.feed_failed", label=esc(label), count=count, error=esc(error[:300]), url=esc(url))
