"""What only the PostgreSQL store does: migrations recorded once, claims by several workers that never
overlap, transactions per thread, and errors in our words when the server is not there."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.errors import StoreError
from tests.postgres import postgres_schema
from tests.store.contract import item

pytest.importorskip("psycopg")
from bot.store.postgres import PostgresStore, migrations, redact  # noqa: E402

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


@pytest.fixture
def url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def test_a_fresh_store_is_migrated_once_and_reopens(url: str) -> None:
    store = PostgresStore(url)
    assert store.schema_version == migrations()[-1][0] and store.created
    store.close()
    again = PostgresStore(url)
    assert again.schema_version == migrations()[-1][0] and not again.created
    assert again.check() is None
    again.close()


def test_stores_opened_together_migrate_once(url: str) -> None:
    with ThreadPoolExecutor(3) as pool:
        stores = list(pool.map(lambda _: PostgresStore(url), range(3)))
    assert sum(s.created for s in stores) == 1
    for s in stores:
        s.close()


def test_concurrent_claims_never_hand_out_an_alert_twice(url: str) -> None:
    store = PostgresStore(url, pool_size=4)
    store.items.add([item(n) for n in range(200)], feed_name="F", now=NOW)
    for n in range(200):
        store.outbox.enqueue(f"v1:{n}", "telegram", "42", ["asml"], now=NOW)
    start = threading.Barrier(4)

    def claim(_: int) -> list[int]:
        start.wait()
        got: list[int] = []
        while batch := store.outbox.claim_due("telegram", now=NOW, limit=7):
            got += [r.id for r in batch]
        return got

    with ThreadPoolExecutor(4) as pool:
        claimed = [i for ids in pool.map(claim, range(4)) for i in ids]
    assert len(claimed) == 200 and len(set(claimed)) == 200
    store.close()


def test_concurrent_claims_never_hand_out_an_edit_twice(url: str) -> None:
    store = PostgresStore(url, pool_size=4)
    store.items.add([item(n) for n in range(60)], feed_name="F", now=NOW)
    for n in range(60):
        store.outbox.enqueue(f"v1:{n}", "telegram", str(n), ["asml"], now=NOW, story="s")
    sent = store.outbox.claim_due("telegram", now=NOW)
    for n, row in enumerate(sent):
        store.outbox.mark_sent([row.id], now=NOW, message_id=n + 1)
    assert store.outbox.queue_edits("s", now=NOW, sent_since=NOW) == 60
    start = threading.Barrier(4)

    def claim(_: int) -> list[int]:
        start.wait()
        got: list[int] = []
        while batch := store.outbox.claim_edits("telegram", now=NOW, limit=3):
            got += [r.id for r in batch]
        return got

    with ThreadPoolExecutor(4) as pool:
        claimed = [i for ids in pool.map(claim, range(4)) for i in ids]
    assert sorted(claimed) == sorted(r.id for r in sent)
    assert store.outbox.edit_counts() == {"sending": 60}
    store.close()


def test_a_transaction_belongs_to_its_thread(url: str) -> None:
    """Another thread does not see (or join) an open transaction; nested blocks join the outer one."""
    store = PostgresStore(url)
    inside = threading.Event()
    release = threading.Event()

    def writer() -> None:
        with store.transaction(), store.transaction():
            store.items.add([item(1)], feed_name="F", now=NOW)
            inside.set()
            release.wait(10)

    t = threading.Thread(target=writer)
    t.start()
    inside.wait(10)
    assert store.items.get(["v1:1"]) == {}  # not committed yet
    release.set()
    t.join()
    assert list(store.items.get(["v1:1"])) == ["v1:1"]
    store.close()


def test_an_unreachable_server_is_one_line_naming_the_store_without_its_password() -> None:
    with pytest.raises(StoreError) as e:
        PostgresStore("postgresql://watchbot:s3cret@127.0.0.1:9/watchbot", timeout=2)
    assert "s3cret" not in str(e.value) and "127.0.0.1:9" in str(e.value) and "\n" not in str(e.value)
    assert redact("postgresql://u:pw@h:5433/db") == "postgresql://u:***@h:5433/db"
    assert "(is the server running, and listening at that host and port?)" in str(e.value)


def test_a_database_that_does_not_exist_is_said_at_once_with_what_to_do(url: str) -> None:
    """It waited the pool's 10 s, logging the server's answer four times, then said "pool initialization incomplete
    after 10.0 sec" without it."""
    from tests.postgres import server_url

    missing = server_url().rsplit("/", 1)[0] + "/watchbot_no_such_database"
    with pytest.raises(StoreError) as e:
        PostgresStore(missing, timeout=10)
    said = str(e.value)
    assert 'database "watchbot_no_such_database" does not exist (create it with createdb NAME or CREATE DATABASE, ' \
        "or check the URL (storage.url, or store copy's --from or --to))" in said and "pool" not in said


def test_the_wiring_opens_postgresql_by_its_url(url: str, tmp_path) -> None:
    from bot.app.build import open_store
    from bot.config import parse_config

    config = parse_config({"storage": {"url": url}}, source="t", base_dir=tmp_path, env={})
    store = open_store(config, serve=True)
    second = open_store(config, serve=True)  # several `watchbot run` may share a PostgreSQL store
    assert isinstance(store, PostgresStore) and store.check() is None and second.check() is None
    store.close()
    second.close()


def test_one_lease_holder_at_a_time_per_store(url: str) -> None:
    store, other = PostgresStore(url), PostgresStore(url)
    first, second = store.lease("leader"), other.lease("leader")
    assert first.acquire() and first.acquire()  # acquiring again while holding keeps it
    assert not second.acquire() and not second.held()
    with postgres_schema() as elsewhere:  # another schema is another store: its own lease
        third = PostgresStore(elsewhere)
        assert third.lease("leader").acquire()
        third.close()
    first.release()
    assert not first.held() and second.acquire() and second.held()
    second.release()
    store.close()
    other.close()


def test_the_lease_session_asks_the_server_to_notice_a_machine_gone(url: str) -> None:
    """The keepalives were the client's alone: the server keeps an advisory lock until it sees the session gone, and
    its defaults look after 2 hours, not the README's 20 seconds."""
    store = PostgresStore(url)
    lease = store.lease("leader")
    assert lease.acquire()
    conn = lease._conn  # (the session holding the lock)
    assert conn is not None
    said = {k: conn.execute(f"SHOW {k}").fetchone()[0]  # type: ignore[index]
            for k in ("tcp_keepalives_idle", "tcp_keepalives_interval", "tcp_keepalives_count", "tcp_user_timeout")}
    assert said == {"tcp_keepalives_idle": "5", "tcp_keepalives_interval": "2", "tcp_keepalives_count": "3",
                    "tcp_user_timeout": "15000"}
    lease.release()
    store.close()
