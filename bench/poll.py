"""Poll benchmark: 2,000 small feeds from 50 loopback addresses, cold (200) and warm (304) cycles.

A separate process (tests/doubles/feedserver.py) serves 40 feeds on each of 127.0.0.2 ... 127.0.0.51,
so the per-host limit applies as it does against real sites. This process polls them through
HttpFetcher (concurrency 32, per_host 2), the way the pipeline does:

- cold:  every feed answers 200; each body is parsed (parse_feed + normalize) in a worker thread;
- fetch: every feed again without validators, bodies fetched but not parsed (the transport alone);
- warm:  the stored ETag / Last-Modified go back; every feed answers 304 and nothing is parsed.

Reports wall time per cycle, parse CPU time against the cold wall time, the poller's peak RSS and
the server's observed maximum of concurrent requests per host. Target (issue 3): warm under 5 s,
cold limited by parsing rather than waiting. Bounded: stops by itself within --max-seconds.

    python bench/poll.py [--hosts 50] [--feeds-per-host 40] [--items 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.errors import FeedError  # noqa: E402
from bot.feeds.fetch import Fetched, FetchRequest, HttpFetcher  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from tests.doubles.feedserver import FeedServerProcess  # noqa: E402

try:
    from bot.items.normalize import normalize
except ImportError:  # before the items stage exists: parse only
    normalize = None  # type: ignore[assignment]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def parse_and_normalize(fetched: Fetched) -> tuple[int, float]:
    """Items read from one body, and the CPU seconds it took (this thread only)."""
    started = time.thread_time()
    parsed = parse_feed(fetched.body, url=fetched.url, headers=fetched.headers)
    count = len(parsed.entries)
    if normalize is not None:
        count = len([normalize(e, feed_url=fetched.url, feed_title=parsed.title) for e in parsed.entries])
    return count, time.thread_time() - started


async def cycle(fetcher: HttpFetcher, requests: list[FetchRequest], *, parse: bool) -> dict[str, object]:
    statuses: dict[int, int] = {}
    errors: list[str] = []
    items = 0
    parse_cpu = 0.0
    fetched_all: list[Fetched] = []

    async def one(request: FetchRequest) -> None:
        nonlocal items, parse_cpu
        try:
            fetched = await fetcher.fetch(request)
        except FeedError as e:
            errors.append(str(e))
            return
        statuses[fetched.status] = statuses.get(fetched.status, 0) + 1
        fetched_all.append(fetched)
        if parse and not fetched.not_modified:
            count, cpu = await asyncio.to_thread(parse_and_normalize, fetched)
            items += count
            parse_cpu += cpu

    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.gather(*(one(r) for r in requests))
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return {"wall": wall, "cpu": cpu, "statuses": statuses, "errors": errors, "items": items,
            "parse_cpu": parse_cpu, "fetched": fetched_all}


async def run(urls: list[str], args: argparse.Namespace) -> dict[str, dict[str, object]]:
    async with HttpFetcher(timeout=20, concurrency=args.concurrency, per_host=args.per_host) as fetcher:
        cold = await cycle(fetcher, [FetchRequest(u) for u in urls], parse=True)
        by_url = {f.url: f for f in cold["fetched"]}  # type: ignore[attr-defined]
        fetch_only = await cycle(fetcher, [FetchRequest(u) for u in urls], parse=False)
        warm = await cycle(fetcher, [FetchRequest(u, by_url[u].etag, by_url[u].last_modified)
                                     for u in urls], parse=False)
    return {"cold": cold, "fetch-only": fetch_only, "warm": warm}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--feeds-per-host", type=int, default=40)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--per-host", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.0, help="server delay before each answer (s)")
    parser.add_argument("--max-seconds", type=float, default=240)
    args = parser.parse_args()

    with FeedServerProcess(args.hosts, args.feeds_per_host, args.items,
                           latency=args.latency, max_seconds=args.max_seconds) as served:
        urls = served.urls
        rss_before = rss_mb()
        results = asyncio.run(asyncio.wait_for(run(urls, args), args.max_seconds))
    stats = served.stats

    n = len(urls)
    print(f"{n} feeds ({args.items} items each) on {args.hosts} loopback hosts, server latency "
          f"{args.latency * 1000:g} ms; concurrency {args.concurrency}, per_host {args.per_host}; "
          f"{'parse_feed + normalize' if normalize else 'parse_feed'} in a worker thread; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name, r in results.items():
        line = (f"  {name:10} wall {r['wall']:6.2f} s  poller CPU {r['cpu']:6.2f} s  "
                f"{n / r['wall']:6.0f} feeds/s  statuses {r['statuses']}")
        if r["errors"]:
            line += f"  errors {len(r['errors'])} (first: {r['errors'][0]})"  # type: ignore[index]
        print(line)
    cold, fetch_only, warm = results["cold"], results["fetch-only"], results["warm"]
    parse_cpu = float(cold["parse_cpu"])  # type: ignore[arg-type]
    cold_wall, fetch_wall = float(cold["wall"]), float(fetch_only["wall"])  # type: ignore[arg-type]
    cold_cpu = float(cold["cpu"])  # type: ignore[arg-type]
    print(f"  cold: {cold['items']} items; parse CPU {parse_cpu:.2f} s = {parse_cpu / cold_wall:.0%} of the cold "
          f"wall time; cold - fetch-only = {cold_wall - fetch_wall:.2f} s; the poller was busy "
          f"{cold_cpu / cold_wall:.0%} of the cold cycle (CPU-bound when near 100% or the machine is loaded)")
    print(f"  peak RSS of the poller: {rss_mb():.0f} MB (after imports, before polling: {rss_before:.0f} MB)")
    per_host = stats.get("max_concurrent", {})
    print(f"  server: {stats.get('requests')} requests, CPU {stats.get('cpu_seconds', 0):.2f} s; "
          f"most concurrent per host "
          f"{max(per_host.values(), default=0)} (limit {args.per_host})")
    ok = (warm["statuses"] == {304: n} and cold["statuses"] == {200: n}
          and max(per_host.values(), default=0) <= args.per_host)
    print(f"  warm target (< 5 s): {'met' if float(warm['wall']) < 5 else 'MISSED'}"  # type: ignore[arg-type]
          f"; all checks {'passed' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
