"""How the plan (bot/app/spread.py) cuts the claimed feeds into poll jobs, and its worker outlives a dropped
connection (PostgreSQL)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlsplit

from bot.app.spread import POLL_BATCH, hosts_in_turn
from tests.doubles.feedserver import FeedServer, rss
from tests.doubles.tcpproxy import TcpProxy
from tests.postgres import postgres_schema
from tests.waiting import eventually


def test_a_batch_takes_feeds_of_different_hosts_in_turn() -> None:
    urls = sorted([f"https://a.example/{i}" for i in range(40)] + [f"https://b.example/{i}" for i in range(8)]
                  + ["https://c.example/feed"])
    turned = hosts_in_turn(urls)
    assert sorted(turned) == urls  # each feed once
    first = turned[:POLL_BATCH]  # not sixteen feeds of a.example, polled poll.per_host at a time
    assert {u.split("/")[2] for u in first[:3]} == {"a.example", "b.example", "c.example"}
    assert sum(u.startswith("https://a.example/") for u in first) == 8
    assert [u for u in turned if u.startswith("https://a.example/")] == [u for u in urls if "a.example" in u]


def test_feeds_of_one_host_keep_their_order() -> None:
    urls = ["http://x/1", "http://x/2", "http://x/3"]
    assert hosts_in_turn(urls) == urls and hosts_in_turn([]) == []


async def test_a_worker_that_loses_its_database_for_a_while_is_started_again_and_polls(tmp_path: Path) -> None:
    """A database out of reach for half a minute stopped procrastinate's worker for good ("Side task listener failed
    ... stopping worker"): the process then polled nothing, for ever, and /healthz said all was well. Here the
    worker reaches the database through a proxy that is cut for a few seconds."""
    from bot.app.build import open_app
    from bot.app.spread import Spread
    from bot.config import Config, PollConfig
    from bot.shipped import default_rules_dir
    from bot.times import utcnow

    with FeedServer() as feeds, postgres_schema() as pg:
        first = feeds.feed("/first.xml", rss([("Chip story 1", "https://news.example/1")], title="First"))
        second = feeds.feed("/second.xml", rss([("Chip story 2", "https://news.example/2")], title="Second"))
        config = Config(storage_url=pg, rules_path=default_rules_dir(), poll=PollConfig(timeout=5.0), feeds=(),
                        source=str(tmp_path / "config.toml"))
        polled: list[str] = []
        host_port = urlsplit(pg).netloc.rsplit("@", 1)[-1]
        async with open_app(config, offline=True) as app, TcpProxy(int(host_port.rsplit(":", 1)[1])) as proxy:
            app.store.feeds.add(first, "First", now=utcnow())
            spread = Spread(pg.replace(host_port, f"127.0.0.1:{proxy.port}"), app.store, app.pipeline,
                            concurrency=4, timeout=5.0, clock=utcnow, polled=lambda result: polled.append(result.url))
            await spread.start()
            try:
                await eventually(lambda: first in polled, "the first feed's poll", timeout=60)
                await proxy.cut()
                # (procrastinate stops only once its running jobs have settled, each through a pool that waits out its
                # own timeout while the database is cut: over 60 s once on a loaded machine)
                await eventually(lambda: spread.restarts, "the worker to stop", timeout=180)
                await asyncio.sleep(3)  # (tried again while the database is still out of reach)
                await proxy.mend()
                app.store.feeds.add(second, "Second", now=utcnow())
                await eventually(lambda: second in polled, "a poll by the worker started again", timeout=90)
                assert spread.problem is None
            finally:
                await spread.stop(3.0)
