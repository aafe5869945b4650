"""Several `watchbot run` on one store: aggregate polls/s of a mostly-304 cycle with 1, 2, 3 processes.

A separate process (tests/doubles/feedserver.py) serves --feeds small feeds on --hosts loopback
addresses and logs every request. For each configuration (one `watchbot run` on SQLite, then 1, 2, 3
on PostgreSQL, each in a fresh store) the store is seeded in bulk with every feed as polled before,
its validators known and due now (the cold cycle of 200s is not measured: at 100,000 feeds it takes
longer than the rest); the processes are started, every feed is polled once (304), they are stopped.
A cycle's length is read from the store: the first to the last ``last_polled_at`` of the cycle (whole
seconds), so start-up time does not count. Per configuration: cycle time, aggregate polls/s, CPU
seconds of the watchbot processes (rusage, start-up included) and of the PostgreSQL server (all its
processes, other users' included), and from the feed server's log: feeds polled twice or never.

Goals (issue 16): one process on PostgreSQL within 25% of one on SQLite; 2 and 3 processes no slower
in aggregate than 1 (on 2 cores they cannot be much faster: the poller is CPU-bound there); no feed
polled twice within its interval (6 h here: once per cycle).

    python bench/spread.py [--feeds 3000] [--hosts 50] [--processes 1 2 3] [--no-sqlite]
    python bench/spread.py --feeds 100000 --hosts 100
    python bench/spread.py --kill [--feeds 2000]      # alerts and a kill -9 of the leader (bench/spread_kill.py)
"""

from __future__ import annotations

import argparse
import collections
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path[0] = str(ROOT)  # not bench/: its telegram.py would shadow python-telegram-bot

import psycopg  # noqa: E402

from bot.app.build import open_store_url  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.store.sqlite._db import iso  # noqa: E402
from bot.times import utcnow  # noqa: E402
from tests.doubles.feedserver import FeedServerProcess, _etag, small_feed  # noqa: E402

RULE = "id: never\nname: Never\nany:\n  - zqxjkv-never-matches\n"
POSTGRES = os.environ.get("WATCHBOT_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def settings(urls: list[str]) -> str:
    return ('[rules]\npath = "rules"\n[poll]\ninterval = "6h"\ntimeout = "30s"\n'
            + "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls))


@contextmanager
def pg_schema(postgres: str) -> Iterator[str]:
    """A fresh schema on the server; its URL."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(postgres, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}".encode())
    try:
        yield f"{postgres}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with psycopg.connect(postgres, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())


class Seeded:
    """The store at ``url`` with every feed of ``config`` polled once before (200, validators as the feed
    server sends them) and due now; counts the feeds polled since."""

    def __init__(self, url: str, config: Path, items: int) -> None:
        self.url = url
        store = open_store_url(url, base_dir=config.parent)  # migrated
        urls = [f.url for f in load_config(config).feeds]
        store.feeds.sync([(f.url, f.name) for f in load_config(config).feeds])
        store.close()
        etags = [_etag(small_feed(int(urlsplit(u).path.split("/")[-1].split(".")[0]), items)) for u in urls]
        self.before = utcnow() - timedelta(hours=1)
        if url.startswith("sqlite:"):
            self.path = "/" + url.removeprefix("sqlite://").lstrip("/")
            with sqlite3.connect(self.path) as conn:
                conn.executemany("UPDATE feeds SET etag = ?, last_status = 200, last_polled_at = ?, "
                                 "last_success_at = ?, next_poll_at = ? WHERE url = ?",
                                 [(e, iso(self.before), iso(self.before), iso(self.before), u)
                                  for u, e in zip(urls, etags, strict=True)])
        else:
            with psycopg.connect(url) as conn:
                conn.execute("UPDATE feeds f SET etag = v.etag, last_status = 200, last_polled_at = %s, "
                             "last_success_at = %s, next_poll_at = %s "
                             "FROM unnest(%s::text[], %s::text[]) AS v(url, etag) WHERE f.url = v.url",
                             (self.before, self.before, self.before, urls, etags))
                conn.execute("ANALYZE feeds")

    def polled(self) -> tuple[int, float]:
        """(feeds polled since seeding, seconds from the first such poll to the last, whole seconds + 1)."""
        query = ("SELECT count(*), min(last_polled_at), max(last_polled_at) FROM feeds WHERE last_polled_at > {}")
        if self.url.startswith("sqlite:"):
            with sqlite3.connect(f"file:{self.path}?mode=ro", uri=True) as conn:
                n, first, last = conn.execute(query.format("?"), (iso(self.before),)).fetchone()
            if n:
                from datetime import datetime
                first, last = datetime.fromisoformat(first), datetime.fromisoformat(last)
        else:
            with psycopg.connect(self.url) as conn:
                row = conn.execute(query.format("%s").encode(), (self.before,)).fetchone()
                assert row is not None
                n, first, last = row
        return n, ((last - first).total_seconds() + 1 if n else 0.0)


def postgres_cpu() -> float:
    """CPU seconds used so far by every process named postgres (the server; others' queries included)."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)
            if fields[0].endswith("(postgres"):  # a backend's CPU goes to the server's cutime when it ends
                rest = fields[1].split()
                total += sum(int(x) for x in rest[11:15])
        except (OSError, IndexError, ValueError):
            continue
    return total / os.sysconf("SC_CLK_TCK")


def cycle(seeded: Seeded, config: Path, n: int, feeds: int, limit: float) -> dict[str, float]:
    """Start n processes, wait until every feed was polled in this cycle, stop them."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    pg_before = postgres_cpu()
    began = time.monotonic()
    procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(config)], cwd=config.parent,
                              env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=(config.parent / f"{config.stem}.{i}.log").open("wb")) for i in range(n)]
    cpu = 0.0
    try:
        while time.monotonic() < began + limit:
            polled, seconds = seeded.polled()
            if polled >= feeds:
                break
            if any(p.poll() is not None for p in procs):
                raise SystemExit(f"a `watchbot run` exited early; see {config.parent}/{config.stem}.*.log")
            time.sleep(2)
        else:
            raise SystemExit(f"{n} process(es) did not poll every feed within {limit:.0f} s ({polled} polled)")
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            _, status, usage = os.wait4(p.pid, 0)
            p.returncode = os.waitstatus_to_exitcode(status)
            cpu += usage.ru_utime + usage.ru_stime
    return {"seconds": seconds, "polls": polled, "cpu": cpu, "pg_cpu": postgres_cpu() - pg_before,
            "began": began, "ended": time.monotonic()}


def twice(log: Path, windows: dict[str, tuple[float, float]], paths: set[str]) -> dict[str, tuple[int, int]]:
    """Per configuration: (feeds requested more than once, feeds never requested) in its window."""
    counts: dict[str, collections.Counter[str]] = {name: collections.Counter() for name in windows}
    with log.open(encoding="utf-8") as lines:
        for line in lines:
            at, path = line.split(" ", 1)
            for name, (start, end) in windows.items():
                if start <= float(at) <= end:
                    counts[name][path.strip()] += 1
    return {name: (sum(1 for k in c.values() if k > 1), len(paths - set(c))) for name, c in counts.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=3000)
    parser.add_argument("--hosts", type=int, default=50, help="loopback addresses the feeds are spread over")
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-sqlite", action="store_true", help="skip the SQLite baseline")
    parser.add_argument("--postgres", default=POSTGRES)
    parser.add_argument("--max-seconds", type=float, default=3600, help="most seconds for the whole run")
    parser.add_argument("--kill", action="store_true", help="the alert and kill -9 run (bench/spread_kill.py)")
    args, rest = parser.parse_known_args()
    if args.kill:
        from bench.spread_kill import main as kill_main
        return kill_main(sys.argv[1:])
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    per_host = -(-args.feeds // args.hosts)
    configs = ([] if args.no_sqlite else [("SQLite", 1)]) + [("PostgreSQL", n) for n in args.processes]
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.log"
        with FeedServerProcess(args.hosts, per_host, args.items, max_seconds=args.max_seconds, log=log) as served:
            urls = served.urls[: args.feeds]
            (Path(tmp) / "rules").mkdir()
            (Path(tmp) / "rules" / "never.yaml").write_text(RULE, encoding="utf-8")
            print(f"{len(urls)} feeds on {args.hosts} loopback hosts, {os.cpu_count()} CPUs", flush=True)
            for kind, n in configs:
                name = f"{kind}, {n} process{'es' if n > 1 else ''}"
                with (pg_schema(args.postgres) if kind == "PostgreSQL" else _sqlite(Path(tmp))) as url:
                    config = Path(tmp) / f"{kind.lower()}{n}.toml"
                    config.write_text(f'[storage]\nurl = "{url}"\n' + settings(urls), encoding="utf-8")
                    seeded = Seeded(url, config, args.items)
                    r = cycle(seeded, config, n, len(urls), args.max_seconds / len(configs))
                results[name] = r
                print(f"  {name:24s} cycle {r['seconds']:5.0f} s  {len(urls) / r['seconds']:5.0f} polls/s  "
                      f"CPU watchbot {r['cpu']:5.0f} s, PostgreSQL {r['pg_cpu']:4.0f} s  "
                      f"load {os.getloadavg()[0]:.1f}", flush=True)
        stats = served.stats
        paths = {urlsplit(u).path for u in urls}
        checked = twice(log, {name: (r["began"], r["ended"]) for name, r in results.items()}, paths)
    print(f"feed server: {stats.get('requests')} requests, CPU {float(str(stats.get('cpu_seconds', 0))):.0f} s; "
          f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for name, (double, never) in checked.items():
        print(f"  {name:24s} feeds polled twice in the cycle: {double}, never: {never}"
              f"{'' if double == never == 0 else '  <- MISSED'}")
    sqlite, one = results.get("SQLite, 1 process"), results.get("PostgreSQL, 1 process")
    if sqlite and one:
        ratio = one["seconds"] / sqlite["seconds"]
        print(f"  1 process, PostgreSQL / SQLite cycle: {ratio:.2f} (goal <= 1.25: "
              f"{'met' if ratio <= 1.25 else 'MISSED'})")
    for name, r in results.items():
        if one and name.startswith("PostgreSQL") and r is not one:
            print(f"  {name} vs 1, aggregate polls/s: {one['seconds'] / r['seconds']:.2f}x "
                  f"({'no slower' if r['seconds'] <= one['seconds'] * 1.1 else 'SLOWER'})")
    return 0


@contextmanager
def _sqlite(tmp: Path) -> Iterator[str]:
    yield f"sqlite:///{tmp}/w{uuid.uuid4().hex[:6]}.db"


if __name__ == "__main__":
    sys.exit(main())
