"""`watchbot store copy` and `store backup`: every aggregate arrives, ids kept, read back through the API.

Copies run SQLite -> PostgreSQL -> dump -> SQLite and compare what each store says through its
Protocols (never SQL). PostgreSQL tests skip without a server (tests/postgres.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import storecopy
from bot.cli import main
from bot.errors import WatchbotError
from bot.store.protocols import Judgment, Store
from bot.store.sqlite import SqliteStore
from tests.app.service.proc import watchbot
from tests.postgres import postgres_schema
from tests.store.contract import item, match

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def populate(store: Store) -> None:
    """A little of everything: feeds with state, items seen twice, matches, alerts in each state, chats,
    subscriptions, digest recipients with deliveries, a dead digest, runs, notices; a story of two items, a sent
    alert with its message id and a pending edit, adaptive polling state, a feed added on the web and paused,
    a login link and a session, a saved watchlist text, a judgment."""
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    store.feeds.record_fetch("f1", now=NOW, status=200, etag='"e"', last_modified=None, title="T1",
                             next_poll_at=NOW + timedelta(minutes=10))
    store.feeds.record_failure("f2", now=NOW, status=503, error="HTTP 503", next_poll_at=NOW)
    store.feeds.mark_failure_notified("f2")
    for n in range(1, 6):
        at = NOW + timedelta(minutes=n)
        store.items.add([item(n)], feed_name="Feed one", now=at)
        store.items.record_matches(f"v1:{n}", [match("asml")] + ([match("chips")] if n % 2 else []), now=at)
    store.items.add([item(1, "f2")], feed_name="Feed two", now=NOW + timedelta(minutes=9))
    for n in range(1, 5):
        store.outbox.enqueue(f"v1:{n}", "telegram", "42", ["asml"], now=NOW)
    one, two, three, _ = store.outbox.claim_due("telegram", now=NOW)
    store.outbox.mark_sent([one.id], now=NOW)
    store.outbox.mark_dead([two.id], error="Bad Request")
    store.outbox.mark_retry([three.id], error="timed out", next_attempt_at=NOW + timedelta(minutes=5))
    store.chats.ensure(42, type="private", title="p", now=NOW)
    store.chats.update(42, tz="Asia/Taipei", quiet_start="22:00", quiet_end="07:00", paused=True, now=NOW)
    store.chats.ensure(-7, type="group", title="g", now=NOW)
    store.chats.subscribe(42, "asml", now=NOW)
    store.chats.subscribe(-7, "chips", "digest", now=NOW)
    store.chats.deactivate(-9, "blocked", now=NOW)
    d = store.digests
    d.ensure("email:a@x|*", channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    d.ensure("chat:-7", channel="telegram", target="-7", watchlists=(), since=None, now=NOW)
    pending = d.pending_email("email:a@x|*", watchlists=(), since=NOW)
    d.settle("email:a@x|*", [p.match_id for p in pending[:3]], now=NOW + timedelta(minutes=6), complete=False)
    d.bury("chat:-7", [pending[3].match_id], stories=1, error="403 blocked", now=NOW)
    d.fail("email:a@x|*", error="timed out", now=NOW, next_attempt_at=NOW + timedelta(minutes=1))
    d.record_run("email:a@x|*", now=NOW, stories=3, outcome="partial")
    store.notices.record("feed-down:f2", "f2 is down", now=NOW)
    store.feeds.record_body("f1", items=12, ttl=1800.0, update=None)
    store.feeds.record_interval("f1", seconds=900.0, reason="about 3 new items a day")
    store.feeds.add("f3", "Web feed", now=NOW)
    store.feeds.set_paused("f3", True)
    store.items.set_story("v1:2", "v1:1")
    store.outbox.mark_sent([one.id], now=NOW, message_id=77)
    store.outbox.queue_edits(one.story, now=NOW, sent_since=NOW)
    store.sessions.add_login("login-digest", 42, expires_at=NOW + timedelta(hours=1))
    store.sessions.open("session-digest", 42, "csrf", now=NOW, expires_at=NOW + timedelta(days=1))
    store.rule_texts.put("asml.yaml", "name: asml\n", now=NOW)
    store.judgments.record(Judgment(chat_id=42, story="v1:1", user_id=7, verdict="down", identity="v1:1",
                                    watchlists=("asml",), hits=store.items.match_hits("v1:1"), at=NOW))


def seen(store: Store) -> dict[str, Any]:
    """What a store says about everything populate() wrote, through its Protocols."""
    d = store.digests
    return {
        "feeds": store.feeds.all(),
        "items": list(store.items.since(EPOCH)),
        "hits": {i: store.items.match_hits(i) for i in ("v1:1", "v1:2")},
        "outbox": store.outbox.rows(),
        "chats": store.chats.all(),
        "subscriptions": [store.chats.subscriptions(c) for c in (42, -7)],
        "recipients": d.recipients(),
        "pending": [d.pending_email(r.key, watchlists=(), since=None) for r in d.recipients()],
        "pending_chat": d.pending_chat("chat:-7", -7),
        "dead": d.dead_letters(),
        "noticed": store.notices.noticed("feed-down:f2"),
        "stories": store.items.story_members(EPOCH),
        "outlets": store.items.outlets("v1:1"),
        "edits": store.outbox.edit_counts(),
        "session": store.sessions.get("session-digest", now=NOW),
        "rules": store.rule_texts.changed_since(None),
        "judgments": store.judgments.all(),
    }


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture
def source(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "source.db")
    populate(s)
    yield s
    s.close()


def test_sqlite_to_postgresql_and_back_through_a_dump_keeps_everything(
        source: SqliteStore, pg: str, tmp_path: Path) -> None:
    from bot.store.postgres import PostgresStore

    before = seen(source)
    report = storecopy.copy_store(str(source.path), pg, base_dir=tmp_path)
    assert report.rows["items"] == 5 and report.rows["matches"] == 8 and report.rows["digest_delivered"] == 4
    target = PostgresStore(pg)
    assert seen(target) == before
    target.items.add([item(9)], feed_name="F", now=NOW)  # new rows get ids past the copied ones
    target.items.record_matches("v1:9", [match("asml")], now=NOW)
    ids = [p.match_id for p in target.digests.pending_email("email:a@x|*", watchlists=(), since=None)]
    assert len(ids) == len(set(ids))
    assert storecopy.backup(target, tmp_path / "pg.jsonl").kind == "dump"
    with pytest.raises(WatchbotError, match=r"pg.db: a postgresql store is backed up as a JSON Lines dump: name the "
                                            r"file .jsonl"):
        storecopy.backup(target, tmp_path / "pg.db")
    target.close()
    storecopy.copy_store("pg.jsonl", f"sqlite:///{tmp_path}/back.db", base_dir=tmp_path)
    back = SqliteStore(tmp_path / "back.db")
    after = seen(back)
    assert after["outbox"] == before["outbox"] and after["recipients"] == before["recipients"]
    assert len(after["items"]) == 6 and after["dead"] == before["dead"]
    f1 = after["feeds"][0]  # with its polling state as it was, and the item added since
    assert [replace(f1, items_total=f1.items_total - 1), *after["feeds"][1:]] == before["feeds"]
    assert [m for m in after["stories"] if m.identity != "v1:9"] == before["stories"]
    for key in ("outlets", "edits", "session", "rules", "judgments"):
        assert after[key] == before[key], key
    assert back.sessions.use_login("login-digest", now=NOW) == 42  # the link still works once
    back.close()


def test_a_store_that_holds_data_is_refused_unless_forced(source: SqliteStore, tmp_path: Path) -> None:
    other = SqliteStore(tmp_path / "other.db")
    other.feeds.sync([("mine", "Mine")])
    other.close()
    with pytest.raises(WatchbotError, match="already holds data .*add --force"):
        storecopy.copy_store(str(source.path), f"sqlite:///{tmp_path}/other.db", base_dir=tmp_path)
    storecopy.copy_store(str(source.path), f"sqlite:///{tmp_path}/other.db", base_dir=tmp_path, force=True)
    replaced = SqliteStore(tmp_path / "other.db")
    assert seen(replaced) == seen(source)
    replaced.close()


def test_a_sqlite_backup_is_a_database_file_that_opens_as_the_store(source: SqliteStore, tmp_path: Path) -> None:
    report = storecopy.backup(source, tmp_path / "backup.db")
    assert report.kind == "sqlite" and "put the file in place" in report.line()
    copy = SqliteStore(tmp_path / "backup.db")
    assert seen(copy) == seen(source)
    copy.close()


def test_a_backup_replaces_an_earlier_backup_and_nothing_else(source: SqliteStore, tmp_path: Path) -> None:
    """`store backup notes.txt` replaced the notes, and naming the store's own file replaced the live store."""
    for name in ("nightly.db", "nightly.jsonl"):
        storecopy.backup(source, tmp_path / name)
        storecopy.backup(source, tmp_path / name)  # a nightly job writes one name again
    notes = tmp_path / "notes.txt"
    notes.write_text("important notes")
    with pytest.raises(WatchbotError, match=r"notes.txt: already exists and is no watchbot backup; give another name, "
                                            r"or --force to replace it"):
        storecopy.backup(source, notes)
    assert notes.read_text() == "important notes"
    (tmp_path / "notes.jsonl").write_text("important notes")
    with pytest.raises(WatchbotError, match="no watchbot backup"):
        storecopy.backup(source, tmp_path / "notes.jsonl")
    assert storecopy.backup(source, notes, force=True).kind == "sqlite"
    with pytest.raises(WatchbotError, match=r"is the store itself; back it up into another file"):
        storecopy.backup(source, source.path)
    assert seen(source)  # (the store is as it was)


def test_the_cli_copies_with_a_summary_and_says_what_is_wrong_in_one_line(
        source: SqliteStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = f"sqlite:///{tmp_path}/t.db"
    assert main(["store", "copy", "--from", f"sqlite:///{source.path}", "--to", target]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("copied ") and "5 items" in out and "items: 5" in err
    total = int(out.split()[1].replace(",", ""))  # the tables named add up to the rows copied
    assert total == sum(int(part.split()[0]) for part in out.split("(", 1)[1].split(")", 1)[0].split(", "))
    assert main(["store", "copy", "--from", f"sqlite:///{source.path}", "--to", target]) == 1
    assert capsys.readouterr().err.count("\n") == 1
    assert main(["store", "copy", "--from", "nope.db", "--to", target]) == 1
    assert "no such file" in capsys.readouterr().err
    assert main(["store", "copy", "--from", f"sqlite:///{source.path}", "--to", "postgresql://u:pw@127.0.0.1"]) == 1
    assert "store postgresql://u:***@127.0.0.1: name the database" in capsys.readouterr().err  # (none: `postgres`)
    (tmp_path / "junk.jsonl").write_text("hello\n")
    assert main(["store", "copy", "--from", str(tmp_path / "junk.jsonl"), "--to", target, "--force"]) == 1
    assert "not a watchbot dump" in capsys.readouterr().err


def test_the_cli_backs_up_the_configured_postgresql_store_into_a_dump_that_copies_back(
        pg: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from bot.store.postgres import PostgresStore

    store = PostgresStore(pg)
    populate(store)
    before = seen(store)
    store.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "{pg}"\n')
    assert main(["store", "backup", str(tmp_path / "b.jsonl"), "--config", str(config)]) == 0
    assert "(dump)" in capsys.readouterr().out
    assert main(["store", "copy", "--from", str(tmp_path / "b.jsonl"), "--to", pg, "--force"]) == 0
    again = PostgresStore(pg)
    assert seen(again) == before
    again.close()


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_a_dump_from_before_stories_and_the_web_loads_with_what_its_rows_stood_for(
        kind: str, source: SqliteStore, tmp_path: Path) -> None:
    import json

    from bot.store.postgres import PostgresStore

    storecopy.backup(source, tmp_path / "new.jsonl")
    newer = {"items": {"story"}, "outbox": {"story", "message_id"},
             "feeds": {"origin", "paused", "added_at", "last_items", "ttl_seconds", "update_seconds",
                       "interval_seconds", "interval_reason"}}
    lines = (tmp_path / "new.jsonl").read_text(encoding="utf-8").splitlines()
    old = [lines[0]] + [json.dumps({"t": e["t"], "r": {k: v for k, v in e["r"].items()
                                                      if k not in newer.get(e["t"], ())}})
                        for e in map(json.loads, lines[1:])
                        if e["t"] not in ("edits", "web_logins", "web_sessions", "rule_texts", "judgments")]
    (tmp_path / "old.jsonl").write_text("\n".join(old) + "\n", encoding="utf-8")
    with postgres_schema() as pg:
        to = pg if kind == "postgres" else f"sqlite:///{tmp_path}/old.db"
        storecopy.copy_store("old.jsonl", to, base_dir=tmp_path)
        target: Store = PostgresStore(pg) if kind == "postgres" else SqliteStore(tmp_path / "old.db")
        assert {(f.origin, f.paused) for f in target.feeds.all()} == {("config", False)}
        assert [(m.identity, m.story) for m in target.items.story_members(EPOCH)][:2] == [("v1:1", "v1:1"),
                                                                                          ("v1:2", "v1:2")]
        assert target.items.outlets("v1:1") == ["Feed one", "Feed two"]
        assert {r.story for r in target.outbox.rows()} == {r.identity for r in target.outbox.rows()}
        target.close()


@pytest.mark.parametrize("name", ["backup.jsonl", "backup.db"])
def test_a_backup_onto_a_full_disk_says_so_in_one_line_and_leaves_nothing_behind(
        source: SqliteStore, tmp_path: Path, name: str) -> None:
    """A file-size limit (RLIMIT_FSIZE) makes the disk full for the backup's writes. Before: a dump ended in a
    traceback and left its .part file; a database file left a .part-journal."""
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{source.path}"\n')
    out = tmp_path / "backups"
    out.mkdir()
    done = watchbot("store", "backup", str(out / name), "--config", str(config), disk_room=2048)
    assert done.returncode == 1
    error = done.stderr.splitlines()[-1]
    assert error == (f"watchbot: error: {out / name}: cannot write: File too large; nothing was written"
                     if name.endswith(".jsonl") else
                     f"watchbot: error: cannot back up {source.path} into {out / name}: disk I/O error"), error
    assert "Traceback" not in done.stderr
    assert list(out.iterdir()) == []


def test_a_copy_onto_a_full_disk_says_so_in_one_line(source: SqliteStore, tmp_path: Path) -> None:
    """Before: a sqlite3.OperationalError traceback (the archive's writes bypassed the store's error words)."""
    source.items.add([replace(item(f"big{n}"), lede="x" * 1000) for n in range(1000)], feed_name="Feed one", now=NOW)
    SqliteStore(tmp_path / "t.db").close()  # the target made: the copy's own writes then meet the full disk
    done = watchbot("store", "copy", "--from", f"sqlite:///{source.path}", "--to", f"sqlite:///{tmp_path}/t.db",
                    disk_room=(tmp_path / "t.db").stat().st_size)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.splitlines()[-1] == (f"watchbot: error: store {tmp_path}/t.db: disk I/O error (a write to its "
                                            "disk failed: is the disk full or failing?)"), done.stderr


def test_a_copy_of_a_sqlite_store_a_service_is_using_is_refused_unless_forced(source: SqliteStore,
                                                                             tmp_path: Path) -> None:
    """The help said "stop `watchbot run` first", and the copy went ahead without a word while one wrote on."""
    running = SqliteStore(tmp_path / "live.db", exclusive=True)  # as `watchbot run` holds it
    populate(running)
    try:
        with pytest.raises(WatchbotError, match=rf"a `watchbot run` \(pid {os.getpid()}\) is using it"):
            storecopy.copy_store(str(running.path), f"sqlite:///{tmp_path}/copy.db", base_dir=tmp_path)
        assert not (tmp_path / "copy.db").exists()
        forced = storecopy.copy_store(str(running.path), f"sqlite:///{tmp_path}/copy.db", base_dir=tmp_path,
                                      force=True)
        assert forced.rows["items"] == 5
    finally:
        running.close()
    assert storecopy.copy_store(str(source.path), f"sqlite:///{tmp_path}/other.db", base_dir=tmp_path).rows["items"] == 5
