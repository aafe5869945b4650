"""Ingest benchmark: parse + normalize over every file of ../shared/corpus/feeds.

Compares watchbot's parse_feed + normalize with plain `feedparser.parse(bytes)` (its defaults) over
the same files in the same run; every body is parsed afresh (no caching). Reports entries/s, MB/s
and the ratio. Target (issue 2): at least 3x the plain-feedparser reference, every file handled.

    python bench/ingest.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import feedparser  # noqa: E402

from bot.errors import ParseError  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.items.normalize import normalize  # noqa: E402

CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or ROOT.parent / "shared" / "corpus" / "feeds")


def reference(bodies: list[tuple[str, bytes]]) -> int:
    return sum(len(feedparser.parse(body).entries) for _, body in bodies)


def watchbot(bodies: list[tuple[str, bytes]]) -> tuple[int, int]:
    entries = errors = 0
    for name, body in bodies:
        try:
            parsed = parse_feed(body, url=f"https://corpus.invalid/{name}")
        except ParseError:
            errors += 1
            continue
        for entry in parsed.entries:
            normalize(entry, feed_url=name, feed_title=parsed.title)
        entries += len(parsed.entries)
    return entries, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of each (default 3)")
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}: set WATCHBOT_CORPUS to the folder of captured feeds", file=sys.stderr)
        return 1
    bodies = [(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir())]
    megabytes = sum(len(b) for _, b in bodies) / 1e6
    ref_times, our_times = [], []
    for _ in range(args.rounds):  # alternate so machine noise hits both alike
        t = time.perf_counter()
        ref_entries = reference(bodies)
        ref_times.append(time.perf_counter() - t)
        t = time.perf_counter()
        our_entries, errors = watchbot(bodies)
        our_times.append(time.perf_counter() - t)
    ref, ours = statistics.median(ref_times), statistics.median(our_times)
    print(f"corpus: {len(bodies)} files, {megabytes:.1f} MB; median of {args.rounds} rounds")
    print(f"{'':28} {'seconds':>8} {'entries/s':>10} {'MB/s':>7}")
    print(f"{'feedparser.parse (defaults)':28} {ref:8.2f} {ref_entries / ref:10.0f} {megabytes / ref:7.1f}")
    print(f"{'watchbot parse + normalize':28} {ours:8.2f} {our_entries / ours:10.0f} {megabytes / ours:7.1f}")
    print(f"speed-up: {ref / ours:.1f}x (target >= 3x); files handled: {len(bodies) - errors} parsed, "
          f"{errors} clean feed errors, 0 exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
