"""Retention: the use-case prunes what is older than storage.keep, and `watchbot store prune` says what went."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.app import retention
from bot.cli import main
from bot.store.sqlite import SqliteStore
from bot.times import utcnow
from tests.store.contract import item


async def test_prune_keeps_storage_keep_worth_of_items(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "w.db")
    now = utcnow()
    store.items.add([item("old")], feed_name="F", now=now - timedelta(days=31))
    store.items.add([item("young")], feed_name="F", now=now - timedelta(days=29))
    counts = await retention.prune(store, keep=30 * 86400, now=now)
    assert counts["items"] == 1 and list(store.items.get(["v1:old", "v1:young"])) == ["v1:young"]
    store.close()


def test_the_cli_prunes_with_the_configured_or_given_keep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = SqliteStore(tmp_path / "w.db")
    now = utcnow()
    store.items.add([item("old")], feed_name="F", now=now - timedelta(days=200))
    store.items.add([item("young")], feed_name="F", now=now - timedelta(days=100))
    store.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///{tmp_path}/w.db"\n')
    assert main(["store", "prune", "--config", str(config)]) == 0
    assert capsys.readouterr().out.startswith("pruned 1 items, 1 sightings")
    assert main(["store", "prune", "--config", str(config), "--keep", "90d"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("pruned 1 items") and "over 90 days ago" in out
    assert main(["store", "prune", "--config", str(config), "--keep", "1h"]) == 1
    assert "--keep: write a duration of at least a day" in capsys.readouterr().err
    assert main(["store", "prune", "--config", str(config), "--keep", "1000000d"]) == 1
    assert "--keep: too long: at most 36500d (100 years) (got '1000000d')" in capsys.readouterr().err
