"""`watchbot match` through the CLI, beside the engine in-process, on a realistic mix, in the same run.

Writes the items of bench/match.py (10,000 of about 300 characters, 35% Chinese; `--labeled-share` of
them a story from the labeled set, the rest real corpus items: mostly off-topic) as JSON Lines, then runs
`python -m bot match --input FILE --rules rules/` on one item (start-up: imports, rules, tables) and on
all of them, and reports items/s after start-up. In-process references, same items, same run: the
Matcher item by item, and bot/watch/batch.py's match_many. The CLI runs once with its default workers (one
process per CPU for 4,000 items and more) and once with --workers 1.
Target (issue 17): 20,000 items/s through the CLI.

    python bench/cli_match.py [--items 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import bot.watch.typos as typos  # noqa: E402
from bench.match import CORPUS, build_items, load_pool  # noqa: E402
from bot.watch import Matcher, load_rules  # noqa: E402
from bot.watch.batch import match_many  # noqa: E402


def cli_seconds(path: Path, *extra: str) -> tuple[float, int]:
    """Wall seconds of one `watchbot match` over ``path``, and the output lines."""
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot", "match", "--input", str(path), "--rules", str(ROOT / "rules"),
                           *extra], cwd=ROOT, capture_output=True, check=True)
    return time.perf_counter() - began, done.stdout.count(b"\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--labeled-share", type=float, default=0.3, help="share of stories from the labeled set")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if not (CORPUS / "feeds").is_dir():
        sys.exit(f"corpus not found at {CORPUS}")
    items = build_items(args.items, load_pool(), 0.35, args.labeled_share, "corpus")
    rules = load_rules(ROOT / "rules").watchlists
    one_by_one, together, startup, whole, cold, single = [], [], [], [], [], []
    for _ in range(args.repeat):  # a first pass, as the CLI's: the typo caches start empty
        typos._memos.clear()
        began = time.perf_counter()
        fresh = Matcher(rules)
        for it in items:
            fresh.match(it)
        cold.append(time.perf_counter() - began)
    matcher = Matcher(rules)
    with tempfile.TemporaryDirectory() as tmp:
        one, many = Path(tmp) / "one.jsonl", Path(tmp) / "many.jsonl"
        lines = [json.dumps({"id": n, **it}, ensure_ascii=False) for n, it in enumerate(items)]
        one.write_text(lines[0] + "\n", encoding="utf-8")
        many.write_text("\n".join(lines) + "\n", encoding="utf-8")
        for _ in range(args.repeat):
            began = time.perf_counter()
            expected = [matcher.match(it) for it in items]
            one_by_one.append(time.perf_counter() - began)
            began = time.perf_counter()
            assert match_many(matcher, items) == expected
            together.append(time.perf_counter() - began)
            startup.append(cli_seconds(one)[0])
            seconds, out = cli_seconds(many)
            assert out == len(items)
            whole.append(seconds)
            single.append(cli_seconds(many, "--workers", "1")[0])
    n = len(items)
    start, total = statistics.median(startup), statistics.median(whole)
    matched = sum(1 for ms in expected if ms)
    print(f"{n:,} items, {matched:,} matching a shipped watchlist; load average {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} cores; medians of {args.repeat}")
    print(f"in-process, first pass:        {n / statistics.median(cold):9,.0f} items/s (a new Matcher, empty caches)")
    print(f"in-process, item by item:      {n / statistics.median(one_by_one):9,.0f} items/s (warm)")
    print(f"in-process, match_many:        {n / statistics.median(together):9,.0f} items/s")
    print(f"CLI start-up (one item):       {start:9.2f} s")
    one_process = statistics.median(single)
    print(f"CLI, {n:,} items, --workers 1: {one_process:9.2f} s = {n / one_process:,.0f} items/s with start-up, "
          f"{n / max(one_process - start, 1e-9):,.0f} items/s after it")
    print(f"CLI, {n:,} items (default):   {total:9.2f} s = {n / total:,.0f} items/s with start-up, "
          f"{n / max(total - start, 1e-9):,.0f} items/s after it (target 20,000; {os.cpu_count()} worker processes)")


if __name__ == "__main__":
    main()
