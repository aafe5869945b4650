"""bench/spread.py --kill: alerts through several `watchbot run` on one PostgreSQL store, and a kill -9 of the leader.

Real parts on loopback: the feed server (tests/doubles/feedserver.py, in this process, logging every
request), the Bot API double (tests/doubles/botapi.py) and --processes `watchbot run` (default 2) on a
fresh PostgreSQL schema, polling --feeds feeds every --interval seconds. --chats chats subscribe to the
shipped `semiconductors` watchlist with /subscribe once every feed was polled once. Then two rounds:

    1. no kill: --new feeds each get a new chip story (a key K00001... in its title); every chat is owed
       one alert per story: expected vs delivered (the double's accepted messages), lost, duplicated.
    2. kill -9: --new other feeds each get one; once a fifth of the round's alerts arrived and a poll
       cycle is under way (20 requests in the last second, waited for up to an interval), the leader
       (the process whose /healthz says "leader", the one that sends) is killed with SIGKILL. A follower
       takes over; lost must be 0 and duplicated at most telegram.concurrency (the sends in flight).
       The feeds claimed when it died (the dead process's polls in flight among them) must be polled
       again within one interval: the time from the kill to each one's next request (the server's log).

Stories are one per item (stories.window "0"): the round's titles are alike and would join otherwise.
With --outlets N (N > 1) each new story is carried by N feeds instead, all with the same title (words of its
own, none shared with another story but "TSMC" and its key), stories on (window 72 h): the processes poll
the copies at about the same time, and each chat is still owed one alert per story (a story two processes
founded twice would show as duplicated alerts).
Runs on fewer feeds than the throughput run (2,000 by default): the point is delivery, not speed.

    python bench/spread.py --kill [--feeds 2000] [--processes 2] [--chats 30] [--new 20] [--interval 60]
                                  [--outlets 1]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import math
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]

import psycopg  # noqa: E402

from bench.soak import health  # noqa: E402  (GET /healthz, 503 included)
from bench.spread import POSTGRES, pg_schema  # noqa: E402
from bot.times import utcnow  # noqa: E402
from tests.app.service.proc import free_port  # noqa: E402
from tests.doubles.botapi import BotApiDouble  # noqa: E402
from tests.doubles.feedserver import FeedServer, expand_hosts, rss  # noqa: E402

KEY = re.compile(r"\bK(\d{5})\b")
FIRST_CHAT = 800_001
CONCURRENCY = 4  # telegram.concurrency, written into the configs


def body(n: int, keys: list[int], outlets: int = 1) -> bytes:
    old = [(f"Feed {n} story {i}: municipal budget", f"https://example.org/{n}/{i}") for i in range(5)]
    new = [(story_title(k) if outlets > 1 else f"TSMC chip plant order K{k:05d} for feed {n}",
            f"https://example.org/{n}/k{k}") for k in keys]
    return rss(new + old, title=f"Feed {n}")


def story_title(k: int) -> str:
    """Story k's title, the same in every feed that carries it: TSMC, five made-up words of its own, its key."""
    rng = random.Random(k)
    words = ["".join(rng.choice("bdfgklmnprstvz") + rng.choice("aeiou") for _ in range(3)) for _ in range(5)]
    return f"TSMC {' '.join(words)} K{k:05d}"


def wait(condition: Callable[[], bool], what: str, timeout: float) -> float:
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit(f"spread --kill: {what}: not within {timeout:.0f} s")


def delivered(api: BotApiDouble, keys: set[int]) -> tuple[int, int]:
    """(distinct (chat, key) alerts of ``keys`` delivered, extra copies of them)."""
    seen: collections.Counter[tuple[int, int]] = collections.Counter()
    for m in api.sent_messages():
        for k in set(KEY.findall(m.text)):  # the title may be in the lede too
            if int(k) in keys:
                seen[(int(m.chat_id), int(k))] += 1
    return len(seen), sum(n - 1 for n in seen.values())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--chats", type=int, default=30)
    parser.add_argument("--new", type=int, default=20, help="feeds with a new story per round")
    parser.add_argument("--interval", type=float, default=60.0, help="poll interval, s")
    parser.add_argument("--outlets", type=int, default=1, help="feeds carrying each new story (stories on if > 1)")
    parser.add_argument("--postgres", default=POSTGRES)
    args = parser.parse_args(argv)
    chats = [FIRST_CHAT + i for i in range(args.chats)]
    hosts = expand_hosts(f"127.0.0.2-127.0.0.{1 + args.hosts}")
    with tempfile.TemporaryDirectory() as tmp, FeedServer(hosts) as server, BotApiDouble() as api, \
            pg_schema(args.postgres) as url:
        base = Path(tmp)
        paths = [f"/feeds/{n}.xml" for n in range(args.feeds)]
        for n, path in enumerate(paths):
            server.feed(path, body(n, []), content_type="application/xml")
        urls = [server.url(p, hosts[n % len(hosts)]) for n, p in enumerate(paths)]
        shutil.copytree(ROOT / "rules", base / "rules")
        feeds = "".join(f'[[feeds]]\nurl = "{u}"\n' for u in urls)
        listens = []
        for i in range(args.processes):
            listens.append(f"127.0.0.1:{free_port()}")
            (base / f"p{i}.toml").write_text(
                f'[storage]\nurl = "{url}"\n[rules]\npath = "rules"\n'
                f'[poll]\ninterval = "{args.interval:g}s"\ntimeout = "10s"\n'
                f'[stories]\nwindow = "{"72h" if args.outlets > 1 else "0"}"\n'
                f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\nconcurrency = {CONCURRENCY}\n'
                f'[http]\nlisten = "{listens[i]}"\n' + feeds, encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
        procs = [subprocess.Popen([sys.executable, "-m", "bot", "run", "--config", str(base / f"p{i}.toml")],
                                  cwd=base, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=(base / f"p{i}.log").open("wb")) for i in range(args.processes)]
        try:
            return rounds(args, server, api, url, paths, chats, procs, listens)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            for p in procs:
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait(10)
            for i in range(args.processes):
                log = (base / f"p{i}.log").read_text(encoding="utf-8", errors="replace")
                if "Traceback" in log:
                    print(f"  process {i} logged {log.count('Traceback')} traceback(s); last lines:\n"
                          + "\n".join(log.splitlines()[-15:]))


class Run:
    """The parts of one run: feed server, Bot API double, store, processes and who leads."""

    def __init__(self, args: argparse.Namespace, server: FeedServer, api: BotApiDouble, url: str,
                 paths: list[str], chats: list[int], procs: list[subprocess.Popen[bytes]],
                 listens: list[str]) -> None:
        self.args, self.server, self.api, self.url = args, server, api, url
        self.paths, self.chats, self.procs, self.listens = paths, chats, procs, listens
        self.leader = -1

    def leading(self, among: list[int]) -> int | None:
        return next((i for i in among if health(self.listens[i]).get("role") == "leader"), None)

    def requests_since(self, at: float) -> int:
        return sum(1 for r in reversed(list(self.server.requests[-1000:])) if r.at > at)

    def first_request_after(self, path: str, at: float) -> float | None:
        return min((r.at for r in list(self.server.requests) if r.at > at and r.path == path), default=None)

    def round(self, number: int, kill: bool) -> bool:
        """New stories in --new feeds (the number-th group of them), delivered; kill -9 of the leader mid-send."""
        args, api = self.args, self.api
        keys = set(range(number * args.new + 1, (number + 1) * args.new + 1))
        for j, k in enumerate(sorted(keys)):
            for copy in range(args.outlets):
                n = (number * args.new + j) * args.outlets + copy
                self.server.update(self.paths[n], body(n, [k], args.outlets))
        owed = len(keys) * len(self.chats)
        t0 = time.monotonic()
        killed_at = None
        held: list[str] = []
        if kill:
            wait(lambda: delivered(api, keys)[0] >= owed // 5, "a fifth of the round's alerts", 300)
            with contextlib.suppress(SystemExit):  # and mid-cycle, so that it dies with polls in flight
                wait(lambda: self.requests_since(time.monotonic() - 1) >= 20, "a poll cycle", args.interval)
            self.procs[self.leader].send_signal(signal.SIGKILL)
            killed_at = time.monotonic()
            at_kill = delivered(api, keys)[0]
            self.procs[self.leader].wait(10)
            with psycopg.connect(self.url) as conn:  # claimed: due later than their interval and jitter allow
                held = [urlsplit(r[0]).path for r in conn.execute(
                    "SELECT url FROM feeds WHERE next_poll_at > %s AND next_poll_at > last_polled_at + %s",
                    (utcnow(), timedelta(seconds=args.interval * 1.1 + 1)))]
            others = [i for i in range(len(self.procs)) if i != self.leader]
            took = wait(lambda: self.leading(others) is not None, "a follower to take over", 60)
            self.leader = next(i for i in others if health(self.listens[i]).get("role") == "leader")
            print(f"  kill -9 of the leader {killed_at - t0:.0f} s into the round, {at_kill} of "
                  f"{owed} alerts delivered; process {self.leader} leads {took:.0f} s later", flush=True)
        try:
            wait(lambda: delivered(api, keys)[0] >= owed, "every alert of the round delivered", 600)
        except SystemExit as e:
            print(f"  {e}")
        time.sleep(5)  # late duplicates
        got, dup = delivered(api, keys)
        limit = CONCURRENCY if kill else 0
        ok = got == owed and dup <= limit
        carried = f" (each in {args.outlets} feeds)" if args.outlets > 1 else ""
        print(f"  round {'with a kill -9' if kill else 'without kills'}: {len(keys)} new stories{carried} x {len(self.chats)} "
              f"chats = {owed} alerts expected, {got} delivered in {time.monotonic() - t0:.0f} s, lost {owed - got}, "
              f"duplicated {dup} (goal 0 lost, <= {limit} duplicated: {'met' if ok else 'MISSED'})", flush=True)
        if killed_at is not None:
            since = killed_at
            with contextlib.suppress(SystemExit):
                wait(lambda: all(self.first_request_after(h, since) is not None for h in held),
                     "the claimed feeds polled again", args.interval * 3)
            again = [self.first_request_after(h, since) for h in held]
            late = max((a - since if a is not None else math.inf for a in again), default=0.0)
            fine = late <= args.interval
            ok &= fine
            print(f"  feeds claimed when the leader died: {len(held)}; polled again at most {late:.0f} s after "
                  f"the kill (goal within one interval, {args.interval:.0f} s: {'met' if fine else 'MISSED'})",
                  flush=True)
        return ok


def rounds(args: argparse.Namespace, server: FeedServer, api: BotApiDouble, url: str, paths: list[str],
           chats: list[int], procs: list[subprocess.Popen[bytes]], listens: list[str]) -> int:
    began = time.monotonic()
    run = Run(args, server, api, url, paths, chats, procs, listens)
    s = wait(lambda: len({r.path for r in server.requests}) >= len(paths), "the first poll of every feed", 600)
    print(f"{len(paths)} feeds, {len(procs)} processes, {len(chats)} chats; first poll of every feed in {s:.0f} s "
          f"(load {os.getloadavg()[0]:.1f})", flush=True)
    run.leader = run.leading(list(range(len(procs)))) or 0
    for chat in chats:
        api.user_sends(chat, chat, "/subscribe semiconductors")
    wait(lambda: all(api.sent_messages(c) for c in chats), "every /subscribe answered", 120)
    ok = run.round(0, kill=False) & run.round(1, kill=True)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}; {time.monotonic() - began:.0f} s in all")
    return 0 if ok else 1
