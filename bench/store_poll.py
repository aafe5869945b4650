"""Store benchmark: the poll pipeline on SQLite against PostgreSQL, mostly-304 cycles of many loopback feeds.

A separate process (tests/doubles/feedserver.py) serves --feeds-per-host feeds on each of --hosts
loopback addresses. For each store (SQLite in a temporary folder, PostgreSQL in a fresh schema of
--postgres) the real Pipeline polls every feed once cold (200: parse, dedupe, match, store), then
--rounds warm cycles (304: one fetch-state write per feed), SQLite and PostgreSQL alternating so
that machine load falls on both. Reports each store's median warm cycle, polls/s, and the ratio.

Goal (issue 16): one process on PostgreSQL within 25% of one process on SQLite (ratio <= 1.25).

    python bench/store_poll.py [--hosts 50] [--feeds-per-host 40] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: its telegram.py would shadow python-telegram-bot

import psycopg  # noqa: E402

from bot.app.build import open_app  # noqa: E402
from bot.config import Config, FeedConfig, PollConfig  # noqa: E402
from bot.store.postgres import PostgresStore  # noqa: E402
from bot.store.protocols import Store  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from tests.doubles.feedserver import FeedServerProcess  # noqa: E402

RULE = "id: never\nname: Never\nany:\n  - zqxjkv-never-matches\n"


async def cycle(config: Config, store: Store) -> tuple[float, dict[int, int]]:
    async with open_app(config, store=store, offline=True) as app:
        started = time.perf_counter()
        summary = await app.pipeline.poll_once([f.url for f in config.feeds], deliver=False)
        wall = time.perf_counter() - started
    statuses: dict[int, int] = {}
    for r in summary.feeds:
        key = r.status or 0
        statuses[key] = statuses.get(key, 0) + 1
    return wall, statuses


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--feeds-per-host", type=int, default=40)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--postgres", default=os.environ.get("WATCHBOT_TEST_POSTGRES",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--max-seconds", type=float, default=600)
    args = parser.parse_args()

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(args.postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}".encode())
    try:
        with (FeedServerProcess(args.hosts, args.feeds_per_host, args.items, max_seconds=args.max_seconds) as served,
              tempfile.TemporaryDirectory() as tmp):
            urls = served.urls
            rules = Path(tmp) / "rules"
            rules.mkdir()
            (rules / "never.yaml").write_text(RULE, encoding="utf-8")
            config = Config(storage_url="sqlite:///unused.db", rules_path=rules, base_dir=Path(tmp),
                            poll=PollConfig(concurrency=args.concurrency, timeout=30),
                            feeds=tuple(FeedConfig(url=u) for u in urls))
            stores: dict[str, Store] = {
                "sqlite": SqliteStore(Path(tmp) / "w.db"),
                "postgresql": PostgresStore(f"{args.postgres}?options={quote(f'-csearch_path={schema}')}"),
            }
            walls: dict[str, list[float]] = {name: [] for name in stores}
            cold: dict[str, float] = {}
            checks: list[str] = []
            for name, store in stores.items():
                cold[name], statuses = asyncio.run(cycle(config, store))
                if statuses != {200: len(urls)}:
                    checks.append(f"{name} cold statuses {statuses}")
            for _ in range(args.rounds):
                for name, store in stores.items():
                    wall, statuses = asyncio.run(cycle(config, store))
                    walls[name].append(wall)
                    if statuses != {304: len(urls)}:
                        checks.append(f"{name} warm statuses {statuses}")
            for store in stores.values():
                store.close()
    finally:
        with psycopg.connect(args.postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())

    n = len(urls)
    print(f"{n} feeds ({args.items} items each) on {args.hosts} loopback hosts; poll.concurrency "
          f"{args.concurrency}; {args.rounds} warm rounds, stores alternating; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    median = {name: statistics.median(w) for name, w in walls.items()}
    for name in stores:
        print(f"  {name:10} cold {cold[name]:6.2f} s ({n / cold[name]:5.0f} polls/s)   warm median "
              f"{median[name]:6.2f} s ({n / median[name]:5.0f} polls/s)   warm rounds "
              + " ".join(f"{w:.2f}" for w in walls[name]))
    ratio = median["postgresql"] / median["sqlite"]
    print(f"  PostgreSQL / SQLite, warm: {ratio:.2f} (goal <= 1.25: {'met' if ratio <= 1.25 else 'MISSED'}); "
          f"cold: {cold['postgresql'] / cold['sqlite']:.2f}")
    for line in checks:
        print(f"  CHECK FAILED: {line}")
    return 1 if checks else 0


if __name__ == "__main__":
    sys.exit(main())
