"""Polling spread over several `watchbot run` processes on one PostgreSQL store, by procrastinate. IO: PostgreSQL.

    plan (a periodic procrastinate task every PLAN_SECONDS; procrastinate defers each tick once,
          whichever process's worker gets there first):
        claim the due feeds, no more than keep BACKLOG feeds queued (FeedStore.claim_due: each handed
        out once, due again only when the claim runs out) | defer one `poll` job per POLL_BATCH of
        them, queueing lock = the first feed's URL
    poll (any process's worker, a few jobs at a time, poll.concurrency polls in flight):
        Pipeline.poll_feed for each feed of the job, which records the feed's real next poll time

Jobs carry a batch of feeds, not one: procrastinate spends a few queries on every job (fetch, finish,
delete), which at one feed per job cost more than a 304 poll itself (bench/spread.py). A batch holds
feeds of as many hosts as it can (hosts_in_turn): the fetcher polls at most ``poll.per_host`` feeds of
a host at once, and batches of one host's feeds (the claim's order) ran two polls at a time. The
claim, not the queueing lock, is what keeps a feed from being polled twice, so a claim must not run out
while its job waits in the queue: the plan tops the queue up to BACKLOG feeds instead of claiming every
due feed (with 100,000 due, claims of 5,000 a tick outran the pollers and ran out in the queue).

A process killed mid-poll leaves its claims to run out (twice the poll timeout, plus a tick), and
the next plan hands those feeds to a live process. Sending stays with the leader (service.py), which
drains the outbox the pollers fill. procrastinate keeps its own tables beside ours.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.types import JSONValue

from bot.app.pipeline import FeedResult, Pipeline
from bot.errors import StoreError
from bot.store.protocols import Store

log = logging.getLogger("watchbot.spread")

PLAN_SECONDS = 5
BACKLOG = 3000  # feeds queued at most: more than a tick's polls (~500/s), far fewer than a claim's (~60 s)
POLL_BATCH = 16  # feeds per poll job
QUEUE = "watchbot-poll"
RESTART_MAX = 60.0  # seconds between tries to start a stopped worker again, at most
POLL_TASK = "watchbot.poll"


class Spread:
    """procrastinate's app, tasks and worker for one process; ``start`` / ``stop`` with the service."""

    def __init__(self, url: str, store: Store, pipeline: Pipeline, *, concurrency: int, timeout: float,
                 clock: Callable[[], datetime], polled: Callable[[FeedResult], None]) -> None:
        self.store = store
        self.pipeline = pipeline
        self.clock = clock
        self.polled = polled
        self.concurrency = concurrency
        self.claim = timedelta(seconds=2 * timeout + PLAN_SECONDS)  # a poll's longest run, and the next tick
        self.app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=url, min_size=1,
                                                                              max_size=4))
        self.worker: asyncio.Task[None] | None = None
        self.problem: str | None = None  # why the worker is not running now (it is started again), None when it is
        self.restarts = 0

        @self.app.periodic(cron=f"* * * * * */{PLAN_SECONDS}", periodic_id="plan")
        @self.app.task(name="watchbot.plan", queue=QUEUE)
        async def plan(timestamp: int) -> None:
            await self.plan()

        @self.app.task(name=POLL_TASK, queue=QUEUE)
        async def poll(urls: list[str]) -> None:
            await asyncio.gather(*(self.poll(url) for url in urls))

        self._poll = poll

    async def start(self) -> None:
        try:
            created = await self.store.run(self.store.ensure_task_queue)  # type: ignore[attr-defined]
            await self.app.open_async()
        except Exception as e:  # psycopg's and procrastinate's errors, in one line
            reason = _reason(e)
            raise StoreError(f"cannot start the poll queue (procrastinate) in the store {self.store.location}: "
                             f"{reason}") from e
        if created:
            log.info("created procrastinate's tables in the store")
        self.worker = asyncio.create_task(self._work(), name="procrastinate worker")

    async def _work(self) -> None:
        """procrastinate's worker, started again whenever it stops: it stops for good when its database connection
        drops for a moment ("Side task listener failed ... stopping worker"), and the process had then polled
        nothing, for ever, while it looked healthy. Waits 1 s, then twice as long each time, up to a minute."""
        jobs = max(2, 2 * -(-self.concurrency // POLL_BATCH))  # enough jobs to keep poll.concurrency polls in flight
        wait = 1.0
        while True:
            began = time.monotonic()
            try:
                await self.app.run_worker_async(
                    queues=[QUEUE], concurrency=jobs, install_signal_handlers=False, delete_jobs="always",
                    fetch_job_polling_interval=1.0, name="watchbot")
                reason = "its own stop: the store's connection dropped, most likely"  # ("stopped (it stopped)")
            except asyncio.CancelledError:
                raise
            except Exception as e:  # (psycopg's and procrastinate's errors, in one line)
                reason = _reason(e)
            if time.monotonic() - began > RESTART_MAX:
                wait = 1.0  # (it ran for a while: this is a new trouble, not the same one again)
            self.problem, self.restarts = f"restarting in {wait:g} s: {reason}", self.restarts + 1
            log.warning("the poll worker (procrastinate) stopped (%s); starting it again in %g s", reason, wait)
            await asyncio.sleep(wait)
            self.problem = None
            wait = min(wait * 2, RESTART_MAX)

    async def stop(self, grace: float) -> None:
        if self.worker is not None:
            self.worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError, Exception):
                await asyncio.wait_for(self.worker, timeout=grace)
        with contextlib.suppress(Exception):
            await self.app.close_async()

    async def plan(self) -> None:
        """Claim the due feeds and defer one poll job per batch of them."""
        queued = await self.store.run(self.store.queued_jobs, QUEUE, POLL_TASK)  # type: ignore[attr-defined]
        room = BACKLOG - POLL_BATCH * queued
        if room <= 0:
            return
        now = self.clock()
        urls = hosts_in_turn(await self.store.run(self.store.feeds.claim_due, now, until=now + self.claim,
                                                  limit=room))
        for start in range(0, len(urls), POLL_BATCH):
            batch = urls[start: start + POLL_BATCH]
            with contextlib.suppress(AlreadyEnqueued):
                await self._poll.configure(queueing_lock=batch[0]).defer_async(urls=list[JSONValue](batch))
        if urls:
            log.debug("deferred %d poll(s)", len(urls))

    async def poll(self, url: str) -> None:
        feeds = self.pipeline.polled(await self.store.run(self.store.feeds.get, [url]))
        if feeds:  # not: a feed another process's config lists and this one's does not, or a paused one
            self.polled(await self.pipeline.poll_feed(feeds[0]))


def _reason(e: BaseException) -> str:
    """The first line of what went wrong underneath: procrastinate says "Database error." of psycopg's own words."""
    while e.__cause__ is not None:
        e = e.__cause__
    return (str(e).strip().splitlines() or [type(e).__name__])[0]


def hosts_in_turn(urls: list[str]) -> list[str]:
    """``urls`` reordered so that consecutive ones are of different hosts where they can be (one of each
    host in turn, hosts and each host's URLs in their first order)."""
    by_host: dict[str, list[str]] = {}
    for url in urls:
        by_host.setdefault(urlsplit(url).hostname or "", []).append(url)
    return [url for turn in itertools.zip_longest(*by_host.values()) for url in turn if url is not None]
