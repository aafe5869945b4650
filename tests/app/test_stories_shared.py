"""Stories with several processes on one store: each process's story index takes in what the others placed,
and no two processes place at once (the store's story lock).

Two pipelines stand for two `watchbot run` processes. On PostgreSQL each has its own store (its own
connections to one schema), as two processes would; SQLite allows one process, so there both share one store.
"""

from __future__ import annotations

import io
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from bot.app.alerts import Alerts, ConsoleChannel
from bot.app.pipeline import Pipeline
from bot.config import Config, FeedConfig, PollConfig
from bot.deliver.console import ConsoleSender
from bot.feeds.fetch import HttpFetcher
from bot.items.normalize import Item
from bot.shipped import shipped_path
from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from tests.app.test_stories import CFO, GRANTS, HALTS, OTHER, PREVIEW, SHARES, STORY
from tests.postgres import postgres_schema
from tests.waiting import wait_until


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 2, 17, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture(params=["sqlite", "postgres"])
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """The stores of two processes sharing one database."""
    if request.param == "postgres":
        from bot.store.postgres import PostgresStore

        with postgres_schema() as url:
            a, b = PostgresStore(url), PostgresStore(url)
            yield a, b
            a.close()
            b.close()
        return
    store = SqliteStore(tmp_path / "w.db")
    yield store, store
    store.close()


def feed(tmp_path: Path, name: str, title: str, lede: str) -> Path:
    path = tmp_path / f"{name}.xml"
    path.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
                    f"<title>{name}</title><link>https://{name.lower()}.example/</link>"
                    f"<item><title>{escape(title)}</title><link>https://{name.lower()}.example/news/1</link>"
                    f"<description>{escape(lede)}</description></item></channel></rss>", encoding="utf-8")
    return path


def process(store: Store, tmp_path: Path, feeds: list[Path], clock: Clock, out: io.StringIO,
            rules_path: Path | None = None) -> Pipeline:
    config = Config(storage_url="sqlite:///w.db", rules_path=rules_path or shipped_path("rules"),
                    poll=PollConfig(interval=600.0),
                    feeds=tuple(FeedConfig(url=str(f), name=f.stem) for f in feeds), base_dir=tmp_path)
    store.feeds.sync((f.url, f.name) for f in config.feeds)
    rules = RuleBook(config.rules_path)
    alerts = Alerts(store, [ConsoleChannel(ConsoleSender(out))], clock=clock)
    return Pipeline(config=config, store=store, fetcher=HttpFetcher(), matcher=lambda: rules.matcher,
                    alerts=alerts, clock=clock, rng=random.Random(7))


def two_processes(stores: tuple[Store, Store], tmp_path: Path
                  ) -> tuple[Clock, io.StringIO, tuple[Path, Path, Path], Pipeline, Pipeline]:
    """Process A polls Bloomberg (another ASML story) and NHK; process B polls Reuters; NHK and Reuters carry
    one story. Both print their alerts to one console."""
    clock, out = Clock(), io.StringIO()
    other = feed(tmp_path, "Bloomberg", *OTHER)
    reuters = feed(tmp_path, "Reuters", *STORY)
    nhk = feed(tmp_path, "NHK", STORY[0].replace("wins", "gets"), STORY[1])
    return (clock, out, (other, reuters, nhk), process(stores[0], tmp_path, [other, nhk], clock, out),
            process(stores[1], tmp_path, [reuters], clock, out))


async def test_a_report_joins_the_story_another_process_founded_after_this_one_started(
        stores: tuple[Store, Store], tmp_path: Path) -> None:
    store_a = stores[0]
    clock, out, (other, reuters, nhk), a, b = two_processes(stores, tmp_path)

    await a.poll_once([str(other)])  # process A's story index is built now, before the story exists
    clock.now += timedelta(minutes=10)
    await b.poll_once()  # process B founds the story with Reuters' report
    clock.now += timedelta(minutes=10)
    await a.poll_once([str(nhk)])  # NHK's report reaches process A

    members = {m.feed_url: m.story for m in store_a.items.story_members(clock.now - timedelta(hours=1))}
    assert members[str(nhk)] == members[str(reuters)] != members[str(other)]
    assert out.getvalue().count("EUV lithography machines") == 1  # one alert for the story, not one a process
    assert len({row.story for row in store_a.outbox.rows()}) == 2


async def test_a_story_stamped_before_the_last_read_but_stored_after_it_is_still_taken_in(
        stores: tuple[Store, Store], tmp_path: Path) -> None:
    """Another process stamps its items with its clock before its transaction commits: a story it founded
    can arrive stamped earlier than this process's last read of the store."""
    store_a = stores[0]
    clock, out, (other, reuters, nhk), a, b = two_processes(stores, tmp_path)

    await a.poll_once([str(other)])  # process A builds its index, then reads the store again below
    clock.now += timedelta(minutes=10)
    await a.poll_once([str(other)])
    read_at = clock.now
    clock.now = read_at - timedelta(minutes=2)
    await b.poll_once()  # stamped two minutes before A's last read
    clock.now = read_at + timedelta(minutes=10)
    await a.poll_once([str(nhk)])

    members = {m.feed_url: m.story for m in store_a.items.story_members(clock.now - timedelta(hours=1))}
    assert members[str(nhk)] == members[str(reuters)]
    assert out.getvalue().count("EUV lithography machines") == 1


async def test_a_report_placed_by_another_process_a_moment_ago_is_taken_in(
        stores: tuple[Store, Store], tmp_path: Path) -> None:
    """No pause between the two placements, and the other process's clock ten minutes behind: what it placed
    is read by placement number, not by time."""
    store_a = stores[0]
    clock, out, (other, reuters, nhk), a, b = two_processes(stores, tmp_path)

    await a.poll_once([str(other)])
    now = clock.now
    clock.now = now - timedelta(minutes=10)
    await b.poll_once()
    clock.now = now
    await a.poll_once([str(nhk)])

    members = {m.feed_url: m.story for m in store_a.items.story_members(clock.now - timedelta(hours=1))}
    assert members[str(nhk)] == members[str(reuters)] != members[str(other)]
    assert out.getvalue().count("EUV lithography machines") == 1


def test_the_story_lock_holds_another_process_until_the_first_commits(tmp_path: Path) -> None:
    """Process B asks for the story lock while A holds it: B waits (PostgreSQL shows it waiting), and once A
    commits, B reads A's placement."""
    from bot.store.postgres import PostgresStore

    with postgres_schema() as url:
        a, b = PostgresStore(url), PostgresStore(url)
        try:
            a.feeds.sync([("f1", "F")])
            a.items.add([_item("1")], feed_name="F", now=Clock().now)
            b_read: list[tuple[int, list[str]]] = []

            def process_b() -> None:
                with b.transaction():
                    b.items.lock_stories()
                    members, last = b.items.placed_after(0)
                    b_read.append((last, [m.identity for m in members]))

            with a.transaction():
                a.items.lock_stories()
                a.items.mark_placed(["v1:1"])
                thread = threading.Thread(target=process_b)
                thread.start()
                wait_until(lambda: _waiting_for_advisory_locks(a) == 1, "process B to wait for the story lock")
                assert b_read == []
            thread.join(timeout=10)
            assert b_read == [(1, ["v1:1"])]
        finally:
            a.close()
            b.close()


def test_a_process_stuck_with_the_story_lock_stops_no_other_for_ever(tmp_path: Path) -> None:
    """Another process waits for the story lock at most ``wait`` seconds, then its ingest fails (and its feed is
    polled again later) instead of hanging."""
    import psycopg

    from bot.store.postgres import PostgresStore

    with postgres_schema() as url:
        a, b = PostgresStore(url), PostgresStore(url)
        try:
            failed: list[BaseException] = []

            def process_b() -> None:
                try:
                    with b.transaction():
                        b.items.lock_stories(wait=0.2)
                except psycopg.errors.LockNotAvailable as e:
                    failed.append(e)

            with a.transaction():
                a.items.lock_stories()
                thread = threading.Thread(target=process_b)
                thread.start()
                thread.join(timeout=10)
            assert len(failed) == 1 and "lock timeout" in str(failed[0])
            with b.transaction():  # once the holder is done, the lock is free again
                b.items.lock_stories(wait=0.2)
        finally:
            a.close()
            b.close()


def _item(n: str) -> Item:
    return Item(identity=f"v1:{n}", url=f"https://example.com/{n}", link=f"https://example.com/{n}", guid=None,
                title=f"Title {n}", lede="", language="en", published=None, feed_url="f1")


def _waiting_for_advisory_locks(store: Store) -> int:
    from bot.store.postgres import PostgresStore

    assert isinstance(store, PostgresStore)
    with store.db.pool.connection() as conn:  # (not this thread's: that one holds the lock)
        row = conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted").fetchone()
    return int(row[0]) if row else 0


async def test_an_item_another_process_polled_tells_this_ones_stories_what_a_topic_has_said(
        stores: tuple[Store, Store], tmp_path: Path) -> None:
    """Process B polls the day before's preview, which no watchlist matches; process A, its story index built
    already, places this morning's two stories and then the decision: the decision is a story of its own (the
    busy-topic rule, bot.stories.background), as in one process (tests/app/test_stories.py)."""
    store_a = stores[0]
    clock, out = Clock(), io.StringIO()
    cfo, preview, nhk = (feed(tmp_path, name, *text) for name, text in
                         [("Bloomberg", CFO), ("Gov", PREVIEW), ("NHK", GRANTS)])
    reuters = tmp_path / "Reuters.xml"  # one wire's two stories: one feed never joins its own items
    reuters.write_text('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Reuters</title>'
                       + "".join(f"<item><title>{escape(t)}</title><link>https://reuters.example/{n}</link>"
                                 f"<description>{escape(lede)}</description></item>"
                                 for n, (t, lede) in enumerate([HALTS, SHARES]))
                       + "</channel></rss>", encoding="utf-8")
    rules = tmp_path / "rules"  # only ASML: the shipped lists would match the preview's lithography
    rules.mkdir()
    (rules / "asml.yaml").write_text("id: asml\nname: ASML\nany: [ASML]\n", encoding="utf-8")
    a = process(stores[0], tmp_path, [cfo, reuters, nhk], clock, out, rules)
    b = process(stores[1], tmp_path, [preview], clock, out, rules)
    decision = clock.now
    clock.now = decision - timedelta(hours=30)
    await a.poll_once([str(cfo)])  # process A's story index is built now
    clock.now += timedelta(minutes=1)
    await b.poll_once()  # the preview: stored by process B, matched by nothing
    clock.now = decision - timedelta(hours=2)
    await a.poll_once([str(reuters)])
    clock.now = decision
    await a.poll_once([str(nhk)])

    members = {m.title: m.story for m in store_a.items.story_members(decision - timedelta(days=3))}
    assert members[GRANTS[0]] not in {members[HALTS[0]], members[SHARES[0]]}
    assert members.keys() == {CFO[0], HALTS[0], SHARES[0], GRANTS[0]}  # (the preview matched nothing)
    assert GRANTS[0] in out.getvalue()  # its own alert
