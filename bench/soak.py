"""Soak benchmark: `watchbot run` for minutes over the 200 corpus feeds, 50 Telegram chats, the Bot API double.

The real service (a subprocess) polls every feed of ../shared/corpus/feeds, served by the loopback
feed server from 20 addresses and read in place. Every ``--round`` seconds a tenth (``--turnover``)
of each feed's items get new links, GUIDs and title keys (bench/soak_feeds.py), so new items keep
arriving in the real multi-MB bodies. 50 chats subscribe through the Bot API double with /subscribe,
after the first poll of every feed stored the corpus as it was captured, to the shipped watchlists
and five broad soak watchlists (AI, security, world, dev, data) that give about 50 alerts a second.

Every ``--report`` seconds (30) it prints alerts expected (the outbox, from /healthz), delivered
(distinct alerts in the double's messages, traced by their title keys) and duplicated, and the
service's RSS (VmRSS of /proc/PID/status). After ``--minutes`` it stops changing the feeds, waits for
the outbox to drain, stops the service with SIGTERM and prints totals: lost, duplicated, RSS
min/max/final, and an independent expectation (each served body parsed and matched again here,
one alert per new item and following chat) as a cross-check of the outbox. Last line: JSON.

    python bench/soak.py                       # 10 minutes, the default service
    python bench/soak.py --minutes 1           # a quick run
    python bench/soak.py --arena 2             # with MALLOC_ARENA_MAX=2
    python bench/soak.py --threads 2           # parsing in 2 threads (bench/soak_service.py)
    python bench/soak.py --trim 10             # malloc_trim(0) every 10 s in the service
    python bench/soak.py --mallopt 2           # mallopt(M_ARENA_MAX, 2) inside the service at start
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# bench/telegram.py would shadow python-telegram-bot's `telegram` package for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bench.soak_feeds import KEY, Template, template  # noqa: E402
from tests.app.service.proc import free_port  # noqa: E402
from tests.doubles.botapi import BotApiDouble  # noqa: E402
from tests.doubles.botapi_faults import max_in_window  # noqa: E402
from tests.doubles.feedserver import FeedServer, _not_modified, expand_hosts  # noqa: E402

CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or ROOT.parent / "shared" / "corpus" / "feeds")
HOSTS = "127.0.0.2-127.0.0.21"
SOAK_RULES = {
    "soak-ai": ["AI", "artificial intelligence", "machine learning"],
    "soak-security": ["security", "vulnerability", "linux"],
    "soak-world": ["war", "china", "government", "election"],
    "soak-dev": ["python", "rust", "open source", "release"],
    "soak-data": ["data", "database"],
}
FIRST_CHAT = 700_001


def plan(chats: int) -> dict[int, list[str]]:
    """Who follows what: every chat semiconductors and one soak list, every other chat a second one."""
    lists = sorted(SOAK_RULES)
    return {FIRST_CHAT + i: ["semiconductors", lists[i % 5]] + ([lists[(i + 2) % 5]] if i % 2 == 0 else [])
            for i in range(chats)}


class CorpusServer(FeedServer):
    """The corpus as changing feeds; logs which round of which feed went out with a 200."""

    def __init__(self, templates: list[Template], turnover: int) -> None:
        super().__init__(expand_hosts(HOSTS))
        self.templates, self.turnover = templates, turnover
        self.rounds: dict[str, int] = {}
        self.served: list[tuple[float, str, int]] = []  # (monotonic time, path, round)

    def publish(self) -> list[str]:
        """Register every feed at round 0; their URLs."""
        urls = []
        for n, t in enumerate(self.templates):
            path = f"/feeds/{n}.xml"
            self.feed(path, t.render(0, self.turnover), content_type="application/xml")
            self.rounds[path] = 0
            urls.append(self.url(path, self.hosts[n % len(self.hosts)]))
        return urls

    def advance(self, rnd: int) -> None:
        """Switch every feed to round ``rnd``, in the server's own loop (no answer sees half a switch)."""
        bodies = {f"/feeds/{n}.xml": t.render(rnd, self.turnover) for n, t in enumerate(self.templates)}
        done = threading.Event()

        def switch() -> None:
            for path, body in bodies.items():
                if body != self.routes[path].body:
                    self.update(path, body)
                    self.rounds[path] = rnd
            done.set()

        assert self._loop is not None
        self._loop.call_soon_threadsafe(switch)
        done.wait(30)

    async def _respond(self, writer: Any, target: str, headers: dict[str, str]) -> bool:
        path = target.split("?", 1)[0]
        route = self.routes.get(path)
        if route is not None and path in self.rounds and not _not_modified(route, headers):
            self.served.append((time.monotonic(), path, self.rounds[path]))
        return await super()._respond(writer, target, headers)


def workdir(base: Path, urls: list[str], api: BotApiDouble, interval: float) -> tuple[Path, str]:
    rules = base / "rules"
    rules.mkdir()
    for shipped in (ROOT / "rules").glob("*.yaml"):
        shutil.copy(shipped, rules / shipped.name)
    for wl, terms in SOAK_RULES.items():
        (rules / f"{wl}.yaml").write_text(f"id: {wl}\nname: {wl}\nany: {json.dumps(terms)}\n", encoding="utf-8")
    listen = f"127.0.0.1:{free_port()}"
    lines = ['[rules]', 'path = "rules"', '[poll]', f'interval = "{interval}s"', 'timeout = "20s"']
    lines += [f'[[feeds]]\nurl = "{url}"\nname = "Corpus {n}"' for n, url in enumerate(urls)]
    lines += ["[telegram]", f'token = "{api.token}"', f'api_url = "{api.url}"', "[http]", f'listen = "{listen}"']
    config = base / "config.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config, listen


def start_service(config: Path, args: argparse.Namespace) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "bot", "run", "--config", str(config)]
    if args.threads or args.trim or args.mallopt:
        command = [sys.executable, str(ROOT / "bench" / "soak_service.py"), "--threads", str(args.threads),
                   "--trim", str(args.trim), "--arenas", str(args.mallopt), *command[3:]]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    if args.arena:
        env["MALLOC_ARENA_MAX"] = str(args.arena)
    log = (config.parent / "service.log").open("wb")
    return subprocess.Popen(command, cwd=config.parent, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)


def health(listen: str) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://{listen}/healthz", timeout=10) as r:
            return dict(json.loads(r.read()))
    except urllib.error.HTTPError as e:  # 503 still carries the details
        return dict(json.loads(e.read()))
    except (OSError, ValueError):
        return {}


def vm(pid: int, key: str) -> int:
    """A VmXXX value of /proc/PID/status, in kB (0 once the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def delivered(api: BotApiDouble) -> tuple[int, int, int]:
    """(distinct alerts, duplicated alerts, alerts without a key) in the messages the double accepted."""
    seen: collections.Counter[tuple[int, str]] = collections.Counter()
    untraced = 0
    for message in api.sent_messages():
        keys = KEY.findall(message.text)
        untraced += max(0, message.text.count("🔔") - len(keys))
        for k in keys:
            seen[(int(message.chat_id), ".".join(k))] += 1
    return len(seen), sum(n - 1 for n in seen.values()), untraced


def wait_until(condition: Any, what: str, timeout: float, proc: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            raise SystemExit(f"soak: the service exited ({proc.returncode}) before {what}; see its log")
        time.sleep(0.5)
    print(f"soak: {what}: not within {timeout:.0f} s, going on", flush=True)
    return False


def independent(server: CorpusServer, urls: list[str], rules: Path, chats: dict[int, list[str]]) -> int:
    """Alerts owed by an independent reading of what was served: every body that went out with a 200
    parsed and matched here; one alert per item first seen after round 0 and per chat that follows one
    of its watchlists."""
    from bot.feeds.parse import parse_feed
    from bot.items.normalize import normalize
    from bot.watch import Matcher, load_rules

    matcher = Matcher(load_rules(rules).watchlists)
    url_of = {f"/feeds/{n}.xml": url for n, url in enumerate(urls)}
    follows = [set(lists) for lists in chats.values()]
    seen: set[str] = set()
    owed = 0
    for _, path, rnd in sorted(dict.fromkeys(server.served)):
        n = int(path.split("/")[-1].split(".")[0])
        body = server.templates[n].render(rnd, server.turnover)
        try:
            parsed = parse_feed(body, url=url_of[path], headers={"content-type": "application/xml"})
            items = [normalize(e, feed_url=url_of[path]) for e in parsed.entries]
        except Exception:  # a feed the service also fails on owes nothing
            continue
        for item in items:
            if item.identity in seen:
                continue
            seen.add(item.identity)
            if rnd > 0:
                wls = {m.watchlist for m in matcher.match({"title": item.title, "lede": item.lede})}
                owed += sum(1 for f in follows if f & wls)
    return owed


def soak(args: argparse.Namespace) -> dict[str, Any]:
    files = sorted(args.corpus.iterdir())
    templates = [template(n, f.read_bytes()) for n, f in enumerate(files)]
    chats = plan(args.chats)
    samples: list[tuple[float, int]] = []  # (seconds since round 1, VmRSS kB)
    reports: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp, CorpusServer(templates, args.turnover) as server, \
            BotApiDouble() as api:
        urls = server.publish()
        config, listen = workdir(Path(tmp), urls, api, args.interval)
        proc = start_service(config, args)
        began = time.monotonic()
        try:
            print(f"soak: {len(urls)} feeds, {len(chats)} chats, service pid {proc.pid}"
                  f"{f', MALLOC_ARENA_MAX={args.arena}' if args.arena else ''}"
                  f"{f', {args.threads} parse threads' if args.threads else ''}"
                  f"{f', malloc_trim every {args.trim:g} s' if args.trim else ''}"
                  f"{f', mallopt(M_ARENA_MAX, {args.mallopt})' if args.mallopt else ''}", flush=True)
            # Two requests per feed: the first poll (round 0, the corpus as captured) is stored.
            wait_until(lambda: all(len(server.requests_for(f"/feeds/{n}.xml")) >= 2 for n in range(len(urls))),
                       "the first poll of every feed", 600, proc)
            print(f"soak: first poll of every feed stored after {time.monotonic() - began:.0f} s", flush=True)
            for chat, lists in chats.items():
                for wl in lists:
                    api.user_sends(chat, chat, f"/subscribe {wl}")
            wait_until(lambda: all(len(api.sent_messages(c)) >= len(ls) for c, ls in chats.items()),
                       "every /subscribe answered", 300, proc)
            start = time.monotonic()
            setup_s = start - began
            print(f"soak: {len(chats)} chats subscribed after {setup_s:.0f} s; feeds change every {args.round:.0f} s",
                  flush=True)
            end = start + args.minutes * 60
            rnd = 0
            next_round = next_report = start
            while time.monotonic() < end:
                now = time.monotonic()
                if now >= next_round:
                    rnd += 1
                    server.advance(rnd)
                    next_round += args.round
                samples.append((now - start, vm(proc.pid, "VmRSS")))
                if now >= next_report:
                    reports.append(report(now - start, rnd, listen, api, proc.pid))
                    next_report += args.report
                if proc.poll() is not None:
                    raise SystemExit(f"soak: the service exited ({proc.returncode}); see its log")
                time.sleep(max(0.0, min(5.0, next_round - time.monotonic(), next_report - time.monotonic(),
                                       end - time.monotonic())))
            # The last round still has to be polled; then the outbox drains.
            time.sleep(args.interval * 2 + 5)
            drain_started = time.monotonic()
            wait_until(lambda: _settled(health(listen)), "the outbox drained", args.drain, proc)
            drained_s = time.monotonic() - drain_started
            final = report(time.monotonic() - start, rnd, listen, api, proc.pid)
            reports.append(final)
            hwm = vm(proc.pid, "VmHWM")
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        log = (config.parent / "service.log").read_text(encoding="utf-8", errors="replace")
        if args.keep_log:
            args.keep_log.write_text(log, encoding="utf-8")
        owed = independent(server, urls, config.parent / "rules", chats) if not args.no_check else None
        stats = api.stats()
        alerts = [m for m in api.sent_messages() if KEY.search(m.text)]
        by_chat: dict[int, list[float]] = collections.defaultdict(list)
        for m in sorted(alerts, key=lambda m: m.at):
            by_chat[int(m.chat_id)].append(m.at)
    rss = [kb for _, kb in samples if kb]
    expected = final["expected"]
    return {
        "minutes": args.minutes, "arena": args.arena, "threads": args.threads, "trim_s": args.trim, "mallopt_arenas": args.mallopt, "feeds": len(urls),
        "chats": len(chats), "rounds": rnd, "interval_s": args.interval, "round_s": args.round,
        "expected": expected, "expected_independent": owed, "delivered": final["delivered"],
        "lost": expected - final["delivered"], "duplicated": final["duplicated"], "untraced": final["untraced"],
        "outbox": final["outbox"], "messages": len(alerts),
        "max_messages_per_s": max_in_window(m.at for m in alerts),
        "max_per_chat_s": max((max_in_window(ts) for ts in by_chat.values()), default=0),
        "min_gap_in_a_chat_s": round(min((b - a for ts in by_chat.values() for a, b in itertools.pairwise(ts)),
                                         default=0.0), 3),
        "max_per_chat_s_with_replies": stats.max_per_chat_second, "setup_s": round(setup_s, 1),
        "drain_s": round(drained_s, 1),
        "exit_code": code, "tracebacks": log.count("Traceback"), "poll_ms_200": poll_ms(log),
        "rss_mb": {"min": _mb(min(rss)), "max": _mb(max(rss)), "final": _mb(rss[-1]),
                   "median": _mb(int(statistics.median(rss))), "hwm": _mb(hwm)},
        "rss_every_report_mb": [[round(r["t"]), r["rss_mb"]] for r in reports],
    }


def report(t: float, rnd: int, listen: str, api: BotApiDouble, pid: int) -> dict[str, Any]:
    h = health(listen)
    outbox = {k: v for k, v in sorted((h.get("outbox") or {}).items())}
    distinct, dup, untraced = delivered(api)
    line = {"t": round(t), "round": rnd, "polls": h.get("polls"), "expected": sum(outbox.values()),
            "delivered": distinct, "duplicated": dup, "untraced": untraced, "outbox": outbox,
            "rss_mb": _mb(vm(pid, "VmRSS"))}
    print(f"[{t:5.0f} s] round {rnd:3d} | polls {h.get('polls')} | alerts expected {line['expected']} "
          f"delivered {distinct} duplicated {dup} | outbox {outbox} | RSS {line['rss_mb']} MB", flush=True)
    return line


def poll_ms(log: str) -> dict[str, float]:
    """p50 / p95 / max of the service's own timing of polls that fetched a body (fetch, parse, store, match)."""
    ms = sorted(float(m) for m in re.findall(r"status=200 ms=(\d+)", log))
    if not ms:
        return {}
    return {"p50": ms[len(ms) // 2], "p95": ms[int(len(ms) * 0.95)], "max": ms[-1], "polls": len(ms)}


def _settled(h: dict[str, Any]) -> bool:
    outbox = h.get("outbox") or {}
    return bool(h) and not outbox.get("pending") and not outbox.get("sending")


def _mb(kb: int) -> float:
    return round(kb / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the feeds keep changing (default 10)")
    parser.add_argument("--interval", type=float, default=5.0, help="the service's poll interval, s (default 5)")
    parser.add_argument("--round", type=float, default=30.0, help="seconds between feed changes (default 30)")
    parser.add_argument("--turnover", type=int, default=10, help="1/N of each feed's items change per round")
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--report", type=float, default=30.0, help="seconds between report lines (default 30)")
    parser.add_argument("--drain", type=float, default=300.0, help="most seconds to wait for the outbox at the end")
    parser.add_argument("--arena", type=int, default=0, help="run the service with MALLOC_ARENA_MAX=N")
    parser.add_argument("--threads", type=int, default=0, help="parse in N threads (bench/soak_service.py)")
    parser.add_argument("--mallopt", type=int, default=0, help="mallopt(M_ARENA_MAX, N) inside the service at start")
    parser.add_argument("--trim", type=float, default=0.0, help="malloc_trim(0) every S seconds in the service")
    parser.add_argument("--corpus", type=Path, default=CORPUS, help=f"the captured feeds (default {CORPUS})")
    parser.add_argument("--keep-log", type=Path, default=None, help="copy the service's log to this file")
    parser.add_argument("--no-check", action="store_true", help="skip the independent re-parse at the end")
    args = parser.parse_args()
    if not args.corpus.is_dir():
        print(f"soak: no corpus at {args.corpus}: give its folder with --corpus", file=sys.stderr)
        return 1
    result = soak(args)
    r = result
    print(f"totals: expected {r['expected']} (independent: {r['expected_independent']}), delivered "
          f"{r['delivered']}, lost {r['lost']}, duplicated {r['duplicated']}, untraced {r['untraced']}; "
          f"{r['messages']} messages; RSS MB min {r['rss_mb']['min']} max {r['rss_mb']['max']} "
          f"final {r['rss_mb']['final']} (peak {r['rss_mb']['hwm']}); exit {r['exit_code']}", flush=True)
    print(json.dumps({"soak": result}), flush=True)
    return 0 if r["lost"] == 0 and r["duplicated"] == 0 and r["exit_code"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
