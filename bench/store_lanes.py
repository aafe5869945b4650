"""A command's store call while polling has many feeds' ingests queued: the store's two lanes against one queue.

A SQLite store (one worker thread) gets ``--feeds`` ingest-like calls at once, each storing ``--items`` new
items of real corpus text in one transaction (what a poll of a changed feed does), then, while they are
queued, the store call of a Telegram command (/list reads a chat, its subscriptions and phrases). Timed: how
long the command's call waits, (a) queued by ``run_background`` (the pipeline since bot/store/lanes.py),
(b) queued by ``run`` like the command (one queue, as before). Rounds alternate.

    python bench/store_lanes.py [--feeds 200] [--items 30] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)

from bot.items.normalize import Item  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402

NOW = datetime(2026, 12, 2, tzinfo=UTC)
LEDE = ("Chipmakers in Taiwan and South Korea reported higher orders for memory used in AI servers, while "
        "equipment suppliers said export rules kept sales to China below last year's level. ") * 2


def items(feed: int, count: int, round_: int) -> list[Item]:
    return [Item(identity=f"v1:{round_}:{feed}:{n}", url=f"https://f{feed}.example/{round_}/{n}", link=None,
                 guid=None, title=f"Story {n} of feed {feed}", lede=LEDE, language="en", published=NOW,
                 feed_url=f"https://f{feed}.example/feed") for n in range(count)]


async def one_round(store: SqliteStore, feeds: int, count: int, round_: int, lanes: bool) -> float:
    def ingest(batch: list[Item]) -> int:
        with store.transaction():
            return len(store.items.add(batch, feed_name="f", now=NOW))

    queue = store.run_background if lanes else store.run
    queued = [queue(ingest, items(f, count, round_)) for f in range(feeds)]
    await asyncio.sleep(0.01)  # (the first ingest is running)
    began = time.perf_counter()
    await store.run(store.chats.get, 42)
    waited = time.perf_counter() - began
    await asyncio.gather(*queued)
    return waited


async def main_async(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "lanes.db")
        store.chats.ensure(42, type="private", title="", now=NOW)
        waits: dict[bool, list[float]] = {True: [], False: []}
        began = time.perf_counter()
        for r in range(args.rounds):
            for lanes in (True, False) if r % 2 == 0 else (False, True):
                waits[lanes].append(await one_round(store, args.feeds, args.items, 2 * r + lanes, lanes))
        total = time.perf_counter() - began
        store.close()
    per_ingest = total / (2 * args.rounds * args.feeds)
    print(f"{args.feeds} ingests of {args.items} items queued (about {per_ingest * 1000:.1f} ms each); load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; medians of {args.rounds}")
    two, one = statistics.median(waits[True]), statistics.median(waits[False])
    print(f"a command's store call waits: {two * 1000:8.1f} ms with the lanes (polling in run_background)")
    print(f"                              {one * 1000:8.1f} ms in one queue (polling in run, as before): "
          f"{one / max(two, 1e-9):.0f}x longer")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=5)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
