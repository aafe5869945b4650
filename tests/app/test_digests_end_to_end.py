"""From a polled feed to an email digest: the pipeline's stored matches are what the digest lists."""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.app.alerts import Alerts
from bot.app.digests import DigestService
from bot.app.pipeline import Pipeline
from bot.config import EmailConfig, EmailDigestConfig, FeedConfig, default_config
from bot.deliver.email import SmtpSender
from bot.feeds.fetch import HttpFetcher
from bot.shipped import shipped_path
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.doubles.smtp import SmtpServer

SEED = shipped_path("seeds") / "rfi-feedx.xml"


async def test_seed_feed_and_its_mirror_make_one_story_with_also_in(tmp_path: Path, smtp: SmtpServer) -> None:
    first = tmp_path / "rfi.xml"
    shutil.copy(SEED, first)
    mirror = tmp_path / "mirror.xml"
    mirror.write_text(SEED.read_text(encoding="utf-8").replace("%BC%90</link>", "%BC%90?utm_source=x</link>"),
                      encoding="utf-8")
    now = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)
    email = EmailConfig(host="127.0.0.1", port=smtp.port, security="none", sender="Watchbot <w@example.com>",
                        digests=(EmailDigestConfig(to=("analyst@example.com",), timezone="Asia/Shanghai"),))
    config = replace(default_config(tmp_path), storage_url="sqlite:///w.db", rules_path=shipped_path("rules"),
                     feeds=(FeedConfig(url=str(first), name="RFI 中文"), FeedConfig(url=str(mirror), name="Mirror")),
                     email=email)
    store = SqliteStore(config.db_path)
    rules = RuleBook(config.rules_path)
    clock = [now]
    async with HttpFetcher() as fetcher:
        store.feeds.sync((f.url, f.name) for f in config.feeds)
        pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                            alerts=Alerts(store, [], clock=lambda: clock[0]), clock=lambda: clock[0],
                            rng=random.Random(1))
        await pipeline.poll_once(only=[str(first)])
        clock[0] = now + timedelta(minutes=5)  # the mirror carries it later
        await pipeline.poll_once(only=[str(mirror)])
    (stored,) = store.items.since(now - timedelta(days=1))
    matched = set(store.items.matched_watchlists(stored.item.identity))
    assert matched, "the seed story should match a shipped watchlist"

    names = {w.id: w.name for w in rules.watchlists}
    svc = DigestService(config, store, lambda: now, smtp=SmtpSender(email, timeout=5), names=lambda: names)
    report = await svc.send_email_digests(now + timedelta(hours=1))
    assert len(report.sent) == 1
    msg = smtp.messages[0].message
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    title = stored.item.title
    assert text.count(title) == 1
    assert "RFI 中文 · 2024-03-2" in text and "also in: Mirror" in text
    assert f"1 story ({names[sorted(matched)[0]]} 1)" in str(msg["Subject"])
    store.close()


async def test_a_feeds_archive_is_in_no_digest_when_it_is_added(tmp_path: Path, smtp: SmtpServer) -> None:
    """poll.backlog: a feed's first poll alerts only its young items, and the digests take no more of its archive
    than the instant alerts do (the seed story of March 2024, polled in 2026 with the 48 h of a config file)."""
    now = datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    email = EmailConfig(host="127.0.0.1", port=smtp.port, security="none", sender="Watchbot <w@example.com>",
                        digests=(EmailDigestConfig(to=("analyst@example.com",), timezone="UTC"),))
    base = default_config(tmp_path)
    config = replace(base, storage_url="sqlite:///w.db", rules_path=shipped_path("rules"),
                     poll=replace(base.poll, backlog=48 * 3600.0), feeds=(FeedConfig(url=str(SEED), name="RFI"),),
                     email=email)
    store = SqliteStore(config.db_path)
    rules = RuleBook(config.rules_path)
    async with HttpFetcher() as fetcher:
        store.feeds.sync((f.url, f.name) for f in config.feeds)
        pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                            alerts=Alerts(store, [], clock=lambda: now), clock=lambda: now, rng=random.Random(1))
        summary = await pipeline.poll_once()
    assert "1 matched (1 too old to alert" in summary.line()
    (stored,) = store.items.since(now - timedelta(days=1))
    assert store.items.matched_watchlists(stored.item.identity)  # matched and kept (backtests, the web) ...
    svc = DigestService(config, store, lambda: now, smtp=SmtpSender(email, timeout=5),
                        names=lambda: {w.id: w.name for w in rules.watchlists})
    report = await svc.send_email_digests(now + timedelta(days=1))
    assert report.sent == [] and smtp.messages == []  # ... but in no digest: an empty one is not sent
