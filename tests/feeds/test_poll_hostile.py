"""One poll over every misbehaving feed at once still alerts from the good one (issue 3).

The pipeline, the store and the console sink are the real ones; the feeds come from the feed
server on 127.0.0.1. Each bad feed fails with a reason in words, backs off, and leaks nothing.
"""

from __future__ import annotations

import gzip
import io
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.alerts import Alerts, ConsoleChannel
from bot.app.pipeline import Pipeline
from bot.config import FeedConfig, default_config
from bot.deliver.console import ConsoleSender
from bot.feeds.fetch import HttpFetcher
from bot.shipped import shipped_path
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.doubles.feedserver import (
    FeedServer,
    Route,
    billion_laughs,
    external_entity,
    html_page,
    quadratic_blowup,
)

SEED = shipped_path("seeds") / "rfi-feedx.xml"
SEED_TITLE = "习近平对吕特说：任何力量都阻挡不了中国科技进步的步伐"
SECRET = "TOPSECRET-poll-4b1d"
NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


def archive(n: int) -> bytes:
    """A feed of ``n`` undated items (under 1 MB for 5,000): one that lists its whole archive."""
    items = "".join(f"<item><title>Note {k}</title><link>https://archive.example/{k}</link></item>" for k in range(n))
    return f'<rss version="2.0"><channel><title>Archive</title>{items}</channel></rss>'.encode()


def _serve_everything(server: FeedServer, secret: Path) -> dict[str, str]:
    """Path -> the failure reason expected for it ('' for feeds that must parse)."""
    server.feed("/good.xml", SEED.read_bytes())
    server.feed("/bomb.xml", billion_laughs())
    server.feed("/quadratic.xml", quadratic_blowup())
    server.feed("/xxe.xml", external_entity(str(secret)))
    server.slow("/slow.xml", b"<rss/>", delay=30)
    server.endless("/endless.xml")
    server.redirect("/loop-a.xml", "/loop-b.xml")
    server.redirect("/loop-b.xml", "/loop-a.xml")
    server.status("/broken.xml", 500)
    server.status("/busy.xml", 429, headers={"Retry-After": "120"})
    server.feed("/html.xml", html_page(), content_type="text/html")
    server.feed("/empty.xml", b"")
    server.route("/zipbomb.xml", Route(body=gzip.compress(b" " * 50_000_000), headers={"Content-Encoding": "gzip"}))
    server.feed("/archive.xml", archive(5_000))
    return {
        "/good.xml": "", "/bomb.xml": "", "/quadratic.xml": "", "/xxe.xml": "", "/archive.xml": "",
        "/slow.xml": "timed out after 1 s", "/endless.xml": "body over 1 MB",
        "/loop-a.xml": "redirect loop", "/broken.xml": "HTTP 500",
        "/busy.xml": "HTTP 429 (retry after 2 min)",
        "/html.xml": "not a feed: got an HTML page", "/empty.xml": "empty body",
        "/zipbomb.xml": "body over 1 MB",
    }


async def test_one_poll_over_every_bad_feed_still_alerts_from_the_good_one(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    expected = _serve_everything(feed_server, secret)
    urls = {feed_server.url(path): path for path in expected}

    base = default_config(tmp_path)
    config = type(base)(
        storage_url="sqlite:///w.db", rules_path=shipped_path("rules"), poll=type(base.poll)(),
        feeds=tuple(FeedConfig(url=url, name=path) for url, path in urls.items()), base_dir=tmp_path,
    )
    store = SqliteStore(config.db_path)
    store.feeds.sync((f.url, f.name) for f in config.feeds)
    rules = RuleBook(config.rules_path)
    out = io.StringIO()
    async with HttpFetcher(timeout=1.0, max_bytes=1_000_000) as fetcher:
        pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                            alerts=Alerts(store, [ConsoleChannel(ConsoleSender(out))], clock=lambda: NOW), clock=lambda: NOW,
                            rng=random.Random(3))
        summary = await pipeline.poll_once()

    printed = out.getvalue()
    assert SEED_TITLE in printed  # the good feed alerted
    assert SECRET not in printed and "lollollol" not in printed

    results = {urls[r.url]: r for r in summary.feeds}
    assert set(results) == set(expected)
    for path, reason in expected.items():
        error = results[path].error or ""
        if reason:
            assert error.startswith(reason), f"{path}: {error!r}"
        else:
            assert not error, f"{path}: {error!r}"

    states = {urls[f.url]: f for f in store.feeds.all()}
    for path, reason in expected.items():
        assert states[path].consecutive_failures == (1 if reason else 0)
        assert states[path].next_poll_at is not None
    assert states["/busy.xml"].next_poll_at >= NOW + timedelta(seconds=120)  # type: ignore[operator]
    assert states["/busy.xml"].last_error == "HTTP 429 (retry after 2 min)"
    assert (results["/html.xml"].status, states["/html.xml"].last_status) == (200, 200)  # a 200 that is no feed
    # a feed of 5,000 items: the first 1,000 read (undated: the feed's order), and the feed told why
    assert results["/archive.xml"].items == 1_000 and states["/archive.xml"].last_items == 1_000
    assert (states["/archive.xml"].last_warning or "").startswith("the feed lists 5,000 items: only the newest 1,000")
