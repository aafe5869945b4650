"""What only the SQLite store does: migrations (a round-1 file migrates in place), WAL, one `run` per file,
and noticing a deleted store file."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.store.sqlite import SqliteStore, migrations
from tests.store.contract import item

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)


def test_fresh_store_is_migrated_to_the_newest_version_and_reopens(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "sub" / "w.db")
    newest = migrations()[-1][0]
    assert store.schema_version == newest and store.created
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    store.close()
    again = SqliteStore(tmp_path / "sub" / "w.db")
    assert again.schema_version == newest and not again.created
    again.close()


def test_a_round_one_store_migrates_in_place_keeping_what_digests_already_delivered(tmp_path: Path) -> None:
    """A round-1 file (schema 3) with a digest cursor: matches at or below it stay delivered."""
    path = tmp_path / "w.db"
    db = sqlite3.connect(path)
    for version, _, sql in migrations():
        if version <= 3:
            db.executescript(sql)
    db.execute("PRAGMA user_version = 3")
    at = NOW.isoformat()
    for n in (1, 2, 3):
        db.execute("INSERT INTO items (identity, title, lede, language, first_seen_at, feed_url) "
                   "VALUES (?, 't', '', 'en', ?, 'f')", (f"v1:{n}", at))
        db.execute("INSERT INTO matches (identity, watchlist, score, hits, matched_at) VALUES (?, 'asml', 100, '[]', ?)",
                   (f"v1:{n}", at))
    db.execute("INSERT INTO digest_recipients (key, channel, target, cursor, since, created_at) "
               "VALUES ('email:a@x|*', 'email', 'a@x', 2, ?, ?)", ((NOW - timedelta(days=1)).isoformat(), at))
    db.execute("INSERT INTO outbox (identity, channel, target, watchlists, state, next_attempt_at, created_at, "
               "last_error) VALUES ('v1:1', 'telegram', '5', ?, 'dead', ?, ?, 'skipped: the chat paused alerts')",
               (json.dumps(["asml"]), at, at))
    db.commit()
    db.close()
    store = SqliteStore(path)
    assert store.schema_version == migrations()[-1][0]
    state = store.digests.recipient("email:a@x|*")
    assert state is not None
    assert [p.identity for p in store.digests.pending_email(state.key, watchlists=(), since=state.since)] == ["v1:3"]
    assert store.outbox.unnotified_dead() == []  # a paused chat's skip was never a problem to tell
    store.close()


def _older_store(path: Path, version: int) -> None:
    db = sqlite3.connect(path)
    for v, _, sql in migrations():
        if v <= version:
            db.executescript(sql)
    db.execute(f"PRAGMA user_version = {version}")
    db.commit()
    db.close()


def test_an_older_store_is_upgraded_only_by_a_command_that_writes(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`watchbot feeds`, run to check the config before restarting the service on a new release, upgraded the store
    under the old service, and the old release then refused to start on it: a rollback made impossible unasked."""
    from bot.cli import main

    path, newest = tmp_path / "w.db", migrations()[-1][0]
    _older_store(path, 11)
    with pytest.raises(StoreError, match=r"schema version 11, older than this watchbot's .*`watchbot run`"):
        SqliteStore(path, upgrade=False)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{path}"\n')
    for command in (["feeds"], ["alerts"], ["stories"], ["chats"], ["digest"], ["store", "backup", str(tmp_path / "b.db")]):
        assert main([*command, "--config", str(config)]) == 1, command
        assert "older than this watchbot's" in capsys.readouterr().err, command
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 11  # (untouched)
    store = SqliteStore(path)  # (what `watchbot run` and `poll` open)
    assert (store.upgraded_from, store.schema_version) == (11, newest)
    store.close()
    again = SqliteStore(path, upgrade=False)  # (current now: nothing to refuse or upgrade)
    assert again.upgraded_from is None
    again.close()


def test_copying_an_older_store_leaves_it_as_its_release_left_it(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """`store copy --from` an older store upgraded the source: its release could not open it again (no way back)."""
    from bot.cli import main

    path = tmp_path / "old.db"
    _older_store(path, 11)
    assert main(["store", "copy", "--from", f"sqlite:///{path}", "--to", f"sqlite:///{tmp_path / 'new.db'}"]) == 0
    assert "copied" in capsys.readouterr().out
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 11  # (untouched)
    new = SqliteStore(tmp_path / "new.db")
    assert new.schema_version == migrations()[-1][0]
    new.close()


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


def test_a_second_run_on_one_store_is_refused(tmp_path: Path) -> None:
    first = SqliteStore(tmp_path / "w.db", exclusive=True)
    with pytest.raises(StoreError, match=r"another `watchbot run` \(pid \d+\) is using the store"):
        SqliteStore(tmp_path / "w.db", exclusive=True)
    reader = SqliteStore(tmp_path / "w.db")  # one-off commands may still read it
    reader.close()
    first.close()
    SqliteStore(tmp_path / "w.db", exclusive=True).close()  # free again once the first stopped


def test_a_deleted_store_file_is_noticed(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "data" / "w.db")
    assert store.check() is None
    for f in (tmp_path / "data").iterdir():
        f.unlink()
    problem = store.check()
    assert problem is not None and "was deleted" in problem
    store.close()


async def test_store_work_runs_off_the_event_loop_and_errors_are_store_errors(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    assert [i.identity for i in await store.run(store.items.add, [item(1)], feed_name="F", now=NOW)] == ["v1:1"]

    def broken() -> None:
        store.db.execute("SELECT * FROM no_such_table")

    with pytest.raises(StoreError, match="no such table"):
        await store.run(broken)
    store.close()


def test_a_failed_write_reports_its_own_error_not_the_rollback(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"), store.transaction():
        store.db.execute("ROLLBACK")  # what SQLite does by itself on a full disk
        store.db.execute("INSERT INTO items (identity) VALUES ('x')")
    store.close()
