"""Adaptive polling end to end: the pipeline against the loopback feed server, on a test clock.

The service's tick asks ``poll_once()`` for the due feeds, as these tests do every few minutes of
the test clock; the server's request log says which polls really went out.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

from bot.app.alerts import Alerts
from bot.app.pipeline import Pipeline
from bot.config import Config, FeedConfig, PollConfig
from bot.feeds.fetch import HttpFetcher
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.doubles.feedserver import FeedServer

START = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def busy_feed(items: int = 40, *, ttl: int | None = None) -> bytes:
    """A feed that posted ``items`` stories over the last 12 hours: by its rhythm, polled every 2 minutes."""
    step = timedelta(hours=12) / items
    entries = "".join(
        f"<item><title>Story {i}</title><link>https://news.example/{i}</link>"
        f"<pubDate>{format_datetime(START - step * i)}</pubDate></item>"
        for i in range(items)
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Busy</title>{ttl_tag}'
            f"{entries}</channel></rss>").encode()


@asynccontextmanager
async def pipeline(tmp_path: Path, urls: list[str], clock: Clock,
                   poll: PollConfig | None = None) -> AsyncIterator[tuple[Pipeline, SqliteStore]]:
    config = Config(storage_url="sqlite:///w.db", rules_path=tmp_path / "rules", poll=poll or PollConfig(),
                    feeds=tuple(FeedConfig(url=u, name=u.rsplit("/", 1)[-1]) for u in urls), base_dir=tmp_path)
    (tmp_path / "rules").mkdir(exist_ok=True)
    store = SqliteStore(config.db_path)
    store.feeds.sync((f.url, f.name) for f in config.feeds)
    rules = RuleBook(config.rules_path)
    try:
        async with HttpFetcher(timeout=5.0) as fetcher:
            yield Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                           alerts=Alerts(store, [], clock=clock), clock=clock, rng=random.Random(3)), store
    finally:
        store.close()


async def run_for(p: Pipeline, clock: Clock, minutes: int, step: int = 1) -> None:
    """Let ``minutes`` of the test clock pass, polling the due feeds every ``step`` minutes."""
    for _ in range(0, minutes, step):
        clock.now += timedelta(minutes=step)
        await p.poll_once(deliver=False)


async def test_a_feed_with_cache_control_max_age_3600_is_not_polled_again_for_an_hour(tmp_path: Path) -> None:
    clock = Clock()
    with FeedServer() as server:
        asks = server.feed("/asks.xml", busy_feed(), headers={"Cache-Control": "max-age=3600"})
        free = server.feed("/free.xml", busy_feed())  # the same rhythm, no Cache-Control: the control
        async with pipeline(tmp_path, [asks, free], clock) as (p, store):
            await p.poll_once(deliver=False)  # both are new: due at once
            await run_for(p, clock, 59)
            assert len(server.requests_for("/asks.xml")) == 1
            assert len(server.requests_for("/free.xml")) >= 20  # its rhythm alone: every 2 minutes
            state = {f.url: f for f in store.feeds.all()}
            assert (state[asks].interval_seconds, state[asks].interval_reason) == (3600, "Cache-Control max-age=3600")
            assert state[free].interval_seconds == 120 and state[free].interval_reason == "about 40 new items a day"

            await run_for(p, clock, 2)  # an hour and its jitter (at most 30 s) have passed
            assert len(server.requests_for("/asks.xml")) == 2  # a 304 this time; the header came with it
            (after,) = store.feeds.get([asks])
            assert after.last_status == 304 and after.interval_reason == "Cache-Control max-age=3600"


async def test_the_feeds_ttl_is_kept_for_the_polls_that_get_a_304(tmp_path: Path) -> None:
    clock = Clock()
    with FeedServer() as server:
        url = server.feed("/ttl.xml", busy_feed(ttl=30))
        async with pipeline(tmp_path, [url], clock) as (p, store):
            await p.poll_once(deliver=False)
            await run_for(p, clock, 100)
            polls = server.requests_for("/ttl.xml")
            assert len(polls) == 4  # at 0, ~30, ~60, ~90 min: 304s from the second on
            (state,) = store.feeds.get([url])
            assert (state.last_status, state.interval_reason, state.ttl_seconds) == (304, "ttl 30 min", 1800)


async def test_a_pinned_interval_ignores_the_rhythm_and_the_server(tmp_path: Path) -> None:
    clock = Clock()
    with FeedServer() as server:
        url = server.feed("/pinned.xml", busy_feed(), headers={"Cache-Control": "max-age=3600"})
        async with pipeline(tmp_path, [url], clock, PollConfig(interval=600.0)) as (p, store):
            await p.poll_once(deliver=False)
            await run_for(p, clock, 55)
            # every 10 min plus the feed's jitter (under 30 s, which the 1-minute steps round up or not):
            # at 0, 10, ... 50 or at 0, 11, ... 55
            assert len(server.requests_for("/pinned.xml")) == 6
            (state,) = store.feeds.get([url])
            assert (state.interval_seconds, state.interval_reason) == (600, "fixed by config")


async def test_polling_by_hand_several_times_does_not_push_the_next_poll_out(tmp_path: Path) -> None:
    """`watchbot poll` three times in a row (issue 12): the service's next poll stays where it was."""
    clock = Clock()
    with FeedServer() as server:
        quiet = server.feed("/quiet.xml", busy_feed(items=1))  # one story: polled every few hours
        broken = server.status("/broken.xml", 503)
        async with pipeline(tmp_path, [quiet, broken], clock) as (p, store):
            await p.poll_once(deliver=False)
            planned = {f.url: f.next_poll_at for f in store.feeds.all()}
            assert all(planned.values())
            for _ in range(3):  # within the next planned polls (10 min; the failing one's backoff 3-4 min)
                clock.now += timedelta(seconds=30)
                summary = await p.poll_once([quiet, broken], deliver=False, by_hand=True)
                assert len(summary.feeds) == 2
            after = {f.url: f for f in store.feeds.all()}
            assert after[quiet].next_poll_at == planned[quiet]
            assert after[broken].next_poll_at == planned[broken]
            assert after[broken].consecutive_failures == 4  # the failures still count

            clock.now += timedelta(seconds=30)  # the service polls (not by hand): the plan moves on
            await p.poll_once([quiet], deliver=False)
            (moved,) = store.feeds.get([quiet])
            assert moved.next_poll_at is not None and moved.next_poll_at > planned[quiet]
