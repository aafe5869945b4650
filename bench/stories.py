"""Stories benchmark: what clustering costs in a poll, and rensa against datasketch for the LSH.

Run from the repo root: python bench/stories.py [--rounds 3] [--skip-libraries] [--sweep]

1. Cost in a poll. Every feed of ../shared/corpus/feeds is parsed and normalized (parse_feed +
   normalize, as the pipeline's parse_items does) and matched with the shipped watchlists; then
   all items are clustered with StoryIndex in arrival order (first seen = published time, items
   without a date at the newest time). Stories off does nothing more; stories on is the clustering.
   Reported: CPU seconds of each stage (best of --rounds, alternated), and the ratio
   clustering / (parse + normalize + match) (issue 13's goal: a poll at most 15% slower). A second
   clustering run puts every item at one instant (a first poll: the whole corpus in the window).
   Then whole `watchbot poll`s of the same files run in child processes (fresh store, console alerts), with
   stories on and off (``stories.window = "0"``), interleaved: the poll's cost of stories (in a poll only items
   that match a watchlist join stories), and the clustering of every item set against the poll's CPU time.
2. Memory. RSS of a child process before and after holding N items in one window, per item, and
   what that means for 1M stored items (only the window's items are held); and the busy-topic rule's words of
   every corpus item seen in one window (``StoryIndex.observe``), traced with tracemalloc.
3. Libraries. On the same shingle sets (num_perm 128, 64 bands of 2 rows): time to MinHash and
   insert + query all corpus items, the RSS it adds (child processes), and pair precision/recall
   on tests/data/stories with each library behind StoryIndex; "exact" compares every item in the
   window (no LSH) as the reference for what LSH misses.
4. --sweep: pair precision/recall on tests/data/stories over threshold x slope (same script) and
   cross_threshold (English/Chinese), the measurements behind Settings' defaults.
CPU figures are only comparable within one run; the ratios are what to look at.

Measured on the 2-core shared machine (best of 3): clustering 6,565 items in arrival order 0.43 s =
20.6% of parse+normalize+match (2.09 s), +10-13% of a whole `watchbot poll` (3.6-4.2 s CPU); all at
one instant (a first poll) 0.73 s, +17-19%. 6.5 KB of RSS an item held (5 KB of it rensa's LSH).
rensa 0.086 s / +33 MB against datasketch 2.75 s / +146 MB for the same LSH work, identical
labeled-set scores (and identical to comparing every item: LSH lost no pair there).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.errors import ParseError  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.items.normalize import Item, normalize  # noqa: E402
from bot.stories import Settings, StoryIndex, story_text  # noqa: E402
from bot.stories.index import SEED  # noqa: E402
from bot.stories.similarity import profile  # noqa: E402
from bot.watch import Matcher, load_rules  # noqa: E402
from bot.watch.text import prepare  # noqa: E402
from tests.stories.labeled import CORPUS, load, score  # noqa: E402


def parse_all(bodies: list[tuple[str, bytes]]) -> list[Item]:
    items = []
    for name, body in bodies:
        try:
            parsed = parse_feed(body, url=name)
        except ParseError:
            continue
        items.extend(normalize(e, feed_url=name, feed_title=parsed.title) for e in parsed.entries)
    return items


def arrivals(items: list[Item], *, one_instant: bool) -> list[tuple[Item, datetime]]:
    """New items as the store passes them on: one per identity (the same URL in two feeds is one item)."""
    unique = list({i.identity: i for i in reversed(items)}.values())
    newest = max((i.published for i in unique if i.published), default=datetime(2026, 1, 1, tzinfo=UTC))
    timed = [(i, newest if one_instant or i.published is None else i.published) for i in unique]
    return sorted(timed, key=lambda p: p[1])


def cluster(timed: list[tuple[Item, datetime]], index: StoryIndex) -> int:
    joined = 0
    for item, at in timed:
        placed = index.add(item.identity, item.feed_url, story_text(item.title, item.lede), at, item.language,
                           item.published)
        joined += placed.joined is not None
    return joined


def cpu(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.process_time()
    result = fn()
    return time.process_time() - start, result


# --- LSH back ends with one interface: insert(key, minhash), query(minhash), remove(key) ---


class DatasketchIndex(StoryIndex):
    """StoryIndex with datasketch's MinHash and MinHashLSH in place of rensa's."""

    def __init__(self, settings: Settings | None = None) -> None:
        from datasketch import MinHashLSH

        super().__init__(settings)
        s = self.settings
        self._lsh = MinHashLSH(num_perm=s.num_perm, params=(s.bands, s.num_perm // s.bands))

    def _minhash(self, prof):  # type: ignore[no-untyped-def]
        from datasketch import MinHash

        m = MinHash(num_perm=self.settings.num_perm, seed=SEED)
        m.update_batch([s.encode() for s in prof.shingles])
        return m


class _Everything:
    """No LSH: every item in the window is a candidate (the exact reference)."""

    def __init__(self) -> None:
        self.keys: set[int] = set()

    def insert(self, key: int, _minhash: object) -> None:
        self.keys.add(key)

    def query(self, _minhash: object) -> list[int]:
        return list(self.keys)

    def remove(self, key: int) -> None:
        self.keys.discard(key)


class ExactIndex(StoryIndex):
    def __init__(self, settings: Settings | None = None) -> None:
        super().__init__(settings)
        self._lsh = _Everything()  # type: ignore[assignment]


INDEXES: dict[str, type[StoryIndex]] = {"rensa": StoryIndex, "datasketch": DatasketchIndex, "exact": ExactIndex}


def labeled_scores(kind: str, settings: Settings | None = None,
                   seen: Sequence[tuple[str, str, datetime]] = ()) -> dict[str, str]:
    """Pair scores of the labeled set placed in arrival order, with ``seen`` items (key, story text, news time)
    shown to the index as the pipeline shows it every new item (``observe``), interleaved by time."""
    reports = load()
    index = INDEXES[kind](settings)
    events = sorted([(r.time, 1, n) for n, r in enumerate(reports)] + [(at, 0, n) for n, (_, _, at) in enumerate(seen)])
    stories = {}
    for _, placed, n in events:
        if placed:
            r = reports[n]
            stories[r.id] = index.add(r.id, r.feed, story_text(r.title, r.lede), r.time, r.script).story_id
        else:
            _, text, at = seen[n]
            index.observe(text, at)
    return {k: str(v) for k, v in score(reports, lambda r: stories[r.id]).items()}


def corpus_seen() -> list[tuple[str, str, datetime]]:
    """The corpus items that are not labeled reports, with a publication time: what the labeled days' polls saw."""
    labeled = {(r.feed, r.title) for r in load()}
    items = parse_all([(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir())])
    return [(i.identity, story_text(i.title, i.lede), i.published) for i in items
            if i.published is not None and (i.feed_title, i.title) not in labeled]


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def child(kind: str) -> dict[str, float]:
    """In a fresh process: LSH cost of all corpus items (library), or StoryIndex memory (kind "index")."""
    prepare()
    items = parse_all([(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir())])
    profiles = [profile(story_text(i.title, i.lede), i.language) for i in items]
    shingles = [list(p.shingles) for p in profiles]
    s = Settings()
    if kind == "background":  # every new item's words, matched or not, all in one window: traced, not RSS
        import tracemalloc

        texts = [story_text(i.title, i.lede) for i in items]
        at = datetime(2026, 2, 15, tzinfo=UTC)
        index = StoryIndex()
        tracemalloc.start()
        for n, text in enumerate(texts):
            index.observe(text, at + timedelta(seconds=n * 40 % (71 * 3600)))
        traced = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        start = time.process_time()  # (timed in a second pass: tracing slows the first down)
        index = StoryIndex()
        for n, text in enumerate(texts):
            index.observe(text, at + timedelta(seconds=n * 40 % (71 * 3600)))
        seconds = time.process_time() - start
        return {"seconds": seconds, "items": len(texts), "rss_kb": traced / 1024}
    before = rss_kb()
    start = time.process_time()
    if kind == "index":
        index = StoryIndex()
        now = datetime(2026, 2, 18, tzinfo=UTC)
        for n, i in enumerate(items):
            index.add(f"{n}:{i.identity}", i.feed_url, story_text(i.title, i.lede), now, i.language)
        held = len(index)
    elif kind == "rensa":
        from rensa import RMinHash, RMinHashLSH

        lsh = RMinHashLSH(threshold=s.threshold, num_perm=s.num_perm, num_bands=s.bands)
        for n, sh in enumerate(shingles):
            m = RMinHash(num_perm=s.num_perm, seed=SEED)
            m.update(sh)
            lsh.query(m)
            lsh.insert(n, m)
        held = n + 1
    else:
        from datasketch import MinHash, MinHashLSH

        dlsh = MinHashLSH(num_perm=s.num_perm, params=(s.bands, s.num_perm // s.bands))
        for n, sh in enumerate(shingles):
            dm = MinHash(num_perm=s.num_perm, seed=SEED)
            dm.update_batch([x.encode() for x in sh])
            dlsh.query(dm)
            dlsh.insert(n, dm)
        held = n + 1
    seconds = time.process_time() - start
    return {"seconds": seconds, "items": held, "rss_kb": rss_kb() - before}


def run_child(kind: str) -> dict[str, float]:
    out = subprocess.run([sys.executable, __file__, "--child", kind], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def whole_poll(paths: list[Path], *, stories: bool) -> float | None:
    """CPU seconds of one `watchbot poll` over the corpus files (a fresh store, shipped rules, console alerts), in a
    child process, with stories on (the default window) or off (``stories.window = "0"``)."""
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config.toml"
        feeds = "".join(f'[[feeds]]\nurl = "{p}"\nname = "{p.name}"\n' for p in paths)
        window = "" if stories else '[stories]\nwindow = "0"\n'
        config.write_text(f'[storage]\nurl = "sqlite:///{tmp}/w.db"\n[rules]\npath = "{ROOT / "rules"}"\n{window}{feeds}')
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([sys.executable, "-m", "bot", "poll", "--config", str(config)], cwd=ROOT,
                              capture_output=True, text=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            print(f"watchbot poll failed: {done.stderr.strip()[-300:]}", file=sys.stderr)
            return None
        return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--skip-libraries", action="store_true")
    parser.add_argument("--sweep", action="store_true", help="only: labeled-set scores over threshold and slope")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not CORPUS.is_dir():
        print(f"corpus not found at {CORPUS}", file=sys.stderr)
        return 1
    if args.child:
        print(json.dumps(child(args.child)))
        return 0

    if args.sweep:
        prepare()
        seen = corpus_seen()
        for recent in (6, 12, 18):
            for slope in (0.0, 0.05, 0.1, 0.15):
                for threshold in (0.16, 0.18, 0.2, 0.22, 0.24, 0.26):
                    settings = replace(Settings(), threshold=threshold, slope=slope, recent=timedelta(hours=recent))
                    alone = labeled_scores("rensa", settings)["same"]
                    with_seen = labeled_scores("rensa", settings, seen)["same"]
                    print(f"threshold {threshold:.2f} slope {slope:.2f} recent {recent:2d} h: same-script {alone}; "
                          f"with the corpus seen {with_seen}")
        for cross in (0.15, 0.2, 0.25, 0.3, 0.4):
            scores = labeled_scores("rensa", replace(Settings(), cross_threshold=cross))
            print(f"cross_threshold {cross:.2f}: en-zh {scores['en-zh']}")
        return 0
    prepare()
    bodies = [(p.name, p.read_bytes()) for p in sorted(CORPUS.iterdir())]
    matcher = Matcher(load_rules(ROOT / "rules").watchlists)
    best: dict[str, float] = {}
    for _ in range(args.rounds):  # alternate the stages so machine noise hits them alike
        t_parse, items = cpu(lambda: parse_all(bodies))
        t_match, _ = cpu(lambda: [matcher.match({"title": i.title, "lede": i.lede}) for i in items])  # noqa: B023
        timed = arrivals(items, one_instant=False)
        t_on, joined = cpu(lambda: cluster(timed, StoryIndex()))  # noqa: B023
        burst = arrivals(items, one_instant=True)
        t_burst, joined_burst = cpu(lambda: cluster(burst, StoryIndex()))  # noqa: B023
        for key, value in (("parse", t_parse), ("match", t_match), ("stories", t_on), ("burst", t_burst)):
            best[key] = min(best.get(key, value), value)
    base = best["parse"] + best["match"]
    print(f"items: {len(items)} from {len(bodies)} feeds")
    print(f"parse+normalize {best['parse']:.3f} s, match {best['match']:.3f} s (CPU, best of {args.rounds})")
    print(f"stories off: +0.000 s; stories on, arrival order: +{best['stories']:.3f} s "
          f"= {100 * best['stories'] / base:.1f}% of parse+normalize+match ({joined} items joined a story)")
    print(f"stories on, all items at one instant: +{best['burst']:.3f} s "
          f"= {100 * best['burst'] / base:.1f}% ({joined_burst} joined)")
    polls: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(args.rounds):  # interleaved, best of --rounds
        for on in (False, True):
            seconds = whole_poll(sorted(CORPUS.iterdir()), stories=on)
            if seconds is not None:
                polls[on].append(seconds)
    if polls[True] and polls[False]:
        off, on = min(polls[False]), min(polls[True])
        print(f"a whole `watchbot poll` of the corpus (fresh store, shipped watchlists; only matched items join "
              f"stories): stories off {off:.2f} s CPU, on {on:.2f} s ({100 * (on / off - 1):+.1f}%, goal <= +15%); "
              f"clustering every item as well would add {100 * best['stories'] / off:.1f}% "
              f"(one instant: {100 * best['burst'] / off:.1f}%)")

    mem = run_child("index")
    per_item = mem["rss_kb"] * 1024 / mem["items"]
    print(f"memory: {mem['items']:.0f} items in one window add {mem['rss_kb'] / 1024:.1f} MB RSS "
          f"= {per_item / 1024:.1f} KB an item; held items are those of the window only "
          f"(1M stored items at 10k a day, window 72 h: 30k held, about {30_000 * per_item / 2**20:.0f} MB)")
    words = run_child("background")
    per_item = words["rss_kb"] * 1024 / words["items"]
    print(f"memory: the words of {words['items']:.0f} items seen in one window (the busy-topic rule's, matched or not) "
          f"take {words['rss_kb'] / 1024:.1f} MB (traced) = {per_item / 1024:.2f} KB an item, words included; "
          f"{1e6 * words['seconds'] / words['items']:.0f} us an item to keep them")

    if not args.skip_libraries:
        for kind in ("rensa", "datasketch"):
            r = run_child(kind)
            print(f"{kind}: MinHash + query + insert of {r['items']:.0f} items {r['seconds']:.3f} s CPU, "
                  f"+{r['rss_kb'] / 1024:.1f} MB RSS")
        for kind in ("rensa", "datasketch", "exact"):
            print(f"labeled set with {kind}: {labeled_scores(kind)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
