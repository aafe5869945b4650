"""Digests: who gets one, what is pending for each, sending, and the schedule. Use-case: store, SMTP, Bot API.

    recipients | pending (store) | build_digest (pure) | compose / pages | SMTP / Bot API | settle or retry

A recipient's matches count as delivered only once the server accepted the message: then they are
recorded as delivered to it. A temporary failure leaves everything pending and sets a retry time (exponential
backoff, the `digest:retry` job picks it up); a permanent rejection for one recipient turns that
digest into a dead letter (shown by `watchbot digest`, told to the admins) and the others go on.

Schedules are APScheduler cron jobs in each recipient's zone (the zone handles daylight saving):
email entries at their `at` in their `timezone`, chats in digest mode at their /digest_at
(default `telegram.digest_at`) in their /tz.
"""

from __future__ import annotations

import asyncio
import contextlib
import difflib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from apscheduler.triggers.interval import IntervalTrigger

from bot.app.alerts import retry_delay
from bot.app.chats import Chats, chat_key
from bot.config import Config, EmailDigestConfig
from bot.deliver.email import MailTransport
from bot.deliver.telegram import CHANNEL as TELEGRAM
from bot.deliver.telegram import ChatGoneError, ChatMovedError, TelegramSender
from bot.digest.build import Digest, PendingMatch, build_digest
from bot.digest.email import compose
from bot.digest.pages import Page, pages
from bot.digest.schedule import DailyTrigger, DigestJob, daily, last_fire
from bot.errors import DeliveryError, PermanentDeliveryError, TemporaryDeliveryError
from bot.i18n import DEFAULT, t
from bot.store.protocols import RecipientState, Store
from bot.times import zone
from bot.watch.personal import owner, personal_id

log = logging.getLogger("watchbot.digest")

FIRST_WINDOW = timedelta(hours=24)  # an email recipient's first digest looks this far back
RETRY_EVERY = timedelta(minutes=1)
SYNC_EVERY = timedelta(minutes=5)  # chats change their time and zone by command
CATCH_UP = timedelta(hours=6)  # a digest missed while the service was down goes out at start-up if this recent
CATCH_UP_JOB = "digest:catch-up"


def email_key(address: str, watchlists: Sequence[str]) -> str:
    """An email recipient is its address and its watchlists (DESIGN.md)."""
    return f"email:{address.strip().lower()}|{','.join(sorted(set(watchlists))) or '*'}"


@dataclass(frozen=True, slots=True)
class Sent:
    """How far a Telegram digest got: pages accepted, the chat id they went to, the error that stopped the rest."""

    pages: int
    chat_id: int
    error: DeliveryError | None = None


@dataclass(frozen=True, slots=True)
class EmailRecipient:
    """One address of one [[email.digests]] entry."""

    key: str
    address: str
    watchlists: tuple[str, ...]
    at: str
    timezone: str
    entry: int
    language: str = "en"


@dataclass
class DigestReport:
    """What one run did, per recipient key."""

    sent: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    dead: list[str] = field(default_factory=list)
    nothing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    stories: int = 0

    @property
    def ok(self) -> bool:
        return not self.retry and not self.dead

    def merge(self, other: DigestReport) -> DigestReport:
        for name in ("sent", "retry", "dead", "nothing", "errors"):
            getattr(self, name).extend(getattr(other, name))
        self.stories += other.stories
        return self

    def line(self) -> str:
        text = (f"{len(self.sent)} digest{'s' * (len(self.sent) != 1)} sent ({self.stories} "
                f"stor{'y' if self.stories == 1 else 'ies'}), {len(self.nothing)} with nothing pending")
        if self.retry:
            text += f", {len(self.retry)} will be retried"
        if self.dead:
            text += f", {len(self.dead)} rejected for good"
        return text


@dataclass(frozen=True, slots=True)
class RecipientStatus:
    """A recipient as `watchbot digest` shows it."""

    key: str
    label: str
    channel: str
    schedule: str
    pending: int  # stories
    last_sent_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_attempt_at: datetime | None
    dead: int


class DigestService:
    """Email and Telegram digests over a store, an SMTP transport and (optionally) a bot."""

    def __init__(self, config: Config, store: Store, clock: Callable[[], datetime],
                 smtp: MailTransport | None = None, bot: TelegramSender | None = None, *,
                 names: Callable[[], Mapping[str, str]] | None = None,
                 problem: Callable[[], object] | None = None,
                 wanted: Callable[[int], Callable[[PendingMatch], bool]] | None = None) -> None:
        self.config = config
        self.store = store
        self.clock = clock
        self.smtp = smtp
        self.bot = bot
        self.names = names or dict
        self.problem = problem  # told when a digest became a dead letter (the admins hear of it)
        # chat -> whether a match waiting for its digest still reaches it (bot.app.phrases: mutes and /unwatch since)
        self.wanted = wanted
        self.digests = store.digests
        self.chat_use = Chats(store, clock=clock)
        self.scheduler: Any = None
        self._email_lock = asyncio.Lock()
        self._chat_locks: dict[int, asyncio.Lock] = {}

    # --- who ----------------------------------------------------------------------------------------

    def email_recipients(self) -> list[EmailRecipient]:
        email = self.config.email
        if email is None:
            return []
        out, seen = [], set()
        for i, entry in enumerate(email.digests):
            for address in entry.to:
                key = email_key(address, entry.watchlists)
                if key not in seen:  # the same address and watchlists twice is one recipient
                    seen.add(key)
                    out.append(_recipient(key, address, entry, i))
        return out

    def label(self, key: str) -> str:
        """A recipient as a person reads it: "a@example.com (asml, export-controls)" or "chat -100123"."""
        for r in self.email_recipients():
            if r.key == key:
                return f"{r.address} ({', '.join(r.watchlists) or 'all watchlists'})"
        return key.replace("chat:", "chat ", 1) if key.startswith("chat:") else key

    async def preview(self, now: datetime, address: str | None = None) -> list[tuple[EmailRecipient, EmailMessage]]:
        """The email each recipient (or the one with ``address``) would get now; nothing is sent or recorded."""
        return await self.store.run(self._preview, now, address)

    def _preview(self, now: datetime, address: str | None) -> list[tuple[EmailRecipient, EmailMessage]]:
        email = self.config.email
        if email is None:
            return []
        out = []
        names = self.names()
        for r in self.email_recipients():
            if address is not None and r.address.lower() != address.strip().lower():
                continue
            state = self.digests.recipient(r.key)
            since = state.since if state else now - FIRST_WINDOW
            pending = self.pending_email(r, since)
            digest = build_digest(r.key, pending, watchlists=r.watchlists, zone=r.timezone, now=now,
                                  since=(state.last_sent_at if state else None) or since, names=names,
                                  send_empty=True, lang=r.language)
            assert digest is not None
            out.append((r, compose(digest, sender=email.sender, to=r.address, now=now,
                                   watchlists=[names.get(w, w) for w in r.watchlists], lang=r.language)))
        return out

    async def status(self, now: datetime) -> list[RecipientStatus]:
        """Every email recipient and digest-mode chat with its pending count and last outcome."""
        return await self.store.run(self.status_now, now)

    def status_now(self, now: datetime) -> list[RecipientStatus]:
        """``status``, in the store's thread."""
        rows = []
        for r in self.email_recipients():
            state = self.digests.recipient(r.key)
            since = state.since if state else now - FIRST_WINDOW
            pending = self.pending_email(r, since)
            rows.append(self._status(r.key, f"{r.address} ({', '.join(r.watchlists) or 'all watchlists'})",
                                     "email", f"{r.at} {r.timezone}", _stories(pending), state))
        for chat in self.store.chats.digest_chats():
            key = chat_key(chat.chat_id)
            state = self.digests.recipient(key)
            pending = self._pending_chat(key, chat.chat_id)
            label = f"chat {chat.chat_id}" + (f" ({chat.title})" if chat.title else "")
            at = chat.digest_at or self.default_digest_at()
            rows.append(self._status(key, label, "telegram", f"{at} {chat.tz}", _stories(pending), state))
        return rows

    def _status(self, key: str, label: str, channel: str, schedule: str, pending: int,
                state: RecipientState | None) -> RecipientStatus:
        return RecipientStatus(
            key=key, label=label, channel=channel, schedule=schedule, pending=pending,
            last_sent_at=state.last_sent_at if state else None, last_error=state.last_error if state else None,
            last_error_at=state.last_error_at if state else None,
            next_attempt_at=state.next_attempt_at if state else None, dead=len(self.digests.dead_letters(key)))

    # --- email --------------------------------------------------------------------------------------

    async def send_email_digests(self, now: datetime, *, entry: int | None = None,
                                 keys: set[str] | None = None) -> DigestReport:
        """Send the pending email digest of every recipient (of one entry, or of some keys) now."""
        report = DigestReport()
        if self.config.email is None or self.smtp is None:
            return report
        # a schedule and a retry at once must not send one digest twice, nor the service and `digest --send`
        async with self._email_lock, self._alone("email-digests"):
            wanted = [r for r in self.email_recipients()
                      if (entry is None or r.entry == entry) and (keys is None or r.key in keys)]
            built = await self.store.run(lambda: [(r, self._email_digest(r, now, report)) for r in wanted])
            batch = [(r, d) for r, d in built if d is not None]
            if batch:
                await self._send_email_batch(batch, now, report)
        return report

    @contextlib.asynccontextmanager
    async def _alone(self, name: str) -> AsyncIterator[None]:
        """Among the processes using the store: two `watchbot digest --send` at once, or one beside the service's
        schedule, each mailed every recipient (each read the same pending stories before the other recorded them)."""
        lease = self.store.lease(name)
        waited = False
        while not await asyncio.to_thread(lease.acquire):
            if not waited:
                log.info("digest: another process is sending the email digests; waiting for it to finish")
                waited = True
            await asyncio.sleep(0.5)
        try:
            yield
        finally:
            await asyncio.to_thread(lease.release)

    def pending_email(self, r: EmailRecipient, since: datetime | None) -> list[PendingMatch]:
        """An email recipient's pending matches, of the shared watchlists only: a chat's own phrases
        (``chat:<id>``) are that chat's business, never an email's, even one of "all watchlists"."""
        pending = self.digests.pending_email(r.key, watchlists=r.watchlists, since=since)
        return [p for p in pending if owner(p.watchlist) is None]

    def _email_digest(self, r: EmailRecipient, now: datetime, report: DigestReport) -> Digest | None:
        assert self.config.email is not None
        state = self.digests.ensure(r.key, channel="email", target=r.address, watchlists=r.watchlists,
                                    since=now - FIRST_WINDOW, now=now)
        pending = self.pending_email(r, state.since)
        digest = build_digest(r.key, pending, watchlists=r.watchlists, zone=r.timezone, now=now,
                              since=state.last_sent_at or state.since, names=self.names(),
                              send_empty=self.config.email.send_empty, lang=r.language)
        if digest is None:
            self.digests.clear_retry(r.key)
            report.nothing.append(r.key)
        return digest

    async def _send_email_batch(self, batch: list[tuple[EmailRecipient, Digest]], now: datetime,
                                report: DigestReport) -> None:
        assert self.config.email is not None and self.smtp is not None
        names = self.names()
        ready: list[tuple[EmailRecipient, Digest, EmailMessage]] = []
        for r, d in batch:
            try:
                ready.append((r, d, compose(d, sender=self.config.email.sender, to=r.address, now=now,
                                            watchlists=[names.get(w, w) for w in r.watchlists], lang=r.language)))
            except ValueError as e:  # an address the email package cannot write: a config problem
                problem = TemporaryDeliveryError(r.address, f"cannot write the message: {e} (check email.from and to)")
                await self._record(r.key, d, d.match_ids, problem, now, report)
        if not ready:
            return
        recorded: set[int] = set()

        async def record(i: int, error: DeliveryError | None) -> None:  # (as each is answered: a crash in the batch
            r, digest, msg = ready[i]                                    # repeats none that went already)
            await self._record(r.key, digest, digest.match_ids, error, now, report, message_id=msg["Message-ID"])
            recorded.add(i)

        try:
            results = await self.smtp.send([m for _, _, m in ready], each=record)
        except Exception as e:  # a transport bug must not lose digests: everything stays pending
            log.exception("digest: SMTP transport failed")
            results = [TemporaryDeliveryError(r.address, f"unexpected {type(e).__name__}: {e}") for r, _, _ in ready]
        for i, error in enumerate(results):
            if i not in recorded:
                await record(i, error)

    # --- telegram ---------------------------------------------------------------------------------

    def default_digest_at(self) -> str:
        return self.config.telegram.digest_at if self.config.telegram else "08:00"

    async def chat_digest_at(self, chat_id: int) -> str:
        chat = await self.chat_use.get(chat_id)
        return (chat.digest_at if chat else None) or self.default_digest_at()

    async def set_chat_digest_at(self, chat_id: int, at: str | None) -> None:
        await self.chat_use.update(chat_id, digest_at=at)
        await self.reschedule()

    async def send_chat_digest(self, chat_id: int, now: datetime, *, manual: bool = False) -> DigestReport:
        """Send one chat's pending digest now: on its schedule, as a retry, or asked for with /digest.

        A paused chat gets its digest only when it asks; its stories wait for it."""
        report = DigestReport()
        key = chat_key(chat_id)
        lock = self._chat_locks.setdefault(chat_id, asyncio.Lock())
        async with lock:
            chat = await self.chat_use.get(chat_id)
            if chat is None or self.bot is None or not chat.active or (chat.paused and not manual):
                if chat is None or not chat.active:
                    await self.store.run(self.digests.clear_retry, key)
                report.nothing.append(key)
                return report
            lang = chat.speaks or DEFAULT
            digest = await self.store.run(self._chat_digest, key, chat_id, chat.tz, now, lang)
            if digest is None:
                report.nothing.append(key)
                return report
            digest_pages = pages(digest, lang=lang)
            sent = await self._send_pages(chat_id, digest_pages)
            key = chat_key(sent.chat_id)
            if sent.error is not None and sent.pages:  # the sent pages' stories are not sent again
                delivered = [i for p in digest_pages[: sent.pages] for i in p.match_ids]
                await self.store.run(self.digests.settle, key, delivered, now=now, complete=False)
            await self._record(key, digest, digest.match_ids, sent.error, now, report)
        return report

    def _chat_digest(self, key: str, chat_id: int, tz: str, now: datetime, lang: str = DEFAULT) -> Digest | None:
        state = self.digests.ensure(key, channel="telegram", target=str(chat_id), watchlists=(), since=None, now=now)
        pending = self._pending_chat(key, chat_id)
        names = {**self.names(), personal_id(chat_id): t(lang, "digest.own_phrases")}  # (not "chat:<id>")
        digest = build_digest(key, pending, watchlists=self.store.chats.digest_watchlists(chat_id),
                              zone=zone(tz).key, now=now, since=state.last_sent_at, names=names, lang=lang)
        if digest is None:
            self.digests.clear_retry(key)
        return digest

    def _pending_chat(self, key: str, chat_id: int) -> list[PendingMatch]:
        """The chat's pending matches that still reach it: of a watchlist it still follows (an alert held over the
        hourly cap waits for the digest whatever the subscription's mode), not muted nor unwatched since (left out,
        never sent)."""
        pending = self.digests.pending_chat(key, chat_id)
        if not pending:
            return pending
        followed = {s.watchlist for s in self.store.chats.subscriptions(chat_id)}
        wanted = self.wanted(chat_id) if self.wanted is not None else None
        # A story reaches each chat once: one alerted to it for an instant watchlist is not listed again by the
        # digest of another that matched it too (it was, under that watchlist, after the alert).
        alerted = self.store.outbox.alerted_stories(TELEGRAM, str(chat_id), sorted({p.story or p.identity
                                                                                   for p in pending}))
        return [p for p in pending if p.watchlist in followed and (wanted is None or wanted(p))
                and (p.story or p.identity) not in alerted]

    async def _send_pages(self, chat_id: int, digest_pages: Sequence[Page]) -> Sent:
        """Send pages in order, stopping at the first failure. A group that became a supergroup is
        followed to its new id (its state moves with it) and the page is sent again."""
        assert self.bot is not None
        for n, page in enumerate(digest_pages):
            for _ in range(2):
                try:
                    await self.bot.post(chat_id, page.text)
                    break
                except ChatMovedError as e:
                    await self.chat_use.migrate(chat_id, e.new_chat_id)
                    chat_id = e.new_chat_id
                except ChatGoneError as e:
                    await self.chat_use.deactivate(chat_id, e.reason)
                    return Sent(n, chat_id, e)
                except DeliveryError as e:
                    return Sent(n, chat_id, e)
            else:
                return Sent(n, chat_id, TemporaryDeliveryError(str(chat_id), "chat migrated twice in one send"))
        return Sent(len(digest_pages), chat_id)

    # --- outcomes -----------------------------------------------------------------------------------

    async def _record(self, key: str, digest: Digest, match_ids: tuple[int, ...], error: DeliveryError | None,
                      now: datetime, report: DigestReport, *, message_id: str | None = None) -> None:
        stories = digest.total
        if error is None:
            await self.store.run(self._settled, key, match_ids, now, stories, message_id)
            report.sent.append(key)
            report.stories += stories
            log.info("digest %s: sent %d stories", key, stories)
            return
        report.errors.append(f"{self.label(key)}: {error.reason}")
        if isinstance(error, PermanentDeliveryError):
            await self.store.run(self._buried, key, match_ids, now, stories, error.reason)
            report.dead.append(key)
            log.error("digest for %s: rejected for good, %d %s kept as a dead letter: %s", self.label(key), stories,
                      "story" if stories == 1 else "stories", error.reason)
            if self.problem is not None:
                self.problem()
            return
        when = await self.store.run(self._failed, key, now, stories, error)
        report.retry.append(key)
        if self.problem is not None:  # (failing again and again, a wrong password or sender: the admins hear of it)
            self.problem()
        log.warning("digest for %s: %s; %d %s pending, retry at %s", self.label(key), error.reason, stories,
                    "story stays" if stories == 1 else "stories stay", when.isoformat(timespec="seconds"))

    def _settled(self, key: str, match_ids: tuple[int, ...], now: datetime, stories: int,
                 message_id: str | None) -> None:
        with self.store.transaction():
            self.digests.settle(key, match_ids, now=now)
            self.digests.record_run(key, now=now, stories=stories, outcome="sent", message_id=message_id)

    def _buried(self, key: str, match_ids: tuple[int, ...], now: datetime, stories: int, reason: str) -> None:
        with self.store.transaction():
            self.digests.bury(key, match_ids, stories=stories, error=reason, now=now)
            self.digests.record_run(key, now=now, stories=stories, outcome="dead", error=reason)

    def _failed(self, key: str, now: datetime, stories: int, error: DeliveryError) -> datetime:
        with self.store.transaction():
            state = self.digests.recipient(key)
            attempts = (state.failures if state else 0) + 1
            when = now + timedelta(seconds=retry_delay(attempts, error.retry_after))
            self.digests.fail(key, error=error.reason, now=now, next_attempt_at=when)
            self.digests.record_run(key, now=now, stories=stories, outcome="retry", error=error.reason)
        return when

    async def retry_due(self, now: datetime) -> DigestReport:
        """Resend the digests whose retry time has come."""
        report = DigestReport()
        due = await self.store.run(self.digests.due_retries, now)
        configured = {r.key for r in self.email_recipients()} if self.smtp is not None else set()
        emails = {s.key for s in due if s.channel == "email"}
        for gone in emails - configured:  # taken out of the config since: nothing to retry
            await self.store.run(self.digests.clear_retry, gone)
        emails &= configured
        if emails:
            report.merge(await self.send_email_digests(now, keys=emails))
        for s in due:
            if s.channel == "telegram":
                report.merge(await self.send_chat_digest(int(s.target), now))
        return report

    async def catch_up(self, now: datetime) -> DigestReport:
        """After a restart: send the digests whose time came within CATCH_UP while the service was down.

        Only recipients that had a digest attempt before (a first start never sends at once), or of an entry another
        recipient of which was tried at that time (the service crashed amid the entry: the first digest of those after
        the crash waited a day)."""
        report = DigestReport()
        email = self.config.email
        missed: set[str] = set()
        recipients = self.email_recipients() if email and self.smtp else []
        states = {s.key: s for s in await self.store.run(self.digests.recipients)}
        for r in recipients:
            trigger = daily(r.at, r.timezone)
            fired = last_fire(trigger, now, within=CATCH_UP)
            tried = {o.key for o in recipients if o.entry == r.entry and (s := states.get(o.key)) is not None
                     and s.last_attempt_at is not None and fired is not None and s.last_attempt_at >= fired}
            if await self._missed(r.key, trigger, now) or (r.key not in states and bool(tried)):
                missed.add(r.key)
        if missed:
            report.merge(await self.send_email_digests(now, keys=missed))
        chats = await self.store.run(self.store.chats.digest_chats) if self.bot is not None else []
        for chat in chats:
            trigger = daily(chat.digest_at or self.default_digest_at(), chat.tz)
            if await self._missed(chat_key(chat.chat_id), trigger, now):
                report.merge(await self.send_chat_digest(chat.chat_id, now))
        return report

    async def _missed(self, key: str, trigger: DailyTrigger, now: datetime) -> bool:
        state = await self.store.run(self.digests.recipient, key)
        fired = last_fire(trigger, now, within=CATCH_UP)
        if state is None or fired is None:
            return False
        return state.last_attempt_at is None or state.last_attempt_at < fired

    # --- schedule -----------------------------------------------------------------------------------

    async def jobs(self) -> list[DigestJob]:
        """The scheduler jobs for the current config and chats."""
        out = []
        email = self.config.email
        for i, entry in enumerate(email.digests if email and self.smtp else ()):
            out.append(DigestJob(f"digest:email:{i}", daily(entry.at, entry.timezone), self._email_job, (i,)))
        if self.bot is not None:
            for chat in await self.store.run(self.store.chats.digest_chats):
                out.append(DigestJob(f"digest:chat:{chat.chat_id}",
                                     daily(chat.digest_at or self.default_digest_at(), chat.tz),
                                     self._chat_job, (chat.chat_id,)))
        out.append(DigestJob("digest:retry", IntervalTrigger(seconds=RETRY_EVERY.total_seconds()), self._retry_job))
        out.append(DigestJob("digest:sync", IntervalTrigger(seconds=SYNC_EVERY.total_seconds()), self._sync_job))
        return out

    async def install(self, scheduler: Any) -> None:
        """Add the jobs to an APScheduler 3 scheduler, and a catch-up run as soon as it starts;
        ``reschedule()`` (every SYNC_EVERY, and after /digest_at) keeps them in step later."""
        self.scheduler = scheduler
        await self.reschedule()
        scheduler.add_job(self._catch_up_job, id=CATCH_UP_JOB, name=CATCH_UP_JOB, replace_existing=True,
                          misfire_grace_time=None)

    async def reschedule(self) -> None:
        """Add new jobs, replace those whose trigger changed, remove those no longer wanted."""
        if self.scheduler is None:
            return
        wanted = {j.id: j for j in await self.jobs()}
        for job in self.scheduler.get_jobs():
            if job.id.startswith("digest:") and job.id not in wanted and job.id != CATCH_UP_JOB:
                job.remove()
        for job in wanted.values():
            existing = self.scheduler.get_job(job.id)
            if existing is not None and str(existing.trigger) == str(job.trigger):  # str: no start date
                continue
            self.scheduler.add_job(job.func, job.trigger, args=job.args, id=job.id, name=job.id,
                                   replace_existing=True, coalesce=True, max_instances=1, misfire_grace_time=3600)

    async def _email_job(self, entry: int) -> None:
        report = await self.send_email_digests(self.clock(), entry=entry)
        log.info("digest: email entry %d: %s", entry, report.line())

    async def _chat_job(self, chat_id: int) -> None:
        await self.send_chat_digest(chat_id, self.clock())

    async def _retry_job(self) -> None:
        await self.retry_due(self.clock())

    async def _sync_job(self) -> None:
        await self.reschedule()

    async def _catch_up_job(self) -> None:
        report = await self.catch_up(self.clock())
        if report.sent or report.retry or report.dead:
            log.info("digest: caught up after a restart: %s", report.line())


def unknown_watchlists(config: Config, known: Sequence[str]) -> list[str]:
    """One line for each email digest that names a watchlist no rule file defines: its digest would stay empty of
    it, every day, without a word (a typo in ``watchlists = [...]``, or a watchlist renamed since)."""
    if config.email is None:
        return []
    have = set(known)
    lines = []
    for n, entry in enumerate(config.email.digests):
        for wl in entry.watchlists:
            if wl not in have:
                close = difflib.get_close_matches(wl, sorted(have), n=1, cutoff=0.6)
                meant = f"did you mean {close[0]!r}? " if close else ""
                lines.append(f"email.digests[{n}].watchlists: no watchlist is called {wl!r} ({meant}known: "
                             f"{', '.join(sorted(have)) or 'none is loaded'}): {', '.join(entry.to)} "
                             f"get{'s' * (len(entry.to) == 1)} none of it")
    return lines


def _stories(pending: Sequence[PendingMatch]) -> int:
    """How many stories ``pending`` holds, as the digest lists them (not its reports)."""
    return len({p.story or p.identity for p in pending})


def _recipient(key: str, address: str, entry: EmailDigestConfig, index: int) -> EmailRecipient:
    return EmailRecipient(key=key, address=address, watchlists=entry.watchlists, at=entry.at,
                          timezone=entry.timezone, entry=index, language=entry.language)

