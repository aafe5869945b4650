"""End to end through poll_once with a fixed clock: seed feed in, one console alert out, no repeats."""

from __future__ import annotations

import io
import random
import shutil
import socket
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from bot.app.alerts import Alerts, ConsoleChannel
from bot.app.pipeline import Pipeline
from bot.config import FeedConfig, default_config
from bot.deliver.console import ConsoleSender
from bot.feeds.fetch import HttpFetcher
from bot.feeds.parse import parse_feed
from bot.items.canonical import canonical_url, identity_of
from bot.items.normalize import Item, normalize_feed
from bot.shipped import shipped_path
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.doubles.feedserver import FeedServer
from tests.doubles.silent import SilentHosts

SEED = shipped_path("seeds") / "rfi-feedx.xml"
SEED_LINK = "https://www.rfi.fr/cn/中国/20240327-"  # (the console shows the link as a browser does)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _feeds(tmp_path: Path) -> tuple[Path, Path]:
    """The seed, and a second feed carrying the same story with tracking parameters and a fragment."""
    first = tmp_path / "seed.xml"
    shutil.copy(SEED, first)
    text = SEED.read_text(encoding="utf-8")
    second = tmp_path / "mirror.xml"
    second.write_text(
        text.replace("%BC%90</link>", "%BC%90?utm_source=feedx&amp;utm_medium=rss&amp;fbclid=abc#top</link>")
        .replace("%BC%90</guid>", "%BC%90?from=mirror</guid>"),
        encoding="utf-8",
    )
    assert "utm_source" in second.read_text(encoding="utf-8")
    return first, second


async def _pipeline(tmp_path: Path, feeds: list[Path] | list[str], clock: Clock, out: io.StringIO,
                    max_age: float = 0, backlog: float = 0, fetch_timeout: float = 20.0):
    base = default_config(tmp_path)
    config = type(base)(
        storage_url="sqlite:///w.db", rules_path=shipped_path("rules"),
        poll=type(base.poll)(interval=600.0, max_age=max_age, backlog=backlog),
        feeds=tuple(FeedConfig(url=str(f), name=Path(str(f)).stem) for f in feeds),
        base_dir=tmp_path,
    )
    store = SqliteStore(config.db_path)
    store.feeds.sync((f.url, f.name) for f in config.feeds)
    fetcher = HttpFetcher(timeout=fetch_timeout)
    rules = RuleBook(config.rules_path)
    alerts = Alerts(store, [ConsoleChannel(ConsoleSender(out))], clock=clock)
    pipeline = Pipeline(config=config, store=store, fetcher=fetcher, matcher=lambda: rules.matcher,
                        alerts=alerts, clock=clock, rng=random.Random(7))
    return pipeline, store, fetcher


async def test_seed_alerts_once_and_never_again(tmp_path: Path) -> None:
    first, second = _feeds(tmp_path)
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out)
    async with fetcher:
        summary = await pipeline.poll_once()
        assert summary.line() == "polled 1 feed: 1 ok, 0 failed; 1 item, 1 new, 1 matched; 1 alert sent"
        printed = out.getvalue()
        assert printed.count("[semiconductors]") == 1
        assert "习近平对吕特说：任何力量都阻挡不了中国科技进步的步伐" in printed
        assert "matched:   半导体" in printed
        assert "published: 2024-03-27 15:17 UTC" in printed
        assert SEED_LINK in printed

        clock.now += timedelta(minutes=11)  # due again
        again = await pipeline.poll_once()
        assert again.feeds[0].new == 0 and out.getvalue() == printed
    assert store.outbox.counts() == {"sent": 1}
    store.close()


async def test_same_story_with_tracking_parameters_in_a_second_feed_is_not_sent_again(tmp_path: Path) -> None:
    first, second = _feeds(tmp_path)
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [first, second], clock, out)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert sum(f.new for f in summary.feeds) == 1
    assert out.getvalue().count("[semiconductors]") == 1
    (stored,) = store.items.since(clock.now - timedelta(days=1))
    assert {name for _, name, _ in stored.sightings} == {"seed", "mirror"}  # "also in" is kept
    store.close()


def _tagged(tmp_path: Path, name: str, tag: str) -> Path:
    """The seed as DW lists its stories: the link carries the feed's own campaign tag, maca=..."""
    path = tmp_path / f"{name}.xml"
    path.write_text(SEED.read_text(encoding="utf-8").replace("%BC%90</link>", f"%BC%90?maca={tag}</link>"),
                    encoding="utf-8")
    return path


async def test_one_story_in_two_feeds_tagging_its_link_each_their_own_way_is_one_item(tmp_path: Path) -> None:
    feeds = [_tagged(tmp_path, "dw-all", "en-rss-en-all-1573-rdf"), _tagged(tmp_path, "dw-top", "en-rss-en-top-1022")]
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, feeds, clock, out)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert [f.new for f in summary.feeds] == [1, 0]
    assert out.getvalue().count("[semiconductors]") == 1
    (stored,) = store.items.since(clock.now - timedelta(days=1))
    assert "maca" not in (stored.item.url or "") and {name for _, name, _ in stored.sightings} == {"dw-all", "dw-top"}
    store.close()


async def test_an_item_stored_before_its_links_tag_counted_as_tracking_is_not_alerted_again(tmp_path: Path) -> None:
    feed = _tagged(tmp_path, "dw-all", "en-rss-en-all-1573-rdf")
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [feed], clock, out)
    (item,) = normalize_feed(parse_feed(feed.read_bytes()).entries, feed_url=str(feed)).items
    # As a watchbot from before 2026-12-06 stored it: its identity is its link with maca kept.
    before = identity_of(canonical=canonical_url(item.link.split("?")[0]) + "?maca=en-rss-en-all-1573-rdf",
                         guid=None, feed_url="", title="")
    assert item.identity != before and item.former_identity == before
    store.items.add([replace(item, identity=before)], feed_name="dw-all", now=clock.now - timedelta(hours=1))
    async with fetcher:
        summary = await pipeline.poll_once()
    assert summary.feeds[0].new == 0 and out.getvalue() == ""
    assert [s.item.identity for s in store.items.since(clock.now - timedelta(days=1))] == [before]
    store.close()


async def test_nothing_is_matched_twice_across_a_restart(tmp_path: Path) -> None:
    first, _ = _feeds(tmp_path)
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out)
    async with fetcher:
        await pipeline.poll_once(deliver=False)  # matched and queued, then "crash" before delivery
    store.close()
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out)
    assert store.outbox.counts() == {"pending": 1}
    clock.now += timedelta(hours=1)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert summary.feeds[0].new == 0
    assert out.getvalue().count("[semiconductors]") == 1
    store.close()


async def test_max_age_stores_and_matches_old_items_without_alerting(tmp_path: Path) -> None:
    first, _ = _feeds(tmp_path)
    clock, out = Clock(), io.StringIO()
    clock.now = datetime(2024, 4, 30, tzinfo=UTC)
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out, max_age=86400)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert summary.feeds[0].matched == 1 and out.getvalue() == ""
    store.close()


@pytest.mark.parametrize("content", [b"", b"<html><body>Not here</body></html>", b"{\"a\": 1}"])
async def test_a_broken_feed_is_recorded_and_does_not_stop_the_others(tmp_path: Path, content: bytes) -> None:
    first, _ = _feeds(tmp_path)
    broken = tmp_path / "broken.xml"
    broken.write_bytes(content)
    missing = tmp_path / "missing.xml"
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [broken, missing, first], clock, out)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert len(summary.failed) == 2
    assert out.getvalue().count("[semiconductors]") == 1
    states = {Path(f.url).name: f for f in store.feeds.all()}
    assert states["broken.xml"].consecutive_failures == 1 and states["broken.xml"].last_error
    assert "not found" in (states["missing.xml"].last_error or "")
    assert states["broken.xml"].next_poll_at is not None and states["broken.xml"].next_poll_at > clock.now
    store.close()


async def test_an_http_failure_is_stored_with_its_status(tmp_path: Path) -> None:
    clock, out = Clock(), io.StringIO()
    with FeedServer() as server:
        url = server.status("/gone", 410)
        pipeline, store, fetcher = await _pipeline(tmp_path, [], clock, out)
        pipeline.policies[url] = pipeline.policy(url)  # a configured feed
        store.feeds.sync([(url, "gone")])
        async with fetcher:
            summary = await pipeline.poll_once()
    (state,) = store.feeds.get([url])
    assert summary.failed[0].status == 410
    assert state.last_status == 410 and state.last_error == "HTTP 410 (gone: the feed was removed)"
    store.close()


async def test_a_new_feed_alerts_only_its_recent_backlog(tmp_path: Path) -> None:
    """poll.backlog: the first poll stores and matches the archive but alerts only the last 48 h (DESIGN.md)."""
    first, _ = _feeds(tmp_path)  # the seed story was published 2024-03-27 15:17 UTC
    clock, out = Clock(), io.StringIO()
    clock.now = datetime(2024, 3, 30, tzinfo=UTC)  # three days later
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out, backlog=48 * 3600)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert summary.feeds[0].matched == 1 and out.getvalue() == "" and store.outbox.counts() == {}
    assert summary.feeds[0].old == 1 and "1 matched (1 too old to alert: poll.backlog" in summary.line()
    store.close()

    clock2, out2 = Clock(), io.StringIO()
    clock2.now = datetime(2024, 3, 28, tzinfo=UTC)  # within 48 h of publication: alerted
    pipeline, store, fetcher = await _pipeline(tmp_path / "again", [first], clock2, out2, backlog=48 * 3600)
    async with fetcher:
        summary = await pipeline.poll_once()
    assert out2.getvalue().count("[semiconductors]") == 1
    assert "too old" not in summary.line()
    store.close()


async def test_a_full_disk_is_reported_in_words_and_not_held_against_the_feed(tmp_path: Path) -> None:
    """The store's trouble, not the feed's: no failure counted (no backoff, no notice that the feed fails), and the
    feed is tried again after the shortest interval (the caller keeps that time: the store may not write it)."""
    first, _ = _feeds(tmp_path)
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, [first], clock, out)
    pages = store.db.execute("PRAGMA page_count").fetchone()[0]
    store.db.execute(f"PRAGMA max_page_count = {pages}")  # as good as a full disk: no page can be added ...
    for size in (3000, 500, 50, 0):  # ... once the free room in the items' pages is used up
        with pytest.raises(sqlite3.OperationalError, match="full"):
            for i in range(10_000):
                store.items.add([Item(identity=f"filler:{size}:{i}", url=None, link=None, guid=None, title="t",
                                      lede="x" * size, language="en", published=None, feed_url="filler")],
                                feed_name="filler", now=clock.now)
    async with fetcher:
        summary = await pipeline.poll_once()
    [failed] = summary.failed
    assert failed.failed == "store" and failed.retry_at == clock.now + timedelta(minutes=2)
    assert "database or disk is full (its disk is full: free space there" in (failed.error or "")
    assert "rollback" not in (failed.error or "")
    (state,) = store.feeds.all()
    assert state.consecutive_failures == 0 and state.last_error is None
    assert out.getvalue() == "" and store.outbox.counts() == {}
    store.close()


async def test_a_machine_cut_off_from_the_network_holds_no_failure_against_its_feeds(tmp_path: Path) -> None:
    """Feeds of three hosts or more get no answer at all and none answers since: the network is down here, not there.
    Before, every feed counted the failure and backed off, doubling, so that an hour offline kept feeds waiting
    hours more once the network was back. The first failures are counted (two dead feeds are two dead feeds)."""
    with SilentHosts([f"127.0.0.{n}" for n in (2, 3, 4, 5)]) as hosts, FeedServer() as server:
        dead = [hosts.url(f"127.0.0.{n}") for n in (2, 3, 4, 5)]
        live = server.feed("/live.xml", b"<rss version='2.0'><channel><title>Live</title></channel></rss>")
        clock, out = Clock(), io.StringIO()
        pipeline, store, fetcher = await _pipeline(tmp_path, [*dead, live], clock, out, fetch_timeout=0.3)
        async with fetcher:
            results = [await pipeline.poll_feed(store.feeds.get([url])[0]) for url in dead]
            assert [r.error for r in results] == ["timed out after 0.3 s without a connection"] * 4
            held = store.feeds.get(dead)
            assert [f.consecutive_failures for f in held] == [1, 1, 0, 0]
            assert held[2].next_poll_at == clock.now + timedelta(minutes=2)  # the shortest interval, kept in the store
            assert held[2].unreached and held[2].last_error == "timed out after 0.3 s without a connection"
            assert all(r.retry_at is None for r in results)  # (the store keeps every next poll)

            await pipeline.poll_feed(store.feeds.get([live])[0])  # a host answers: the network is back
            again = await pipeline.poll_feed(store.feeds.get([dead[3]])[0])
        assert again.retry_at is None and store.feeds.get([dead[3]])[0].consecutive_failures == 1
    store.close()


async def test_hosts_that_refuse_are_dead_feeds_not_a_machine_offline(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    """A refusal is an answer: some machine out there said no. A deployment whose feeds are all on dead hosts (three
    mistyped ports, a server taken down) is not offline: each failure counts and backs off, as for any dead feed."""
    with socket.socket() as s:  # a port nothing listens on, on loopback addresses that refuse at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    dead = [f"http://127.0.0.{n}:{port}/feed.xml" for n in (2, 3, 4, 5)]
    clock, out = Clock(), io.StringIO()
    pipeline, store, fetcher = await _pipeline(tmp_path, dead, clock, out)
    async with fetcher:
        results = [await pipeline.poll_feed(store.feeds.get([url])[0]) for url in dead]
    assert [r.error for r in results] == ["connection refused"] * 4
    assert [f.consecutive_failures for f in store.feeds.get(dead)] == [1, 1, 1, 1]
    assert all(r.retry_at is None for r in results)
    assert pipeline.reachability.offline(clock.now) == 0
    assert "offline" not in caplog.text
    store.close()


def _rotating(session: str, titles: list[str], guid: str | None = None) -> bytes:
    """A feed whose links carry a session parameter that changes at every fetch; each item's guid stays (or is the
    same ``guid`` for every item, as some feeds have it)."""
    items = "".join(
        f"<item><title>{t}</title><link>https://rot.example/story/{n}?session={session}</link>"
        f"<guid isPermaLink='false'>{guid or f'story-{n}'}</guid>"
        f"<description>ASML lithography machines and export controls, report {n}.</description></item>"
        for n, t in enumerate(titles))
    return f"<rss version='2.0'><channel><title>Rot</title>{items}</channel></rss>".encode()


async def test_a_feed_that_rotates_a_session_parameter_alerts_each_item_once(tmp_path: Path) -> None:
    """The links change at every fetch (a parameter the canonical URL does not know), the guids and titles do not:
    the same items, not new ones. Before, every item was alerted again at every poll."""
    titles = ["ASML export licence revoked", "ASML ships EUV scanner", "Chip export controls tighten"]
    with FeedServer() as server:
        url = server.feed("/rot.xml", _rotating("a1", titles))
        clock, out = Clock(), io.StringIO()
        pipeline, store, fetcher = await _pipeline(tmp_path, [url], clock, out)
        async with fetcher:
            first = await pipeline.poll_once()
            server.update("/rot.xml", _rotating("b2", titles))
            clock.now += timedelta(hours=1)
            second = await pipeline.poll_once()
            server.update("/rot.xml", _rotating("c3", [*titles, "ASML opens a Taiwan office"]))
            clock.now += timedelta(hours=1)
            third = await pipeline.poll_once()
    assert first.line() == "polled 1 feed: 1 ok, 0 failed; 3 items, 3 new, 3 matched; 3 alerts sent"
    assert second.line() == "polled 1 feed: 1 ok, 0 failed; 3 items, 0 new, 0 matched; 0 alerts sent"
    assert third.line() == "polled 1 feed: 1 ok, 0 failed; 4 items, 1 new, 1 matched; 1 alert sent"
    assert out.getvalue().count("ASML ships EUV scanner") == 1
    store.close()


async def test_a_feed_that_gives_every_item_one_guid_loses_no_news(tmp_path: Path) -> None:
    """One guid for every item (a broken feed): a new item is known by its link, not taken for the first one."""
    with FeedServer() as server:
        url = server.feed("/one.xml", _rotating("s", ["ASML ships EUV scanner"], guid="same"))
        clock, out = Clock(), io.StringIO()
        pipeline, store, fetcher = await _pipeline(tmp_path, [url], clock, out)
        async with fetcher:
            await pipeline.poll_once()
            server.update("/one.xml", _rotating("s", ["ASML ships EUV scanner", "ASML export licence revoked"],
                                                guid="same"))
            clock.now += timedelta(hours=1)
            second = await pipeline.poll_once()
    assert second.line() == "polled 1 feed: 1 ok, 0 failed; 2 items, 1 new, 1 matched; 1 alert sent"
    store.close()


def _site(base: str, stories: list[tuple[str, str]]) -> bytes:
    """A feed whose guids are its links (as most are), each item dated: ``stories`` are (title, RFC 822 date)."""
    items = "".join(f"<item><title>{t}</title><link>{base}/news/{n}</link><guid>{base}/news/{n}</guid>"
                    f"<pubDate>{d}</pubDate><description>ASML and chip export controls, report {n}.</description></item>"
                    for n, (t, d) in enumerate(stories))
    return f"<rss version='2.0'><channel><title>Site</title>{items}</channel></rss>".encode()


async def test_a_site_that_moves_to_new_addresses_is_not_alerted_again(tmp_path: Path) -> None:
    """The site moved to https and www: every link and guid changed, no title or date did. Before, the whole feed was
    alerted again. An item with a title the feed used before but a date of its own is news (a daily "ASML market
    wrap")."""
    clock, out = Clock(), io.StringIO()
    monday = format_datetime(clock.now - timedelta(hours=30, minutes=13))
    tuesday = format_datetime(clock.now - timedelta(hours=6, minutes=2, seconds=9))
    stories = [("ASML export licence revoked", monday), ("ASML market wrap", monday), ("ASML ships EUV", tuesday)]
    with FeedServer() as server:
        url = server.feed("/site.xml", _site("http://site.example", stories))
        pipeline, store, fetcher = await _pipeline(tmp_path, [url], clock, out)
        async with fetcher:
            first = await pipeline.poll_once()
            later = format_datetime(clock.now - timedelta(minutes=4))
            server.update("/site.xml", _site("https://www.site.example", [*stories, ("ASML market wrap", later)]))
            clock.now += timedelta(hours=1)
            second = await pipeline.poll_once()
    assert first.line() == "polled 1 feed: 1 ok, 0 failed; 3 items, 3 new, 3 matched; 3 alerts sent"
    assert second.line() == "polled 1 feed: 1 ok, 0 failed; 4 items, 1 new, 1 matched; 1 alert sent"
    assert out.getvalue().count("ASML market wrap") == 2 and out.getvalue().count("ASML ships EUV") == 1
    store.close()


async def test_a_feed_of_dates_alone_keeps_its_news_under_a_title_used_that_day(tmp_path: Path) -> None:
    """Dates without a time (each day's items at one midnight): a second "ASML letters" item of the day, under a new
    link, is news, not the first one moved. (A repeated alert is better than news lost.)"""
    clock, out = Clock(), io.StringIO()
    day = format_datetime(clock.now.replace(hour=0, minute=0, second=0, microsecond=0))
    with FeedServer() as server:
        url = server.feed("/daily.xml", _site("https://daily.example", [("ASML letters", day)]))
        pipeline, store, fetcher = await _pipeline(tmp_path, [url], clock, out)
        async with fetcher:
            await pipeline.poll_once()
            server.update("/daily.xml", _site("https://daily.example/v2", [("ASML letters", day)]))
            clock.now += timedelta(hours=1)
            second = await pipeline.poll_once()
    assert second.line() == "polled 1 feed: 1 ok, 0 failed; 1 item, 1 new, 1 matched; 1 alert sent"
    store.close()


async def test_a_report_of_a_story_already_alerted_says_why_it_alerted_no_one(tmp_path: Path) -> None:
    """"1 matched; 0 alerts sent" read as a delivery bug: the report joined a story its followers had heard of."""
    clock, out = Clock(), io.StringIO()
    story = [("ASML export licence for China revoked by the Dutch government", format_datetime(clock.now))]
    with FeedServer() as server:
        wire = server.feed("/wire.xml", _site("https://wire.example", story))
        copy = server.feed("/copy.xml", _site("https://copy.example", story))
        pipeline, store, fetcher = await _pipeline(tmp_path, [wire, copy], clock, out)
        async with fetcher:
            first = await pipeline.poll_once([wire])
            second = await pipeline.poll_once([copy])
    assert first.line() == "polled 1 feed: 1 ok, 0 failed; 1 item, 1 new, 1 matched; 1 alert sent"
    assert second.line() == ("polled 1 feed: 1 ok, 0 failed; 1 item, 1 new, 1 matched (1 joined a story already "
                             "alerted: `watchbot stories --reports`); 0 alerts sent")
    assert second.feeds[0].joined == 1
    store.close()


async def test_news_from_the_future_is_dated_when_first_seen(tmp_path: Path) -> None:
    """An item dated 2100 (or hours ahead: local time stamped as UTC) is dated when first seen: it would head every
    story list and digest until pruned, alerted as "published 2100-01-01". A few minutes ahead is a clock's drift."""
    clock, out = Clock(), io.StringIO()
    ahead = [("Fri, 01 Jan 2100 00:00:00 GMT", "ASML export licence story from the future"),
             (format_datetime(clock.now + timedelta(hours=8), usegmt=True), "ASML ships EUV scanner to Taiwan"),
             (format_datetime(clock.now + timedelta(minutes=5), usegmt=True), "Chip export controls tighten"),
             ("Thu, 01 Jan 1970 00:00:00 GMT", "Semiconductor story of the epoch")]  # (a feed's "no date")
    items = "".join(f"<item><title>{t}</title><link>https://fut.example/{n}</link><pubDate>{d}</pubDate></item>"
                    for n, (d, t) in enumerate(ahead))
    feed = tmp_path / "future.xml"
    feed.write_text(f"<rss version='2.0'><channel><title>Fut</title>{items}</channel></rss>", encoding="utf-8")
    pipeline, store, fetcher = await _pipeline(tmp_path, [feed], clock, out)
    async with fetcher:
        await pipeline.poll_once()
    stored = {s.item.title: s.item.published for s in store.items.since(clock.now - timedelta(days=1))}
    assert stored == {"ASML export licence story from the future": clock.now, "ASML ships EUV scanner to Taiwan": clock.now,
                      "Chip export controls tighten": clock.now + timedelta(minutes=5),
                      "Semiconductor story of the epoch": clock.now}
    assert "2100" not in out.getvalue() and "1970" not in out.getvalue()
    store.close()
