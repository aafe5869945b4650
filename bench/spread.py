"""Several `watchbot run` on one PostgreSQL store: aggregate polls/s of a mostly-304 cycle with 1, 2, 3 processes.

A separate process (tests/doubles/feedserver.py) serves --feeds-per-host feeds on each of --hosts
loopback addresses. For each process count, in a fresh schema: the processes poll every feed once
(cold, 200), are stopped, every feed is made due again through the store's API, and they are
started again for the warm cycle (304: validators go back). A cycle's length is read from the
store: the first to the last ``last_polled_at`` of the cycle (whole seconds), so start-up time
does not count. Also checks that no feed was polled twice in the warm cycle (the server's log).

A baseline first: one `watchbot run` on SQLite through the same two cycles.

Goals (issue 16): one process on PostgreSQL within 25% of one on SQLite; 2 and 3 processes no slower
in aggregate than 1 (on 2 cores they cannot be much faster: the poller is CPU-bound there).

    python bench/spread.py [--hosts 50] [--feeds-per-host 100] [--processes 1 2 3]
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: its telegram.py would shadow python-telegram-bot

import psycopg  # noqa: E402

from bot.app.build import open_store_url  # noqa: E402
from tests.doubles.feedserver import FeedServerProcess  # noqa: E402

RULE = "id: never\nname: Never\nany:\n  - zqxjkv-never-matches\n"


def cycle(url: str, config: Path, n: int, feeds: int, limit: float) -> tuple[float, int]:
    """Start n processes, wait until every feed was polled in this cycle, stop them; (seconds, polls)."""
    store = open_store_url(url, base_dir=config.parent)
    before = {f.url: f.last_polled_at for f in store.feeds.all()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=config.parent,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for _ in range(n)]
    deadline = time.monotonic() + limit
    try:
        while time.monotonic() < deadline:
            now = {f.url: f.last_polled_at for f in store.feeds.all()}
            fresh = [t for u, t in now.items() if t is not None and t != before.get(u)]
            if len(fresh) >= feeds:
                return (max(fresh) - min(fresh)).total_seconds() + 1, len(fresh)
            time.sleep(0.5)
        raise SystemExit(f"{n} process(es) did not poll every feed within {limit:.0f} s")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(30)
        store.close()


def make_due(url: str, base_dir: Path) -> None:
    store = open_store_url(url, base_dir=base_dir)
    for f in store.feeds.all():
        assert f.last_polled_at is not None
        store.feeds.record_fetch(f.url, now=f.last_polled_at, status=f.last_status, etag=None, last_modified=None,
                                 title=None, next_poll_at=f.last_polled_at - timedelta(hours=1))
    store.close()


def settings(urls: list[str]) -> str:
    return ('[rules]\npath = "rules"\n[poll]\ninterval = "6h"\ntimeout = "30s"\n'
            + "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=50)
    parser.add_argument("--feeds-per-host", type=int, default=100)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--postgres", default=os.environ.get("WATCHBOT_TEST_POSTGRES",
                                                             "postgresql://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--max-seconds", type=float, default=1800)
    args = parser.parse_args()

    results: dict[int, tuple[float, float]] = {}
    with FeedServerProcess(args.hosts, args.feeds_per_host, args.items, max_seconds=args.max_seconds) as served:
        urls = served.urls
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "rules").mkdir()
            (Path(tmp) / "rules" / "never.yaml").write_text(RULE, encoding="utf-8")
            config = Path(tmp) / "sqlite.toml"
            config.write_text(f'[storage]\nurl = "sqlite:///{tmp}/w.db"\n' + settings(urls), encoding="utf-8")
            cold, _ = cycle(f"sqlite:///{tmp}/w.db", config, 1, len(urls), args.max_seconds / 4)
            make_due(f"sqlite:///{tmp}/w.db", Path(tmp))
            warm, _ = cycle(f"sqlite:///{tmp}/w.db", config, 1, len(urls), args.max_seconds / 4)
            sqlite = (cold, warm)
            print(f"  SQLite, 1 process: cold {cold:5.0f} s ({len(urls) / cold:5.0f} polls/s)  "
                  f"warm {warm:5.0f} s ({len(urls) / warm:5.0f} polls/s)", flush=True)
            for n in args.processes:
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                with psycopg.connect(args.postgres, autocommit=True) as conn:
                    conn.execute(f"CREATE SCHEMA {schema}".encode())
                url = f"{args.postgres}?options={quote(f'-csearch_path={schema}')}"
                config = Path(tmp) / f"config{n}.toml"
                config.write_text(f'[storage]\nurl = "{url}"\n' + settings(urls), encoding="utf-8")
                try:
                    cold, _ = cycle(url, config, n, len(urls), args.max_seconds / 4)
                    make_due(url, Path(tmp))
                    warm, _ = cycle(url, config, n, len(urls), args.max_seconds / 4)
                    results[n] = (cold, warm)
                    print(f"  {n} process(es): cold {cold:5.0f} s ({len(urls) / cold:5.0f} polls/s)  "
                          f"warm {warm:5.0f} s ({len(urls) / warm:5.0f} polls/s)", flush=True)
                finally:
                    with psycopg.connect(args.postgres, autocommit=True) as conn:
                        conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())
    stats = served.stats
    n_feeds = len(urls)
    expected = 2 * n_feeds * (len(results) + 1)
    print(f"{n_feeds} feeds on {args.hosts} loopback hosts; load average {os.getloadavg()[0]:.1f} on "
          f"{os.cpu_count()} CPUs; server answered {stats.get('requests')} requests (one per feed per cycle: "
          f"{expected}{', none twice' if stats.get('requests') == expected else ', SOME FEEDS POLLED TWICE'})")
    one = results.get(1)
    if one:
        ratio = one[1] / sqlite[1]
        print(f"  1 process, PostgreSQL / SQLite warm cycle: {ratio:.2f} (goal <= 1.25: "
              f"{'met' if ratio <= 1.25 else 'MISSED'}); cold: {one[0] / sqlite[0]:.2f}")
    for n, (_, warm) in results.items():
        if one and n > 1:
            print(f"  {n} vs 1 process, warm aggregate: {one[1] / warm:.2f}x "
                  f"({'no slower' if warm <= one[1] * 1.1 else 'SLOWER'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
