"""`watchbot run`: the long-running service. Does IO (store, network, signals, clock).

One asyncio loop holds everything; an APScheduler ``AsyncIOScheduler`` is its clock:

    feeds    every tick (0.1-1 s)   start polls of the due feeds (schedule.PollPlan over next_poll_at),
                                    at most poll.concurrency in flight; a finished poll starts the next
    outbox   every second           wake the drainer, which also wakes right after a poll enqueued alerts
    rules    every 2 s              RuleBook.refresh(); new rule problems are logged and told to admins
    notices  every 5 s (Telegram)   tell the admins of failing feeds, rule problems, dead letters (wiring.py)
    digest:* cron, in each zone     email and chat digests (the digest part keeps these in step)

Start-up opens (and migrates) the store and puts alerts a crash left in 'sending' back before
anything runs; shutdown (SIGTERM/SIGINT) stops the scheduler, lets polls and sends in flight
finish for a few seconds, cancels the rest (a cancelled poll writes nothing; unfinished claims
go back to 'pending'), closes the store, and returns 0 well within 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.config import Config
from bot.deliver.outbox import DrainReport
from bot.errors import RuleError
from bot.feeds.fetch import HttpFetcher
from bot.observe import HttpEndpoint, Metrics
from bot.pipeline import Channel, Pipeline
from bot.runtime import console_channels, utcnow
from bot.schedule import PollPlan, tick_seconds
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from bot.wiring import Parts

log = logging.getLogger("watchbot.service")

DRAIN_TICK = 1.0  # seconds between looks at the outbox for retries that came due
RULES_TICK = 2.0  # seconds between looks at the rule files
POLL_GRACE = 3.0  # seconds polls in flight get to finish at shutdown (a cancelled poll writes nothing) ...
SEND_GRACE = 5.0  # ... and the delivery round in flight, whose cut-off sends would go out again at the next start
DRAIN_LIMIT = 500  # alerts claimed per channel per drain round (drain.limit)


@dataclass
class _State:
    """What /healthz reports, updated as the service runs."""

    started: float = field(default_factory=time.monotonic)
    last_tick: float | None = None
    last_poll: float | None = None  # time.time() of the last finished poll
    polls: int = 0


class Service:
    """The parts of one `watchbot run`, wired; ``run()`` until a signal arrives."""

    def __init__(self, config: Config, *, out: TextIO | None = None, json_logs: bool = False) -> None:
        self.config = config
        self.out = out or sys.stderr
        self.json_logs = json_logs
        self.metrics = Metrics()
        self.state = _State()
        self.plan = PollPlan()
        self.stopping = asyncio.Event()
        self._drain_wanted = asyncio.Event()
        self._polls: set[asyncio.Task[None]] = set()
        self._reported_rule_errors: set[str] = set()
        self.tick = tick_seconds([f.interval or config.poll.interval for f in config.feeds])
        self.scheduler = AsyncIOScheduler(
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None})

    # --- lifecycle ---------------------------------------------------------------------------------

    async def run(self) -> int:
        """Validate, open, serve until SIGTERM/SIGINT, shut down. Raises WatchbotError on a fatal start."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):  # from here on a signal means a clean stop
            loop.add_signal_handler(sig, self.stop)
        try:
            return await self._open_and_serve()
        finally:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)

    async def _open_and_serve(self) -> int:
        config = self.config
        rules = RuleBook(config.rules_path)  # before the store: a broken config touches nothing
        if not rules.watchlists:
            first = f" ({rules.errors[0]})" if rules.errors else ""
            raise RuleError(str(config.rules_path), None,
                            f"no valid watchlist, nothing could match{first}; "
                            f"run `watchbot rules check {config.rules_path}` and fix the files")
        self.rules = rules
        store = self.store = SqliteStore(config.db_path)
        try:
            released = store.release_in_flight()
            async with HttpFetcher(timeout=config.poll.timeout, max_bytes=config.poll.max_bytes,
                                   concurrency=config.poll.concurrency, per_host=config.poll.per_host) as fetcher:
                self.parts = Parts(config, store, rules, utcnow)
                channels: list[Channel] = self.parts.channels or console_channels()
                self.pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                                         channels=channels, clock=utcnow)
                await self._serve(released, channels)
        finally:
            store.close()
        return 0

    async def _serve(self, released: int, channels: list[Channel]) -> None:
        http = None
        if self.config.http_listen:
            host, port = self.config.http_listen
            http = HttpEndpoint(host, port, health=self.health, metrics=self.metrics_text)
            await http.start()
        try:
            self._announce(channels, http)
            self._report_rules()
            if released:
                log.warning("%d alert(s) were being sent when the service last stopped; sending them again",
                            released)
            try:
                await self.parts.start()
            except BaseException:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(self.parts.stop(), timeout=3.0)
                raise
            self._plan_all()
            drainer = asyncio.create_task(self._drain_loop(), name="drainer")
            self._add_jobs()
            self.scheduler.start()
            self._drain_wanted.set()
            self._start_due()
            await self.stopping.wait()
            log.info("stopping: letting polls and sends in flight finish")
            await self._shutdown(drainer)
        finally:
            if http is not None:
                await http.stop()
        log.info("stopped")

    def stop(self) -> None:
        """Ask the service to stop (the signal handler)."""
        self.stopping.set()
        self._drain_wanted.set()

    async def _shutdown(self, drainer: asyncio.Task[None]) -> None:
        """Within 10 s: polls get 3 s, the delivery round 5 s in all, the bot 2 s to stop, the web server 1 s."""
        began = time.monotonic()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        polls = set(self._polls)
        if polls:
            await asyncio.wait(polls, timeout=POLL_GRACE)
        late = {t for t in polls if not t.done()}
        if not drainer.done():
            await asyncio.wait({drainer}, timeout=max(0.0, SEND_GRACE - (time.monotonic() - began)))
        if not drainer.done():
            late.add(drainer)
        for task in late:
            task.cancel()
        if late:
            log.info("cut off %d poll(s) or delivery round(s) still running", len(late))
            await asyncio.wait(late, timeout=0.5)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.parts.stop(), timeout=2.0)
        back = self.store.release_in_flight()  # claims a cut-off delivery round left behind
        if back:
            log.warning("%d alert(s) were cut off mid-send and go out at the next start", back)

    def _announce(self, channels: list[Channel], http: HttpEndpoint | None) -> None:
        """The one line on what the service will do."""
        c = self.config
        names = ", ".join(w.id for w in self.rules.watchlists)
        where = ", ".join(ch.sender.channel for ch in channels)
        line = (f"watchbot run: polling {len(c.feeds)} feed{'s' * (len(c.feeds) != 1)} with "
                f"{len(self.rules.watchlists)} watchlist{'s' * (len(self.rules.watchlists) != 1)} ({names}); "
                f"alerts to {where}")
        for extra in self.parts.describe():
            line += f"; {extra}"
        if http is not None:
            line += f"; health and metrics on http://{http.host}:{http.port}"
        line += f"; store {c.db_path}"
        if self.json_logs:
            log.info("%s", line)
        else:
            print(line, file=self.out, flush=True)

    # --- jobs --------------------------------------------------------------------------------------

    def _add_jobs(self) -> None:
        s = self.scheduler
        s.add_job(self._tick_feeds, "interval", seconds=self.tick, id="feeds", name="poll due feeds")
        s.add_job(self._tick_outbox, "interval", seconds=DRAIN_TICK, id="outbox", name="drain the outbox")
        s.add_job(self._tick_rules, "interval", seconds=RULES_TICK, id="rules", name="reload rule files")
        self.parts.install(s)

    async def _tick_feeds(self) -> None:
        self.state.last_tick = time.monotonic()
        self._start_due()

    async def _tick_outbox(self) -> None:
        self._drain_wanted.set()

    async def _tick_rules(self) -> None:
        try:
            changed = self.rules.refresh()
        except Exception:  # a reload must never stop the service
            log.exception("reloading the rules failed; the last good rules stay active")
            return
        if changed:
            log.info("rules reloaded: %d watchlists (%s)", len(self.rules.watchlists),
                     ", ".join(w.id for w in self.rules.watchlists))
            self._report_rules()

    def _report_rules(self) -> None:
        """Log and tell the admins each rule problem once (until it is fixed and comes back)."""
        current = {str(e) for e in self.rules.errors}
        for problem in sorted(current - self._reported_rule_errors):
            log.warning("rule problem: %s", problem)
            self.parts.problems()  # the admins hear of it through the Telegram part
        self._reported_rule_errors = current
        self.metrics.watchlists.set(len(self.rules.watchlists))
        self.metrics.rule_errors.set(len(current))

    # --- polling -----------------------------------------------------------------------------------

    def _interval(self, url: str) -> float:
        return self.pipeline.intervals.get(url, self.config.poll.interval)

    def _plan_all(self) -> None:
        now = utcnow()
        configured = set(self.pipeline.intervals)
        for feed in self.store.feeds():
            if feed.url in configured:
                self.plan.set(feed, self._interval(feed.url), now)
        self.metrics.feeds.set(len(self.plan))

    def _start_due(self) -> None:
        """Start polls of due feeds while slots are free (called by the tick and by each finished poll)."""
        if self.stopping.is_set():
            return
        slots = self.config.poll.concurrency - len(self.plan.in_flight)
        for url in self.plan.take(utcnow(), slots):
            task = asyncio.create_task(self._poll(url), name=f"poll {url}")
            self._polls.add(task)
            task.add_done_callback(self._polls.discard)

    async def _poll(self, url: str) -> None:
        try:
            feeds = self.store.feeds([url])
            if not feeds:
                return
            result = await self.pipeline.poll_feed(feeds[0])
            self.state.last_poll = time.time()
            self.metrics.poll(result, self.state.last_poll)
            self.state.polls += 1
            if result.alerts:
                self._drain_wanted.set()
            if result.error:
                self.parts.problems()
            refreshed = self.store.feeds([url])
            if refreshed:
                self.plan.set(refreshed[0], self._interval(url), utcnow())
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug or a store error on one feed must not stop the others
            log.exception("poll of %s failed unexpectedly; trying again in one interval", url)
            self.plan.set_due(url, utcnow() + timedelta(seconds=self._interval(url)))
        finally:
            self.plan.done(url)
            self._start_due()

    # --- delivery ----------------------------------------------------------------------------------

    async def _drain_loop(self) -> None:
        """Drain the outbox whenever asked, one round at a time, until the service stops."""
        while not self.stopping.is_set():
            await self._drain_wanted.wait()
            self._drain_wanted.clear()
            if self.stopping.is_set():
                return
            try:
                reports = await self.pipeline.deliver()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivering alerts failed; trying again shortly")
                await asyncio.sleep(DRAIN_TICK)
                continue
            self._delivered(reports)

    def _delivered(self, reports: dict[str, DrainReport]) -> None:
        self.metrics.delivery(reports)
        for channel, r in reports.items():
            if r.sent or r.retried or r.dead:
                log.info("deliver %s sent=%d retry=%d dead=%d", channel, r.sent, r.retried, r.dead)
            for error in r.errors[:3]:
                log.warning("deliver %s: %s", channel, error)
            if r.dead:
                self.parts.problems()
            if r.sent + r.retried + r.dead >= DRAIN_LIMIT:
                self._drain_wanted.set()  # a full round: more may be waiting

    # --- health ------------------------------------------------------------------------------------

    def health(self) -> tuple[bool, dict[str, Any]]:
        """Scheduler alive, store writable, no feed long overdue; with the last poll's age.

        The last poll's age is reported but does not decide: with long intervals or feeds backing
        off for hours, a quiet poller is healthy. A feed due long ago and still not polled is not.
        """
        mono = time.monotonic()
        alive_for = mono - (self.state.last_tick or self.state.started)
        scheduler_ok = self.scheduler.running and alive_for < max(10.0, 10 * self.tick)
        store_ok = self.store.writable()
        grace = timedelta(seconds=2 * self.config.poll.timeout + 60)
        overdue = self.plan.overdue(utcnow(), grace)
        details: dict[str, Any] = {
            "scheduler": "ok" if scheduler_ok else "stalled",
            "store": "ok" if store_ok else "not writable",
            "last_poll_age_s": None if self.state.last_poll is None else round(time.time() - self.state.last_poll, 1),
            "polls": self.state.polls,
            "feeds": len(self.plan),
            "in_flight": len(self.plan.in_flight),
            "overdue_feeds": overdue,
            "outbox": self.store.outbox_counts(),
        }
        return scheduler_ok and store_ok and overdue == 0, details

    def metrics_text(self) -> bytes:
        self.metrics.outbox_depth(self.store.outbox_counts())
        return self.metrics.text()


async def run_service(config: Config, *, json_logs: bool = False) -> int:
    """Run the service until a signal stops it; 0 on a clean stop."""
    return await Service(config, json_logs=json_logs).run()
