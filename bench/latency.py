"""Service benchmark: alert latency of `watchbot run`, and its peak memory over many feeds.

1. Latency. The real service (a subprocess) polls one loopback feed every ``--interval`` seconds;
   ``--items`` stories are published on it one every ``--every`` seconds (+-0.5 s of jitter, so the
   publish times fall all over the poll cycle). For each story: the time
   from publishing to its alert, p50 / p95 / max. Target (issue 7): p95 <= interval + 1 s.
   With ``--channel telegram`` one chat subscribes with /subscribe through the Bot API double and
   the alert time is when the double received the sendMessage; with ``--channel console`` (the
   fallback when the Telegram part is absent) it is when the alert's line reached stdout.
2. Memory. A store holding ``--stored`` items, ``--feeds`` feeds served by a separate feed-server
   process from 50 loopback addresses, polled for ``--cycles`` full cycles: the service's peak RSS
   (VmHWM). Target: under 200 MB. With Telegram, one chat follows the watchlist every served item
   matches, so the first cycle also fills the outbox with 20,000 alerts the paced sender works through.

    python bench/latency.py                       # both, about 3 minutes
    python bench/latency.py --skip-memory --items 10
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/telegram.py would shadow python-telegram-bot's `telegram` package for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))

from bot.items.normalize import Item  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from tests.app.service.proc import ServiceProcess, free_port  # noqa: E402
from tests.doubles.feedserver import FeedServer, FeedServerProcess, rss  # noqa: E402

RULE = "id: chips\nname: Chips\nany:\n  - chip\n"


def telegram_available() -> bool:
    try:
        import bot.deliver.telegram.app  # noqa: F401

        import tests.doubles.botapi  # noqa: F401
    except ImportError:
        return False
    return True


def workdir(base: Path, feeds: list[str], *, interval: float, extra: str = "") -> Path:
    (base / "rules").mkdir(exist_ok=True)
    (base / "rules" / "chips.yaml").write_text(RULE, encoding="utf-8")
    lines = ['[rules]', 'path = "rules"', '[poll]', f'interval = "{interval}s"', 'timeout = "10s"']
    lines += [f'[[feeds]]\nurl = "{url}"' for url in feeds]
    lines += ["[http]", f'listen = "127.0.0.1:{free_port()}"']
    config = base / "config.toml"
    config.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return config


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def latency(args: argparse.Namespace) -> dict[str, object]:
    channel = args.channel
    if channel == "auto":
        channel = "telegram" if telegram_available() else "console"
    with tempfile.TemporaryDirectory() as tmp, FeedServer() as server:
        url = server.feed("/live.xml", rss([], title="Live"))
        published: dict[str, float] = {}
        api = None
        extra = ""
        if channel == "telegram":
            from tests.doubles.botapi import BotApiDouble

            api = BotApiDouble().start()
            extra = f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\n'
        config = workdir(Path(tmp), [url], interval=args.interval, extra=extra)
        with ServiceProcess(config) as svc:
            svc.wait_for(lambda: "poll " in svc.stderr_text(), "the first poll", timeout=30)
            if api is not None:
                api.user_sends(1001, 1001, "/subscribe chips")
                api.wait_for_messages_sync(1, timeout=30, chat_id=1001)
            items: list[tuple[str, str]] = []
            rng = random.Random(7)
            for i in range(args.items):
                title = f"Chip story number {i:03d}"
                items.append((title, f"https://news.example/story/{i}"))
                published[title] = time.monotonic()
                server.update("/live.xml", rss(items[-20:], title="Live"))
                # On average one every `every` s, jittered so publish times cover the whole poll cycle:
                # exactly 3 s against a 2 s poll clock would only ever sample two phases of it.
                time.sleep(args.every + rng.uniform(-0.5, 0.5))
            arrived = _arrivals(svc, api, list(published), timeout=args.interval * 5 + 30)
            svc.terminate()
        polls = [r.at for r in server.requests_for("/live.xml")]
        if api is not None:
            api.stop()
    lat = [arrived[t] - published[t] for t in published if t in arrived]
    return {"channel": channel, "interval_s": args.interval, "items": args.items, "delivered": len(lat),
            "p50_s": round(statistics.median(lat), 2), "p95_s": round(percentile(lat, 95), 2),
            "max_s": round(max(lat), 2), "target_p95_s": args.interval + 1,
            "mean_poll_gap_s": round(statistics.mean(b - a for a, b in zip(polls, polls[1:], strict=False)), 2)}


def _arrivals(svc: ServiceProcess, api: object, titles: list[str], timeout: float) -> dict[str, float]:
    """When each title's alert arrived (first time), waiting until all did or ``timeout`` passed."""
    deadline = time.monotonic() + timeout
    found: dict[str, float] = {}
    while time.monotonic() < deadline and len(found) < len(titles):
        if api is not None:
            for sent in api.sent_messages():  # type: ignore[attr-defined]
                for t in titles:
                    if t in sent.text and t not in found:
                        found[t] = sent.at
        else:
            for at, line in list(svc.stdout):
                for t in titles:
                    if line.startswith("[") and t in line and t not in found:
                        found[t] = at
        time.sleep(0.2)
    return found


def fill_store(db: Path, feeds: list[str], total: int, *, chat: int | None = None) -> None:
    """``total`` stored items spread over ``feeds``, with their sightings, as months of polling leave them;
    ``chat`` subscribed to the watchlist when given."""
    store = SqliteStore(db)
    store.feeds.sync((u, "") for u in feeds)
    now = datetime.now(UTC) - timedelta(days=30)
    if chat is not None:
        chats = store.chats
        chats.ensure(chat, type="private", title="bench", now=now)
        chats.subscribe(chat, "chips", "instant", now=now)
    per_feed = max(1, total // len(feeds))
    for n, url in enumerate(feeds):
        items = [Item(identity=f"bench:{n}:{i}", url=f"https://old.example/{n}/{i}",
                      link=f"https://old.example/{n}/{i}", guid=None, title=f"Old story {i} of feed {n}",
                      lede="An older story that is stored but no longer in the feed. " * 3, language="en",
                      published=now, feed_url=url) for i in range(per_feed)]
        store.items.add(items, feed_name=f"Feed {n}", now=now)
    store.close()


def memory(args: argparse.Namespace) -> dict[str, object]:
    hosts = 50
    with FeedServerProcess(hosts, args.feeds // hosts, max_seconds=600) as served:
        urls = served.urls
        channel = args.channel if args.channel != "auto" else ("telegram" if telegram_available() else "console")
        with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
            extra = ""
            if channel == "telegram":
                from tests.doubles.botapi import BotApiDouble

                api = stack.enter_context(BotApiDouble())
                extra = f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\n'
            config = workdir(Path(tmp), urls, interval=args.memory_interval, extra=extra)
            started = time.perf_counter()
            fill_store(Path(tmp) / "data" / "watchbot.db", urls, args.stored,
                       chat=1001 if channel == "telegram" else None)
            filled = time.perf_counter() - started
            listen = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("listen"))
            wanted = len(urls) * args.cycles
            with ServiceProcess(config) as svc:
                started = time.perf_counter()
                svc.wait_for(lambda: _polls(listen) >= wanted, f"{wanted} polls", timeout=120 * args.cycles)
                took = time.perf_counter() - started
                peak = _vm(svc.pid, "VmHWM")
                svc.terminate()
    return {"channel": channel, "feeds": len(urls), "stored_items": args.stored, "cycles": args.cycles,
            "fill_store_s": round(filled, 1), "polls_s": round(took, 1), "peak_rss_mb": round(peak / 1024, 1),
            "target_mb": 200}


def _polls(listen: str) -> int:
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{listen}/healthz", timeout=5) as r:
            return int(json.loads(r.read())["polls"])
    except OSError:
        return 0
    except Exception:
        return 0


def _vm(pid: int, key: str) -> int:
    """A VmXXX value of /proc/PID/status in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channel", choices=("auto", "telegram", "console"), default="auto")
    parser.add_argument("--interval", type=float, default=2.0, help="poll interval in seconds (default 2)")
    parser.add_argument("--items", type=int, default=50, help="stories to publish (default 50)")
    parser.add_argument("--every", type=float, default=3.0, help="seconds between stories (default 3)")
    parser.add_argument("--feeds", type=int, default=2000, help="feeds for the memory run (default 2000)")
    parser.add_argument("--stored", type=int, default=100_000, help="stored items for the memory run")
    parser.add_argument("--cycles", type=int, default=2, help="full poll cycles in the memory run")
    parser.add_argument("--memory-interval", type=float, default=15.0, help="poll interval of the memory run")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    if not args.skip_latency:
        print(json.dumps({"latency": latency(args)}), flush=True)
    if not args.skip_memory:
        print(json.dumps({"memory": memory(args)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
