"""`watchbot run`: the long-running service. Does IO (store, network, signals, clock).

One asyncio loop holds everything. In every process, leader or follower (a task started before the lead is
settled, since a follower matches too):

    rules    every 2 s              RuleBook.refresh(); new rule problems are logged and told to admins
    phrases  with the rules         Phrases.refresh(), at most 2% of the time: the chats' phrases and mutes
                                    another process stored (the leader answers /watch and /mute)

In the leader, an APScheduler ``AsyncIOScheduler`` is the clock of the rest:

    feeds    every tick (0.1-1 s)   start polls of the due feeds (schedule.PollPlan over next_poll_at),
                                    at most poll.concurrency in flight; a finished poll starts the next
    outbox   every second           wake the drainer, which also wakes right after a poll enqueued alerts
    notices  every 5 s (Telegram)   tell the admins of failing feeds, rule problems, dead letters
    digest:* cron, in each zone     email and chat digests (the digest part keeps these in step)
    prune    daily                  forget items older than storage.keep (bot.app.retention)

Everything is opened by ``bot.app.build.open_app``, as the CLI's parts are. Start-up opens (and
migrates) the store, refusing a second `watchbot run` on one SQLite store. On PostgreSQL several
may run: every one polls (procrastinate hands out the due feeds, ``bot.app.spread``), and the one
holding the store's lease (``Store.lease``, an advisory lock) leads: it reads Telegram updates, sends
and runs digests; the others follow, and when the leader dies one takes over within ``LEASE_TICK``
seconds. A leader that loses its lease stops (exit 1).
The leader puts alerts a crash left in 'sending' back before anything runs; shutdown (SIGTERM/SIGINT) stops the
scheduler, lets polls and sends in flight finish for a few seconds, cancels the rest (a cancelled
poll writes nothing; unfinished claims go back to 'pending'), closes the store, and returns 0 well
within 10 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.app import leadership, retention
from bot.app.alerts import DrainReport
from bot.app.build import bot_api_error, open_app, web_app
from bot.app.digests import unknown_watchlists
from bot.app.leadership import Leadership
from bot.app.metrics import Metrics
from bot.app.pipeline import FeedResult
from bot.app.polling import PollPlan, eager, tick_seconds
from bot.config import Config, is_postgres
from bot.errors import RuleError, StoreError, WatchbotError
from bot.feeds.health import describe_seconds
from bot.observe import HttpEndpoint
from bot.store.protocols import FeedState
from bot.times import utcnow
from bot.watch import RuleBook, rule_warnings
from bot.watch.load import rule_text
from bot.watch.personal import owner
from bot.watch.reload import LAST_GOOD

if TYPE_CHECKING:
    from bot.app.spread import Spread

log = logging.getLogger("watchbot.service")

DRAIN_TICK = 1.0  # seconds between looks at the outbox for retries that came due
RULES_TICK = 2.0  # seconds between looks at the rule files (and at the chats' phrases and mutes: PHRASES_SHARE)
POLL_GRACE = 3.0  # seconds polls in flight get to finish at shutdown (a cancelled poll writes nothing) ...
SEND_GRACE = 5.0  # ... and the delivery round in flight, whose cut-off sends would go out again at the next start
DRAIN_LIMIT = 500  # alerts claimed per channel per drain round (Alerts.limit)
FEED_LIST_TICK = 2.0  # seconds between looks at feeds added or paused in the store ...
FEED_LIST_SHARE = 0.05  # ... or longer, so that the look takes at most this share of the time (1.3 s at 100k feeds)
PHRASES_SHARE = 0.02  # every chat's phrases and mutes are read again so that it takes at most this share of the time
SCHEMA_EVERY = 30.0  # seconds between looks at the store's schema version (a newer release upgraded it: stop)
NOTICE_TICK = 5.0  # seconds between checks for problems to tell the admins about
LEASE_TICK = leadership.TICK
BOT_RETRY = 15.0  # seconds before the Bot API, out of reach at start, is tried again (then twice as long each time)
BOT_RETRY_MAX = 300.0


def out_of_reach(e: BaseException) -> bool:
    """Whether the Bot API did not answer (the network, a proxy's 502), as against answered and refused (a bad
    token, a bad request): the first is waited out, the second is the config's to fix."""
    from telegram.error import BadRequest, NetworkError

    return isinstance(e, NetworkError) and not isinstance(e, BadRequest)


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
        self._feed_list_next = 0.0  # time.monotonic() of the next look at the store's feed list
        self._phrases_next = 0.0  # ... and at every chat's phrases and mutes
        self._reported_rule_errors: set[str] = set()
        self._reported_rule_warnings: set[str] = set()
        self._orphans: list[str] = []  # followed watchlist ids no rule has now, said as problems
        self._schema_next = 0.0  # (monotonic) when to look at the store's schema version again
        self._schema_known = 0  # the newest schema version this release knows (set once the store is open)
        self._problems = True  # check once at start
        self._store_refuses: str | None = None  # why the store kept nothing of the last poll that failed there
        self._store_told = False  # whether the admins were told of it (once an outage: the store cannot keep it)
        self.tick = tick_seconds([f.interval or config.poll.interval or config.poll.min_interval for f in config.feeds])
        self.spread: Spread | None = None
        self.exit_code = 0
        self.bot_problem: str | None = None  # why the bot is not reading updates yet (the Bot API out of reach)
        self._bot_retry: asyncio.Task[None] | None = None
        self.failure: str | None = None  # why the service stopped by itself (exit_code 1)
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
        async with open_app(config, serve=True, rules=rules) as app:
            self.app = app
            self.leadership = Leadership(app.store)
            if is_postgres(config.storage_url):
                from bot.store.postgres import migrations as postgres_migrations

                self._schema_known = postgres_migrations()[-1][0]
            try:
                await self._serve()
            finally:
                try:
                    await self.leadership.release()
                except StoreError as e:  # (the lease ends with the session anyway; not the reason to give)
                    if not self.exit_code:
                        raise
                    log.warning("releasing the lead: %s", e)
        if self.exit_code and self.failure:  # the reason, last, where the operator looks (not a lost connection's)
            raise WatchbotError(self.failure)
        return self.exit_code

    async def _serve(self) -> None:
        http = None
        following: asyncio.Task[None] | None = None
        if self.config.http_listen:
            host, port = self.config.http_listen
            http = HttpEndpoint(host, port, health=self.health, metrics=self.metrics_text, app=web_app(self.app))
            await http.start()
        try:
            feeds = self.app.pipeline.polled(await self.app.store.run(self.app.store.feeds.all))
            self._announce(http, len(feeds))
            self._report_rules(await asyncio.to_thread(self._rule_warnings))
            await self._report_orphans()
            for line in [*unknown_watchlists(self.config, [w.id for w in self.rules.watchlists]), *eager(self.config)]:
                log.warning("%s", line)
            await self._start_spread()
            # Every process matches: the rule files and the chats' phrases are followed before the lead is (a
            # follower polls with them from its first procrastinate job on).
            following = asyncio.create_task(self._follow_loop(), name="follow rules and phrases")
            if not await self.leadership.wait(self.stopping):  # (a follower asked to stop: said, as a leader's is)
                log.info("stopping: a follower; letting its polls in flight finish")
                return
            released = await self.app.store.run(self.app.store.outbox.release_in_flight)
            if released:
                # (claimed for a round, not all in flight: at most telegram.concurrency of them can arrive twice)
                n = self.config.telegram.concurrency if self.config.telegram else 1
                log.warning("%d alert(s) were being sent when the service last stopped; sending them again (at most %d "
                            "of them may arrive twice: those that were in flight)", released, min(n, released))
            await self._start_bot()
            if self.spread is None:
                await self._plan_all()
            drainer = asyncio.create_task(self._drain_loop(), name="drainer")
            await self._add_jobs()
            self.scheduler.start()
            self._drain_wanted.set()
            self._start_due()
            await self.stopping.wait()
            log.info("stopping: letting polls and sends in flight finish")
            await self._shutdown(drainer)
        finally:
            if following is not None:
                following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await following
            if self.spread is not None:
                await self.spread.stop(POLL_GRACE)
            if http is not None:
                await http.stop()
            log.info("stopped")

    async def _start_spread(self) -> None:
        """On PostgreSQL every process polls: procrastinate hands out the due feeds (bot.app.spread)."""
        if not is_postgres(self.config.storage_url):
            return
        from bot.app.spread import Spread  # procrastinate is loaded only by those who use it

        self.spread = Spread(self.config.storage_url, self.app.store, self.app.pipeline,
                             concurrency=self.config.poll.concurrency, timeout=self.config.poll.timeout,
                             clock=utcnow, polled=self._polled)
        await self.spread.start()

    async def _start_bot(self) -> None:
        if self.app.telegram is None:
            return
        try:
            await self.app.telegram.start()
        except BaseException as e:
            if isinstance(e, Exception) and not isinstance(e, WatchbotError) and out_of_reach(e):
                # The network, not the config: a reboot before the network is up had stopped the service for good
                # (systemd gives up after 5 failed starts). Polling goes on; alerts wait in the outbox, tried as due.
                self.bot_problem = str(bot_api_error(self.config, e))
                log.warning("%s; polling goes on, alerts wait in the outbox, and the Bot API is tried again in "
                            "%g s", self.bot_problem, BOT_RETRY)
                self._bot_retry = asyncio.create_task(self._reach_bot(), name="reach the Bot API")
                return
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.app.telegram.stop(), timeout=3.0)
            if isinstance(e, WatchbotError) or not isinstance(e, Exception):
                raise
            raise bot_api_error(self.config, e) from None

    async def _reach_bot(self) -> None:
        """Start the bot once the Bot API answers: BOT_RETRY s, then twice as long each time, up to 5 minutes."""
        assert self.app.telegram is not None
        wait = BOT_RETRY
        while not self.stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=wait)
                return
            try:
                await self.app.telegram.start()
            except Exception as e:  # (out of reach still, or it answers and refuses: said, and tried again)
                self.bot_problem = str(bot_api_error(self.config, e))
                wait = min(wait * 2, BOT_RETRY_MAX)
                log.warning("%s; trying again in %g s", self.bot_problem, wait)
                continue
            self.bot_problem = None
            log.info("telegram: the Bot API answers again: reading updates and sending")
            return

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
        if self._bot_retry is not None:
            self._bot_retry.cancel()
        if self.app.telegram is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.app.telegram.stop(), timeout=2.0)
        try:
            back = await self.app.store.run(self.app.store.outbox.release_in_flight)  # a cut-off round's claims
        except StoreError as e:  # (the store out of reach: the next start releases them, as after a kill -9)
            log.warning("alerts cut off mid-send are released at the next start: %s", e)
            return
        if back:
            log.warning("%d alert(s) were cut off mid-send and go out at the next start", back)

    def _announce(self, http: HttpEndpoint | None, feeds: int) -> None:
        """The one line on what the service will do (``feeds``: those it polls, the config's and those added,
        unpaused)."""
        c = self.config
        names = ", ".join(w.id for w in self.rules.watchlists)
        where = ", ".join(ch.name for ch in self.app.channels)
        line = (f"watchbot run: polling {feeds} feed{'s' * (feeds != 1)} with "
                f"{len(self.rules.watchlists)} watchlist{'s' * (len(self.rules.watchlists) != 1)} ({names}); "
                f"alerts to {where}")
        if c.email is not None and self.app.digests is not None:
            n = len(self.app.digests.email_recipients())
            line += f"; email digests for {n} recipient{'s' * (n != 1)} via {c.email.host}"
        if http is not None:
            line += f"; health, metrics and the web interface on http://{http.host}:{http.port}"
        line += f"; store {self.app.store.location}"
        if getattr(self.app.store, "created", False):  # say so: a store that vanished must not go unnoticed
            line += " (new and empty: no store was there)"
        upgraded = getattr(self.app.store, "upgraded_from", None)
        if upgraded is not None:  # (an operator upgrading must know the release before cannot open it now)
            now = self.app.store.schema_version
            line += f" (upgraded from schema version {upgraded} to {now}: a release before this one cannot open it now)"
        if self.json_logs:
            log.info("%s", line)
        else:
            print(line, file=self.out, flush=True)

    # --- jobs --------------------------------------------------------------------------------------

    async def _add_jobs(self) -> None:
        s = self.scheduler
        s.add_job(self._tick_feeds, "interval", seconds=self.tick, id="feeds", name="poll due feeds")
        s.add_job(self._tick_outbox, "interval", seconds=DRAIN_TICK, id="outbox", name="drain the outbox")
        s.add_job(self._tick_feed_list, "interval", seconds=FEED_LIST_TICK, id="feed-list",
                  name="follow feeds added or paused in the store")
        s.add_job(self._tick_lease, "interval", seconds=LEASE_TICK, id="lease", name="check the lead")
        if self.app.digests is not None:
            await self.app.digests.install(s)
            self.app.digests.problem = self.problems
        s.add_job(self._tick_prune, "interval", seconds=retention.PRUNE_EVERY, id="prune", name="prune old items",
                  next_run_time=utcnow() + timedelta(seconds=retention.FIRST_PRUNE))
        if self.app.notices is not None:
            s.add_job(self._tick_notices, "interval", seconds=NOTICE_TICK, id="notices",
                      name="tell the admins about problems")

    async def _tick_feeds(self) -> None:
        self.state.last_tick = time.monotonic()
        self._start_due()

    async def _tick_outbox(self) -> None:
        self._drain_wanted.set()

    async def _follow_loop(self) -> None:
        """Every RULES_TICK, in every process (leader or follower): rule files edited (or saved on the web by another
        process), and the chats' phrases and mutes another process stored."""
        while not self.stopping.is_set():
            try:
                await self._tick_rules()
                await self._tick_phrases()
                await self._tick_schema()
            except Exception:  # (each tick keeps its own errors; this loop must outlive any it did not foresee)
                log.exception("following the rules and phrases failed; trying again in %.0f s", RULES_TICK)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stopping.wait(), timeout=RULES_TICK)

    async def _tick_schema(self) -> None:
        """A newer release upgraded the store under this process (a rolling upgrade on PostgreSQL): it stops, and says
        why, rather than write what the new schema may not expect (it had gone on without a word)."""
        if not is_postgres(self.config.storage_url) or time.monotonic() < self._schema_next:
            return
        self._schema_next = time.monotonic() + SCHEMA_EVERY
        store = self.app.store
        try:
            version = await store.run(lambda: store.schema_version)
        except StoreError:
            return  # (out of reach: said elsewhere)
        if version > self._schema_known:
            self.exit_code = 1
            self.failure = (f"the store {store.location} was upgraded by a newer release (schema version {version}; "
                            f"this one knows {self._schema_known}): stopped, so that it writes nothing the new schema "
                            "does not expect; start the new release here too")
            log.error("%s", self.failure)
            self.stop()

    async def _tick_rules(self) -> None:
        try:
            if self.app.editor is not None:
                await self.app.editor.pull()  # watchlists saved on the web by another process on this store
            # (in a worker thread: a 100,000-phrase watchlist took seconds to build, and polls timed out meanwhile)
            changed = await asyncio.to_thread(self.rules.refresh)
        except StoreError as e:  # (the store out of reach: what, in one line; its traceback says nothing more)
            log.warning("reloading the rules: %s; the last good rules stay active", e)
            return
        except Exception:  # a reload must never stop the service
            log.exception("reloading the rules failed; the last good rules stay active")
            return
        if changed:
            log.info("rules reloaded: %d watchlists (%s)", len(self.rules.watchlists),
                     ", ".join(w.id for w in self.rules.watchlists))
            self._report_rules(await asyncio.to_thread(self._rule_warnings))
            await self._report_orphans()

    async def _tick_lease(self) -> None:
        if not await self.leadership.still():
            self.exit_code = 1
            self.failure = (f"lost the lead of the store {self.app.store.location} (the connection to it dropped): "
                            "stopped, so that another process takes over; start this one again")
            self.stop()

    async def _tick_prune(self) -> None:
        try:
            await retention.prune(self.app.store, keep=self.config.storage_keep, now=utcnow())
        except Exception:  # retention must never stop the service; tomorrow's run tries again
            log.exception("pruning old items failed")

    def _rule_warnings(self) -> set[str]:
        """What `rules check` warns of in the rules now, with their lines (a worker thread: it reads every rule file
        and looks at every pattern, seconds for a huge watchlist)."""
        return {w for wl in self.rules.watchlists for w in rule_warnings(wl, rule_text(wl.source))}

    def _report_rules(self, warned: set[str]) -> None:
        """Log and tell the admins each rule problem once (until it is fixed and comes back); log each of the rules'
        ``warned`` once."""
        current = {str(e) for e in self.rules.errors}
        for problem in sorted(current - self._reported_rule_errors):
            log.warning("rule problem: %s", problem)
            self.problems()  # the admins hear of it on the next notice tick
        self._reported_rule_errors = current
        # Warnings (valid rules that will not do what they seem to, as `rules check` says them): logged once each, when
        # a reload brings them; not told to the admins, since the rules run as written.
        for warning in sorted(warned - self._reported_rule_warnings):
            log.warning("rule warning: %s", warning)
        self._reported_rule_warnings = warned
        self.metrics.watchlists.set(len(self.rules.watchlists))
        # (a broken file's "the last good version stays active" is no second problem: one file had counted 2)
        self.metrics.rule_errors.set(sum(1 for e in self.rules.errors if e.message != LAST_GOOD))

    async def _report_orphans(self) -> None:
        """A watchlist chats follow that no rule file has (its file removed, or broken at a restart, or its id changed
        on disk) alerted nobody without a word: logged, and told to the admins once, until it is back."""
        try:
            followed = await self.app.store.run(self.app.store.chats.followed)
        except StoreError as e:
            log.warning("looking for followed watchlists no rule has: %s", e)
            return
        orphans = orphaned(followed, [w.id for w in self.rules.watchlists], [str(e) for e in self.rules.errors])
        for line in sorted(set(orphans) - set(self._orphans)):
            log.warning("%s", line)
            self.problems()
        self._orphans = orphans

    def problems(self) -> None:
        """Something an admin may need to hear of happened (a failed poll, a dead letter, a rule error)."""
        self._problems = True

    async def _tick_notices(self) -> None:
        if self.app.notices is None:
            return
        if self._store_refuses is not None and not self._store_told:
            self._store_told = True  # (told or not: an admin who never started the bot is not asked again and again)
            try:
                if await self.app.notices.tell_store_refuses(self._store_refuses):
                    log.info("told the admins that the store refuses writes")
            except Exception:  # the notices must never stop the service
                log.exception("telling the admins that the store refuses writes failed")
        if not self._problems:
            return
        self._problems = False
        try:
            switched_off = [f"{d.watchlist}: {d.reason}" for d in self.rules.matcher.disabled]
            sent = await self.app.notices.problems([*self.rules.told(), *switched_off, *self._orphans])
        except StoreError as e:  # a notice is kept as told in the store: it refuses, so the next problem asks again
            log.warning("telling the admins about problems: %s", e)
            return
        except Exception:  # the notices must never stop the service
            log.exception("telling the admins about problems failed")
            self._problems = True
            return
        if sent:
            log.info("told the admins about %d problem(s)", sent)

    # --- polling -----------------------------------------------------------------------------------

    def _interval(self, url: str) -> float:
        return self.app.pipeline.interval(url)

    async def _plan_all(self) -> None:
        now = utcnow()
        feeds = self.app.pipeline.polled(await self.app.store.run(self.app.store.feeds.all))
        due = {feed.url: self.plan.set(feed, now) for feed in feeds}
        self.metrics.feeds.set(len(self.plan))
        if due and min(due.values()) > now:  # (else polls start at once: their lines follow)
            log.info("%s", not_due_yet(feeds, due, now))

    async def _tick_feed_list(self) -> None:
        """Feeds added, paused, resumed or removed in the store (the web, `watchbot feeds`) join or leave the plan."""
        if self.spread is not None:  # procrastinate's plan reads the store's feeds on every tick: no plan here
            return
        started = time.monotonic()
        if started < self._feed_list_next:
            return
        now = utcnow()
        polled = {f.url: f for f in self.app.pipeline.polled(await self.app.store.run(self.app.store.feeds.all))}
        self._feed_list_next = started + (time.monotonic() - started) / FEED_LIST_SHARE
        for url in self.plan.urls() - set(polled):
            self.plan.drop(url)
        for url, feed in polled.items():
            if url not in self.plan:
                self.plan.set(feed, now)
        self.metrics.feeds.set(len(self.plan))

    async def _tick_phrases(self) -> None:
        """Chats' phrases and mutes changed by another process on this store: a follower matches what the leader's
        chats /watch and leaves out what they /mute (bot.app.phrases, ``refresh``)."""
        phrases = self.app.phrases
        started = time.monotonic()
        if phrases is None or started < self._phrases_next:
            return
        try:
            changed = await self.app.store.run(phrases.refresh)
        except StoreError as e:
            log.warning("reading the chats' phrases and mutes: %s; the ones held keep matching", e)
            return
        except Exception:  # a failed read must never stop the service: the phrases held keep matching
            log.exception("reading the chats' phrases and mutes failed; the ones held keep matching")
            return
        finally:
            self._phrases_next = started + (time.monotonic() - started) / PHRASES_SHARE
        if changed:
            log.info("phrases: chats' own phrases or mutes changed in the store; matching with them from now on")

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
        store = self.app.store
        try:
            feeds = await store.run(store.feeds.get, [url])
            if not feeds:
                return
            result = await self.app.pipeline.poll_feed(feeds[0])
            self._polled(result)
            if result.retry_at is not None:  # the store could not record the poll: the plan keeps its next time
                self.plan.set_due(url, result.retry_at)
                return
            refreshed = await store.run(store.feeds.get, [url])
            if refreshed and not refreshed[0].paused:
                self.plan.set(refreshed[0], utcnow())
        except asyncio.CancelledError:
            raise
        except StoreError as e:  # the store, not the feed (a database gone): said in one line, tried again later
            log.warning("poll of %s: %s; trying again in one interval", url, e)
            self.plan.set_due(url, utcnow() + timedelta(seconds=self._interval(url)))
        except Exception:  # a bug on one feed must not stop the others
            log.exception("poll of %s failed unexpectedly; trying again in one interval", url)
            self.plan.set_due(url, utcnow() + timedelta(seconds=self._interval(url)))
        finally:
            self.plan.done(url)
            self._start_due()

    def _polled(self, result: FeedResult) -> None:
        self.state.last_poll = time.time()
        self.metrics.poll(result, self.state.last_poll)
        self.state.polls += 1
        if result.alerts:
            self._drain_wanted.set()
        if result.failed == "store":
            self._store_refuses = result.error
        elif result.error is None and self._store_refuses is not None:  # (a poll recorded: the store writes again)
            log.info("the store keeps what the feeds bring again")
            self._store_refuses, self._store_told = None, False
        if result.error:
            self.problems()

    # --- delivery ----------------------------------------------------------------------------------

    async def _drain_loop(self) -> None:
        """Drain the outbox whenever asked, one round at a time, until the service stops."""
        refused = 0.0  # how long the last wait was while the store refuses (doubling to a minute)
        while not self.stopping.is_set():
            await self._drain_wanted.wait()
            self._drain_wanted.clear()
            if self.stopping.is_set():
                return
            try:
                reports = await self.app.alerts.drain()
            except asyncio.CancelledError:
                raise
            except StoreError as e:  # (the store's own words: what it is, what to do)
                refused = min(refused * 2, 60.0) if refused else DRAIN_TICK
                log.warning("delivering alerts: %s; they stay pending, trying again in %.0f s", e, refused)
                with contextlib.suppress(TimeoutError):  # (a stop ends the wait)
                    await asyncio.wait_for(self.stopping.wait(), timeout=refused)
                self._drain_wanted.set()
                continue
            except Exception:
                log.exception("delivering alerts failed; trying again shortly")
                await asyncio.sleep(DRAIN_TICK)
                continue
            refused = 0.0
            self._delivered(reports)

    def _delivered(self, reports: dict[str, DrainReport]) -> None:
        self.metrics.delivery(reports)
        for channel, r in reports.items():
            if r.sent or r.retried or r.dead:
                log.info("deliver %s sent=%d retry=%d dead=%d%s", channel, r.sent, r.retried, r.dead,
                         f" held={r.held}" if r.held else "")
            elif r.held:
                log.info("deliver %s held=%d (quiet hours)", channel, r.held)
            for error in r.errors[:3]:
                log.warning("deliver %s: %s", channel, error)
            if r.dead:
                self.problems()
            if r.sent + r.retried + r.dead >= DRAIN_LIMIT or (r.capped and (r.sent or r.dead)):
                self._drain_wanted.set()  # a full round, or a target's share of one: more may be waiting

    # --- health ------------------------------------------------------------------------------------

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Scheduler alive, store writable, no feed long overdue; with the last poll's age.

        The last poll's age is reported but does not decide: with long intervals or feeds backing
        off for hours, a quiet poller is healthy. A feed due long ago and still not polled is not.
        """
        mono = time.monotonic()
        alive_for = mono - (self.state.last_tick or self.state.started)
        following = self.leadership.role == "follower"  # a follower runs no scheduler: procrastinate polls
        scheduler_ok = following or (self.scheduler.running and alive_for < max(10.0, 10 * self.tick))
        store = self.app.store
        try:
            store_problem = await asyncio.wait_for(store.run(store.check), timeout=2.0)
        except (TimeoutError, StoreError) as e:
            store_problem = f"not answering: {str(e) or 'no answer within 2 s (down, or too busy)'}"
        store_ok = store_problem is None
        grace = timedelta(seconds=2 * self.config.poll.timeout + 60)
        if self.spread is None:
            feeds, overdue = len(self.plan), self.plan.overdue(utcnow(), grace)
        elif store_ok:  # procrastinate polls: the store's plan, not this process's, says what is overdue
            feeds, overdue = await store.run(self._store_overdue, utcnow() - grace)
        else:  # (not known while the store does not answer: 0 had read as a config without feeds)
            feeds, overdue = None, None
        worker = None if self.spread is None else self.spread.problem
        details: dict[str, Any] = {
            "role": self.leadership.role,
            "scheduler": "ok" if scheduler_ok else "stalled",
            "store": "ok" if store_ok else store_problem,
            "last_poll_age_s": None if self.state.last_poll is None else round(time.time() - self.state.last_poll, 1),
            "polls": self.state.polls,
            "feeds": feeds,
            "in_flight": len(self.plan.in_flight),
            "overdue_feeds": overdue,
            "outbox": await store.run(store.outbox.counts) if store_ok else None,  # (unknown, not "nothing pending")
        }
        if self.spread is not None:
            details["poll_worker"] = worker or "ok"
        if self.app.telegram is not None and self.leadership.role == "leader":
            # (not unhealthy: polling goes on, alerts wait to be sent)
            details["telegram"] = (self.bot_problem or "ok").removeprefix("telegram: ")
        return scheduler_ok and store_ok and overdue == 0 and worker is None, details

    def _store_overdue(self, before: datetime) -> tuple[int, int]:
        """(feeds polled, feeds due before ``before`` and not polled yet), from the store (its thread)."""
        feeds = self.app.pipeline.polled(self.app.store.feeds.all())
        return len(feeds), sum(1 for f in feeds if f.next_poll_at is not None and f.next_poll_at < before)

    async def metrics_text(self) -> bytes:
        self.metrics.outbox_depth(await self.app.store.run(self.app.store.outbox.counts))
        if self.spread is not None:  # (procrastinate plans the polls: this process has no plan, and it said 0 feeds)
            feeds = self.app.pipeline.polled(await self.app.store.run(self.app.store.feeds.all))
            self.metrics.feeds.set(len(feeds))
        return self.metrics.text()


async def run_service(config: Config, *, json_logs: bool = False) -> int:
    """Run the service until a signal stops it; 0 on a clean stop."""
    return await Service(config, json_logs=json_logs).run()


def orphaned(followed: Mapping[str, int], active: Sequence[str], errors: Sequence[str]) -> list[str]:
    """A line for each shared watchlist id chats follow that no active watchlist has; the words say whether a rule
    file with a problem may be why. Pure."""
    out = []
    for wl, n in sorted(followed.items()):
        if owner(wl) is not None or wl in active:
            continue
        why = ("a rule file has a problem (above): if it is this watchlist's, fix it"
               if errors else "its file was removed, or its id changed: bring it back, or rename the id back")
        out.append(f"watchlist '{wl}' is followed by {n} chat{'s' * (n != 1)} but is in no rule file now, so it "
                   f"alerts nobody: {why}")
    return out


def not_due_yet(feeds: Sequence[FeedState], due: Mapping[str, datetime], now: datetime) -> str:
    """What `watchbot run` says at start when no feed is due yet (a restart soon after polls, or feeds backing off
    after failures), so that a quiet start does not look like a hang."""
    first = min(due.values())
    failing = [f for f in feeds if f.consecutive_failures]
    line = (f"no feed is due yet: the first poll is in {describe_seconds((first - now).total_seconds())} "
            f"({first:%H:%M} UTC)")
    if failing:
        n = len(failing)
        line += (f"; {n} feed{'s' * (n != 1)} {'are' if n != 1 else 'is'} backing off after failures "
                 "(`watchbot feeds` says why)")
    return line
