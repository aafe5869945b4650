"""Web editor preview benchmark: a watchlist's preview over the last 5,000 stored items, beside a full
rematch (every stored item against every watchlist, as `watchbot rules backtest` does) in the same run.

Stores the captured real feeds (../shared/corpus/feeds, read in place; WATCHBOT_CORPUS points elsewhere)
plus the Chinese seed feed in a fresh SQLite store, then times ``WatchlistEditor.preview`` (what the
web's Preview button and the editor call: read the last 5,000 items and their earlier matches, match,
explain, compare) for each shipped watchlist, and ``backtest`` over all stored items.
Goal (issue 15): a preview answers in < 300 ms.

    python bench/web_preview.py [--rounds 5]
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
sys.path[0] = str(ROOT)  # the repo root instead of bench/ (bench/telegram.py would shadow telegram)

from bot.app.backtest import backtest  # noqa: E402
from bot.app.watchlists import RECENT, WatchlistEditor  # noqa: E402
from bot.errors import ParseError  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.items.normalize import normalize  # noqa: E402
from bot.store.sqlite import SqliteStore  # noqa: E402
from bot.watch import Matcher, RuleBook  # noqa: E402

CORPUS = Path(os.environ.get("WATCHBOT_CORPUS", ROOT.parent.parent / "shared" / "corpus" / "feeds"))
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpus/feeds")
NOW = datetime(2026, 3, 27, tzinfo=UTC)


def fill(store: SqliteStore, rules: RuleBook) -> int:
    """Every corpus item stored (and matched, as the pipeline would); the number stored."""
    files = sorted(p for p in CORPUS.iterdir() if p.is_file()) + [ROOT / "seeds" / "rfi-feedx.xml"]
    total = 0
    for n, path in enumerate(files):
        url = f"https://corpus.invalid/{path.name}"
        try:
            parsed = parse_feed(path.read_bytes(), url=url)
        except ParseError:
            continue
        items = [normalize(e, feed_url=url, feed_title=parsed.title) for e in parsed.entries]
        with store.transaction():
            new = store.items.add(items, feed_name=parsed.title, now=NOW.replace(second=n % 60, minute=n // 60))
            for item in new:
                matches = rules.matcher.match({"title": item.title, "lede": item.lede})
                if matches:
                    store.items.record_matches(item.identity, matches, now=NOW)
        total += len(new)
    return total


async def timed(rounds: int, editor: WatchlistEditor, store: SqliteStore, rules: RuleBook) -> None:
    files = [f.name for f in editor.files()]
    previews: dict[str, list[float]] = {name: [] for name in files}
    cpu: dict[str, list[float]] = {name: [] for name in files}
    rematch: list[float] = []
    rematch_cpu: list[float] = []
    counts: dict[str, int] = {}
    one_by_one: dict[str, list[float]] = {name: [] for name in files}
    for _ in range(rounds):
        for name in files:
            text = editor.text(name)
            began, began_cpu = time.perf_counter(), time.process_time()
            preview = await editor.preview(name, text)
            previews[name].append(time.perf_counter() - began)
            cpu[name].append(time.process_time() - began_cpu)
            counts[name] = preview.count
            began = time.perf_counter()
            assert await item_by_item(editor, store, name, text) == preview.count
            one_by_one[name].append(time.perf_counter() - began)
        began, began_cpu = time.perf_counter(), time.process_time()
        report = await store.run(backtest, store, rules.matcher, datetime(2000, 1, 1, tzinfo=UTC))
        rematch.append(time.perf_counter() - began)
        rematch_cpu.append(time.process_time() - began_cpu)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall time grows with it; CPU time less)")
    print(f"full rematch ({report.total} items x {len(rules.watchlists)} watchlists, backtest): "
          f"median {statistics.median(rematch) * 1000:.0f} ms, CPU {statistics.median(rematch_cpu) * 1000:.0f} ms")
    worst = 0.0
    for name, times in previews.items():
        median = statistics.median(times)
        worst = max(worst, median)
        reference = statistics.median(one_by_one[name])
        print(f"preview {name:<22} last {RECENT} items: median {median * 1000:.0f} ms "
              f"(max {max(times) * 1000:.0f} ms), CPU {statistics.median(cpu[name]) * 1000:.0f} ms, "
              f"{counts[name]} match; item by item {reference * 1000:.0f} ms ({reference / median:.1f}x)")
    print(f"slowest preview median {worst * 1000:.0f} ms = {worst / statistics.median(rematch):.2f}x the full "
          f"rematch; goal < 300 ms: {'met' if worst < 0.3 else 'NOT met'}")


async def item_by_item(editor: WatchlistEditor, store: SqliteStore, name: str, text: str) -> int:
    """The reference: the same check and store reads, then every item matched on its own (the preview
    before bot/watch/batch.py); how many match."""
    w = editor.check(name, text).watchlist
    assert w is not None
    recent = await store.run(store.items.recent, RECENT)
    await store.run(store.items.matched_by, w.id, [i for i, _, _ in recent])

    def match_each() -> int:
        matcher = Matcher([w])
        return sum(1 for _, title, lede in recent if matcher.match({"title": title, "lede": lede}))

    return await asyncio.to_thread(match_each)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: set WATCHBOT_CORPUS", file=sys.stderr)
        return 1
    rules = RuleBook(ROOT / "rules")
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.db")
        try:
            stored = fill(store, rules)
            print(f"stored {stored} items from {CORPUS}")
            editor = WatchlistEditor(rules, store, clock=lambda: NOW)
            asyncio.run(timed(args.rounds, editor, store, rules))
        finally:
            store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
