"""The SQLite store: migrations, dedupe with sightings, the outbox's states."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore, migrations
from bot.watch import Hit, Match

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


def _item(n: int, feed: str = "f1") -> Item:
    return Item(identity=f"v1:{n}", url=f"https://x.com/{n}", link=f"https://x.com/{n}", guid=None,
                title=f"Title {n}", lede="Lede", language="en", published=NOW, feed_url=feed)


def test_fresh_store_is_migrated_to_the_newest_version_and_reopens(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sub" / "w.db")
    newest = migrations()[-1][0]
    assert store.schema_version == newest
    assert store.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    again = SqliteStore(tmp_path / "sub" / "w.db")
    assert again.schema_version == newest
    again.close()


def test_a_store_from_a_newer_watchbot_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "w.db")
    db.execute("PRAGMA user_version = 999")
    db.close()
    with pytest.raises(StoreError, match="newer than this watchbot knows"):
        SqliteStore(tmp_path / "w.db")


def test_unwritable_location_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot open the store"):
        SqliteStore(blocker / "w.db")


def test_add_items_dedupes_and_keeps_every_sighting(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    store.sync_feeds([("f1", "Feed one"), ("f2", "Feed two")])
    assert [i.identity for i in store.add_items([_item(1), _item(2), _item(1)], feed_name="Feed one", now=NOW)] == [
        "v1:1", "v1:2"]
    later = NOW + timedelta(minutes=5)
    assert store.add_items([_item(1, "f2")], feed_name="Feed two", now=later) == []
    stored = store.get_items(["v1:1"])["v1:1"]
    assert [(url, name) for url, name, _ in stored.sightings] == [("f1", "Feed one"), ("f2", "Feed two")]
    assert store.feeds(["f1"])[0].items_total == 2
    store.close()


def test_outbox_states_and_crash_recovery(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    store.add_items([_item(1), _item(2)], feed_name="F", now=NOW)
    store.record_matches("v1:1", [Match("asml", 100.0, (Hit("ASML", "title", (0, 4), "ASML", 100.0),))], now=NOW)
    assert store.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)
    assert not store.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)  # one alert per (item, target)
    assert store.enqueue("v1:2", "telegram", "42", ["asml"], now=NOW)
    claimed = store.claim_due("telegram", now=NOW)
    assert [r.identity for r in claimed] == ["v1:1", "v1:2"] and all(r.state == "sending" for r in claimed)
    assert store.claim_due("telegram", now=NOW) == []  # claimed rows are not handed out twice
    store.mark_sent([claimed[0].id], now=NOW)
    store.close()

    reopened = SqliteStore(tmp_path / "w.db")  # the process died with v1:2 in flight
    assert reopened.release_in_flight() == 1
    (again,) = reopened.claim_due("telegram", now=NOW)
    assert again.identity == "v1:2" and again.attempts == 2
    reopened.mark_retry([again.id], error="timed out", next_attempt_at=NOW + timedelta(minutes=1))
    assert reopened.claim_due("telegram", now=NOW) == []
    (retry,) = reopened.claim_due("telegram", now=NOW + timedelta(minutes=1))
    reopened.mark_dead([retry.id], error="Bad Request: can't parse entities")
    assert reopened.outbox_counts() == {"sent": 1, "dead": 1}
    assert reopened.match_hits("v1:1")["asml"][0]["span"] == [0, 4]
    assert reopened.alerted_watchlists("v1:1") == {"asml"}
    reopened.close()


def test_naive_datetimes_are_refused(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    with pytest.raises(ValueError, match="timezone-aware"):
        store.add_items([_item(1)], feed_name="F", now=datetime(2024, 1, 1))  # noqa: DTZ001
    store.close()
