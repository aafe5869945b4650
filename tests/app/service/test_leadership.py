"""Several `watchbot run` on one PostgreSQL store: one leads (polls, sends), the others stand by;
kill -9 of the leader hands over within 30 s and nothing is lost or sent twice.

Runs the real service in subprocesses (tests/app/service/proc.py) with alerts on the console;
skips without a PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.app.service.conftest import Workdir
from tests.app.service.proc import ServiceProcess
from tests.app.service.test_console import get
from tests.doubles.feedserver import FeedServer, rss
from tests.postgres import postgres_schema


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def listen(config: Path) -> str:
    return next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("listen"))


def role(config: Path) -> str | None:
    try:
        status, body = get(f"http://{listen(config)}/healthz")
    except OSError:
        return None
    return str(json.loads(body).get("role"))


def configs(work: Workdir, feeds: list[tuple[str, str]], pg: str) -> tuple[Path, Path]:
    """Two configs on one store, each with its own health port.

    The test stories are one template ("Chip story N") in many feeds: as stories they would join each other.
    These tests are about leadership, not stories: each item is its own story (window "0")."""
    made = []
    for name in ("a", "b"):
        config = work.config(feeds, http=True, extra=f'[stories]\nwindow = "0"\n[storage]\nurl = "{pg}"\n')
        made.append(shutil.copy(config, work.path / f"{name}.toml"))
    return Path(made[0]), Path(made[1])


def alerted(text: str) -> Counter[str]:
    return Counter(re.findall(r"^\[chips\] (Chip story \d+)$", text, re.M))


def test_one_leads_the_other_follows_and_takes_over_after_a_kill_9(
        work: Workdir, feeds: FeedServer, pg: str) -> None:
    from bot.store.postgres import PostgresStore

    stories = [(f"Chip story {i:03d}", f"https://news.example/chip/{i}") for i in range(40)]
    url = feeds.feed("/a.xml", rss(stories[:20], title="Alpha"))
    a_config, b_config = configs(work, [(url, "Alpha")], pg)
    store = PostgresStore(pg)
    a, b = ServiceProcess(a_config), ServiceProcess(b_config)
    with a:
        a.wait_for(lambda: role(a_config) == "leader", "the first process to lead")
        with b:
            b.wait_for(lambda: role(b_config) == "follower", "the second process to follow")
            a.wait_for(lambda: store.outbox.counts() == {"sent": 20}, "the leader's alerts")
            assert "follower: another `watchbot run` leads the store" in b.stderr_text()
            assert "leader: this process leads the store postgresql://" in a.stderr_text()  # (it had said nothing)

            a.kill9()
            feeds.update("/a.xml", rss(stories, title="Alpha"))
            b.wait_for(lambda: role(b_config) == "leader", "the standby to take over", timeout=30)
            b.wait_for(lambda: store.outbox.counts() == {"sent": 40}, "the new leader's alerts")
            b.wait_for(lambda: sum(alerted(b.stdout_text()).values()) >= 20, "the new alerts printed")
            assert b.terminate() == 0
    store.close()
    first, second = alerted(a.stdout_text()), alerted(b.stdout_text())
    assert set(first) == {t for t, _ in stories[:20]} and set(second) == {t for t, _ in stories[20:]}
    assert max((first + second).values()) == 1  # nothing sent twice
    assert "taking over: this process now leads the store" in b.stderr_text()


def test_both_processes_poll_and_each_story_is_alerted_once(work: Workdir, feeds: FeedServer, pg: str) -> None:
    from bot.store.postgres import PostgresStore

    stories = {f: (f"Chip story {f:03d}", f"https://news.example/chip/{f}") for f in range(30)}
    urls = [(feeds.feed(f"/f{f}.xml", rss([story], title=f"F{f}")), f"F{f}") for f, story in stories.items()]
    a_config, b_config = configs(work, urls, pg)
    store = PostgresStore(pg)
    a, b = ServiceProcess(a_config), ServiceProcess(b_config)
    with a, b:
        a.wait_for(lambda: {role(a_config), role(b_config)} == {"leader", "follower"}, "one leader, one follower")
        for f in stories:  # a second story in each feed, polled by whichever process gets the feed
            feeds.update(f"/f{f}.xml", rss([stories[f], (f"Semiconductor story {f:03d}", f"https://news.example/s/{f}")],
                                           title=f"F{f}"))
        a.wait_for(lambda: store.outbox.counts() == {"sent": 60}, "every story alerted", timeout=60)
        a.wait_for(lambda: len(polled(a.stderr_text())) > 0 and len(polled(b.stderr_text())) > 0,
                   "polls in both processes")
        for config in (a_config, b_config):  # the store's feeds, not this process's plan (it said 0 feeds)
            health = json.loads(get(f"http://{listen(config)}/healthz")[1])
            assert (health["feeds"], health["poll_worker"], health["overdue_feeds"]) == (30, "ok", 0), health
            metrics = get(f"http://{listen(config)}/metrics")[1].decode()  # (it said 0: this process plans none)
            assert "\nwatchbot_feeds 30.0\n" in metrics
        assert a.terminate() == 0 and b.terminate() == 0
    # each says it stops and when it stopped, the follower too (its log said nothing: a clean stop read as a crash)
    assert all("stopping: " in p.stderr_text() and p.stderr_text().rstrip().endswith("stopped") for p in (a, b))
    store.close()
    printed = alerted(a.stdout_text() + b.stdout_text())
    printed += Counter(re.findall(r"^\[chips\] (Semiconductor story \d+)$", a.stdout_text() + b.stdout_text(), re.M))
    assert len(printed) == 60 and max(printed.values()) == 1


def polled(log: str) -> set[str]:
    return set(re.findall(r"poll (F\d+) status=", log))


def test_kill_9_of_the_leader_mid_send_loses_nothing_and_repeats_only_what_was_in_flight(
        work: Workdir, feeds: FeedServer, pg: str) -> None:
    from bot.store.postgres import PostgresStore

    count = 400  # ~100 KB of console alerts: more than a pipe holds, so the unread leader blocks mid-batch
    stories = [(f"Chip story {i:03d}", f"https://news.example/chip/{i}") for i in range(count)]
    url = feeds.feed("/a.xml", rss(stories, title="Alpha", description="A long lede about a chip plant. " * 4))
    a_config, b_config = configs(work, [(url, "Alpha")], pg)
    store = PostgresStore(pg)
    a, b = ServiceProcess(a_config, hold_stdout=True), ServiceProcess(b_config)
    with a:
        a.wait_for(lambda: role(a_config) == "leader", "the first process to lead")
        with b:
            b.wait_for(lambda: role(b_config) == "follower", "the second process to follow")
            a.wait_for(lambda: store.outbox.counts().get("sending", 0) > 0, "alerts claimed for sending")
            in_flight = {r.identity for r in store.outbox.rows(state="sending")}  # stable: the leader is blocked
            a.kill9()
            a.release_stdout()
            a.wait_exit()
            b.wait_for(lambda: store.outbox.counts() == {"sent": count}, "every alert sent by the new leader",
                       timeout=60)
            b.wait_for(lambda: sum(alerted(a.stdout_text() + b.stdout_text()).values()) >= count, "all printed")
            assert b.terminate() == 0
        titles = {i.item.identity: i.item.title for i in store.items.since(datetime(2000, 1, 1, tzinfo=UTC))}
    store.close()
    delivered = alerted(a.stdout_text()) + alerted(b.stdout_text())
    assert set(delivered) == {t for t, _ in stories}  # nothing lost
    assert {t for t, n in delivered.items() if n > 1} <= {titles[i] for i in in_flight}  # only cut-off sends twice


def test_a_follower_matches_with_the_rules_and_phrases_changed_while_it_follows(
        work: Workdir, feeds: FeedServer, pg: str) -> None:
    """A follower polls (procrastinate hands it feeds) and matches, so it must follow what changes while it follows:
    rule files edited, and the phrases and mutes the leader stores as it answers /watch and /mute. Here the test
    holds the lease, so the one `watchbot run` follows and does every poll."""
    from datetime import UTC, datetime

    from bot.store.postgres import PostgresStore

    url = feeds.feed("/a.xml", rss([], title="Alpha"))
    config = work.config([(url, "Alpha")], http=True, extra=f'[storage]\nurl = "{pg}"\n')
    store = PostgresStore(pg)
    lease = store.lease("leader")
    assert lease.acquire()
    try:
        with work.service() as svc:
            svc.wait_for(lambda: role(config) == "follower", "the service to follow")
            now = datetime.now(UTC)
            store.chats.ensure(5, type="private", title="c", now=now)
            store.phrases.add(5, "gallium", "gallium", now=now)
            store.chats.subscribe(5, "chat:5", now=now)
            (work.rules / "metals.yaml").write_text("id: metals\nany: [germanium]\n", encoding="utf-8")
            svc.wait_for(lambda: "rules reloaded" in svc.stderr_text(), "the follower to reload the rules")
            svc.wait_for(lambda: "phrases: chats' own phrases" in svc.stderr_text(), "the follower to read the phrases")
            feeds.update("/a.xml", rss([("Gallium and germanium exports resume", "https://news.example/ga")],
                                       title="Alpha"))

            def matched() -> set[str]:
                items = store.items.latest(5)
                return set(store.items.match_hits(items[0].identity)) if items else set()

            svc.wait_for(lambda: matched() == {"chat:5", "metals"}, "the follower's poll to match both")
            assert svc.terminate() == 0
    finally:
        lease.release()
        store.close()


def test_a_leader_that_loses_the_lead_stops_and_says_why_last(work: Workdir, feeds: FeedServer, pg: str) -> None:
    """Its last line had been "couldn't get a connection after 10.00 sec" (giving the lead back, on the way out),
    which hid why it stopped."""
    import psycopg

    from tests.postgres import server_url

    url = feeds.feed("/a.xml", rss([], title="Alpha"))
    config = work.config([(url, "Alpha")], http=True, extra=f'[storage]\nurl = "{pg}"\n')
    with work.service() as svc:
        svc.wait_for(lambda: role(config) == "leader", "the service to lead")
        with psycopg.connect(server_url(), autocommit=True) as conn:  # the lease's session ends
            conn.execute("SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
                         "WHERE l.locktype = 'advisory' AND l.granted AND a.datname = current_database() "
                         "AND a.query LIKE '%advisory%' AND l.pid <> pg_backend_pid()")
        assert svc.wait_exit(timeout=30) == 1
    last = svc.stderr_text().strip().splitlines()[-1]
    assert last.startswith("watchbot: error: lost the lead of the store postgresql://") and "start this one again" in last


def test_a_process_stops_when_a_newer_release_upgrades_the_store_under_it(work: Workdir, feeds: FeedServer,
                                                                           pg: str) -> None:
    """A rolling upgrade: the new release upgraded the schema, and the old process went on writing without a word."""
    import psycopg

    url = feeds.feed("/a.xml", rss([], title="Alpha"))
    config = work.config([(url, "Alpha")], http=True, extra=f'[storage]\nurl = "{pg}"\n')
    with work.service() as svc:
        svc.wait_for(lambda: role(config) == "leader", "the service to lead")
        with psycopg.connect(pg, autocommit=True) as conn:  # (as a newer release's migration would)
            conn.execute("INSERT INTO watchbot_migrations (version, name) VALUES (999, '0999_newer.sql')")
        assert svc.wait_exit(timeout=60) == 1
    last = svc.stderr_text().strip().splitlines()[-1]
    assert last.startswith("watchbot: error: the store postgresql://") and "upgraded by a newer release" in last
    assert "(schema version 999; this one knows" in last and "start the new release here too" in last
