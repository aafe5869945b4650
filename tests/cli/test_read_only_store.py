"""Commands that only read, on a store on read-only media (a mounted snapshot or backup volume), and on no store.

SQLite cannot open a WAL store on a read-only file system the usual way ("unable to open database file"), so every
command said "check the folder exists and is writable" to someone who only wanted to look into a backup; and
`watchbot feeds` or `watchbot chats` run with a mistyped store path made an empty store there and listed nothing.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore, on_read_only_media
from bot.watch import Hit, Match

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def stored(path: Path) -> None:
    store = SqliteStore(path)
    store.feeds.sync([("https://a.example/rss", "Reuters")])
    store.items.add([Item(identity="v1:1", url="https://a.example/1", link="https://a.example/1", guid=None,
                          title="ASML wins EUV licence", lede="Lede", language="en", published=NOW,
                          feed_url="https://a.example/rss")], feed_name="Reuters", now=NOW)
    store.items.record_matches("v1:1", [Match("asml", 100.0, (Hit("ASML", "title", (0, 4), "ASML", 100.0),))],
                               now=NOW)
    store.close()


@pytest.fixture
def read_only(tmp_path: Path) -> Iterator[Path]:
    """A folder holding a store, mounted read-only (a bind mount: needs the right to mount, as root in CI)."""
    data, mounted = tmp_path / "data", tmp_path / "mounted"
    data.mkdir()
    mounted.mkdir()
    stored(data / "w.db")
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a read-only file system")
    bound = subprocess.run(["mount", "--bind", str(data), str(mounted)], capture_output=True, text=True)
    if bound.returncode != 0:
        pytest.skip(f"cannot mount a read-only file system here: {bound.stderr.strip()}")
    try:
        ro = subprocess.run(["mount", "-o", "remount,ro,bind", str(mounted)], capture_output=True, text=True)
        if ro.returncode != 0:
            pytest.skip(f"cannot remount read-only here: {ro.stderr.strip()}")
        yield mounted
    finally:  # (busy when a store opened there was not closed: a failed opening had kept its file)
        unmounted = subprocess.run(["umount", str(mounted)], capture_output=True, text=True)
    assert unmounted.returncode == 0, unmounted.stderr


def config(tmp_path: Path, store: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///{store}"\n\n[[feeds]]\nurl = "https://a.example/rss"\n'
                    'name = "Reuters"\n', encoding="utf-8")
    return str(path)


def test_a_store_on_read_only_media_can_be_read(read_only: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert on_read_only_media(read_only / "w.db")
    cfg = config(tmp_path, "mounted/w.db")
    assert main(["stories", "--since", "1d", "--config", cfg]) == 0
    assert "ASML wins EUV licence" in capsys.readouterr().out
    assert main(["feeds", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "Reuters" in out and "1 feed, 0 failing\n" in out  # (the store's, not "no store yet")
    assert main(["store", "backup", str(tmp_path / "copy.db"), "--config", cfg]) == 0
    assert "backed up" in capsys.readouterr().out
    assert SqliteStore(tmp_path / "copy.db").items.count_since(NOW - timedelta(days=1)) == 1
    assert main(["poll", "--config", cfg]) == 1  # (it writes: refused, and told why)
    said = capsys.readouterr().err.strip()
    assert said.endswith("it is on a read-only file system (commands that only read work there: feeds, alerts, "
                         "stories, chats, digest, store backup)") and "\n" not in said


def test_commands_that_read_make_no_store_where_there_is_none(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path, "typo/w.db")
    assert main(["feeds", "--config", cfg]) == 0
    out = capsys.readouterr().out
    assert "Reuters: not polled yet" in out and f"no store yet at {tmp_path / 'typo' / 'w.db'}" in out
    assert main(["chats", "--config", cfg]) == 0
    assert capsys.readouterr().out.startswith("no chats yet")
    assert main(["digest", "--config", cfg]) == 0  # (the recipients, with the config's warnings: none here)
    assert capsys.readouterr().out.startswith("no digest recipients")
    assert not (tmp_path / "typo").exists()


def test_rules_lint_and_suggest_read_a_postgresql_store(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """They took the store's URL for a file's path: "/tmp/op/m1/postgresql:/postgres@...: no store yet"."""
    from bot.store.postgres import PostgresStore
    from tests.postgres import postgres_schema

    with postgres_schema() as url:
        PostgresStore(url).close()  # (migrated: a store polls have used)
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'[storage]\nurl = "{url}"\n', encoding="utf-8")
        for command in (["rules", "lint"], ["rules", "suggest"]):
            assert main([*command, "--config", str(cfg)]) == 0, capsys.readouterr().err
            assert "no store yet" not in capsys.readouterr().err


def test_a_command_that_only_reads_writes_no_config_feeds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`watchbot alerts --config other.toml` added other.toml's feeds to the shared store: claimed by the pollers,
    polled by none, shown nowhere."""
    stored(tmp_path / "w.db")
    cfg = tmp_path / "other.toml"
    cfg.write_text('[storage]\nurl = "sqlite:///w.db"\n\n[[feeds]]\nurl = "https://zzz.example/typo.xml"\n',
                   encoding="utf-8")
    for command in (["alerts"], ["stories"], ["chats"], ["feeds"], ["digest"]):
        assert main([*command, "--config", str(cfg)]) == 0, capsys.readouterr().err
    store = SqliteStore(tmp_path / "w.db")
    assert [f.url for f in store.feeds.all()] == ["https://a.example/rss"]
    store.close()
