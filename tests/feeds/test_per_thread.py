"""lxml parsers, one per thread: a poll parses feeds and their items' HTML in several threads at once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.feeds.per_thread import PerThread
from bot.items.read import read_items


def test_each_thread_makes_its_own_once() -> None:
    made: list[str] = []
    parser = PerThread(lambda: made.append(threading.current_thread().name) or object())
    mine = parser()
    assert parser() is mine
    theirs: list[object] = []
    others = [threading.Thread(target=lambda: theirs.extend([parser(), parser()]), name=f"t{k}") for k in range(2)]
    for t in others:
        t.start()
    for t in others:
        t.join()
    assert theirs[0] is theirs[1] and theirs[2] is theirs[3]
    assert len({id(mine), id(theirs[0]), id(theirs[2])}) == 3 and sorted(made) == ["MainThread", "t0", "t1"]


def test_feeds_read_in_four_threads_at_once_read_as_they_do_one_by_one(corpus_dir: Path) -> None:
    bodies = [f.read_bytes() for f in sorted(corpus_dir.iterdir())[:60]]

    def read(body: bytes) -> list[tuple[str, str]]:
        try:
            return [(i.title, i.lede) for i in read_items(body, url="f", headers={}, label="f").items]
        except Exception as e:  # (a corpus feed that is no feed: the same error either way)
            return [("error", str(e))]

    alone = [read(b) for b in bodies]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(read, bodies)) == alone
