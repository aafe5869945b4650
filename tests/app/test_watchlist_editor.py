"""The watchlist editor's saves reach every process on one store: another process's folder gets the text
(unless its own file was edited after the save), and its rules reload it."""

from __future__ import annotations

import os
from pathlib import Path

from bot.app.watchlists import WatchlistEditor
from bot.store.protocols import Store
from bot.watch import RuleBook
from tests.worlds import Clock

SAVED = "# saved on the web\nid: asml\nname: ASML\nany: [ASML, 阿斯麦]\n"


def folder(path: Path) -> Path:
    path.mkdir()
    (path / "asml.yaml").write_text("id: asml\nany: [ASML]\n")
    return path


async def test_a_save_reaches_another_process_folder(store: Store, tmp_path: Path) -> None:
    clock = Clock()
    here = WatchlistEditor(RuleBook(folder(tmp_path / "a")), store, clock=clock)
    there_rules = RuleBook(folder(tmp_path / "b"))
    there = WatchlistEditor(there_rules, store, clock=clock)
    os.utime(tmp_path / "b" / "asml.yaml", (clock.now.timestamp() - 60,) * 2)  # written before the save
    assert (await here.save("asml.yaml", SAVED)).ok
    assert await there.pull() == 1
    assert (tmp_path / "b" / "asml.yaml").read_text() == SAVED
    there_rules.refresh()
    assert len(there_rules.watchlists[0].any) == 2
    assert await there.pull() == 0  # nothing new
    assert await here.pull() == 0  # its own save is already its file


async def test_a_file_edited_after_the_save_stays(store: Store, tmp_path: Path) -> None:
    clock = Clock()
    here = WatchlistEditor(RuleBook(folder(tmp_path / "a")), store, clock=clock)
    there = WatchlistEditor(RuleBook(folder(tmp_path / "b")), store, clock=clock)
    assert (await here.save("asml.yaml", SAVED)).ok
    edited = "# edited by hand later\nid: asml\nany: [ASML]\n"
    (tmp_path / "b" / "asml.yaml").write_text(edited)
    os.utime(tmp_path / "b" / "asml.yaml", (clock.now.timestamp() + 60,) * 2)
    assert await there.pull() == 0 and (tmp_path / "b" / "asml.yaml").read_text() == edited


async def test_a_broken_text_is_neither_written_nor_kept(store: Store, tmp_path: Path) -> None:
    here = WatchlistEditor(RuleBook(folder(tmp_path / "a")), store, clock=Clock())
    assert not (await here.save("asml.yaml", "id: asml\nany: [ASML\n")).ok
    assert store.rule_texts.changed_since(None) == []
    assert (tmp_path / "a" / "asml.yaml").read_text() == "id: asml\nany: [ASML]\n"
