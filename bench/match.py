"""Matching throughput: the watchlist engine against a naive fuzzy loop and a regex alternation.

Run from the repo root: python bench/match.py [--items 10000] [--naive-sample 40] [--against REV]

10,000 items of about 300 characters are built from the labeled set and the captured corpus
(../shared/corpus), English and Chinese mixed: each is one story (30% from the labeled set,
70% from the corpus) padded with further corpus text of its language. A stress set of labeled
stories padded with labeled ledes (so that nearly every item matches) is timed as well. Measured on one core (CPU time of this process):
  (a) the shipped watchlists;
  (b) one synthetic watchlist of 1,000 terms (about 700 Latin, half with 6+ letters, 300 CJK)
      drawn from the items' own vocabulary, so that terms really hit;
  (c) 10,000 chats with 10 phrases each (``--chats``), each chat's phrases one synthetic
      list ``chat:<id>`` compiled with the shipped lists into one Matcher (bot.app.phrases),
      against (a) in the same run, passes interleaved: ``find`` (matching as the pipeline does it, a
      chat's own phrases one entry per phrase found) and ``match`` (plus one Match per alerted chat,
      built by the pipeline when it records and routes an item); and the start-up: a fresh process reading
      every chat's phrases from a SQLite store and building the combined Matcher (Phrases.load, rebuild).
      The phrases are the items' own words and word pairs (``--phrases words``, the default) or names
      (``--phrases names``: capitalised words and runs of them, as people watch companies, people and places);
      CJK bigrams either way;
and, on the same items and terms, the naive loop (rapidfuzz.fuzz.partial_ratio of every term
over every text, timed on a sample and extrapolated) and one compiled regex alternation.
Warm figures are the best of --repeat passes (CPU time; other load only slows a pass down).
Figures are only comparable within one run; the ratios are what to look at.

Before and after: ``--against REV`` (default: where this branch left main) loads the engine and shipped rules of
commit REV beside today's (bench/old_engine.py, a copy under bench/out/, its compiled loops built too) and times both
on the same items, passes interleaved, on two mixes: the default one and a realistic one of corpus stories only (real
feed items, nearly all off-topic), and the stress set. The ratio today/before is the figure to keep at or above 0.9.
``--only-chats --against REV`` does the same for case (c): REV's Matcher with every chat's phrases beside today's,
each against its own shipped lists alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from itertools import accumulate
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rapidfuzz import fuzz  # noqa: E402

from bench.old_engine import old_matcher  # noqa: E402
from bot.feeds.parse import parse_feed  # noqa: E402
from bot.items.normalize import normalize  # noqa: E402
from bot.watch import Matcher, Term, Watchlist, load_rules  # noqa: E402

# WATCHBOT_CORPUS names the folder of captured feed files, as everywhere: its parent holds zh/ beside feeds/
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or ROOT.parent / "shared" / "corpus" / "feeds").parent
LABELED = ROOT / "tests" / "data" / "labeled"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z]+")

Item = dict[str, str]


Pool = dict[str, list[tuple[str, str]]]  # "en"/"zh" + "-labeled"/"-corpus" -> (title, lede) pairs


def load_pool() -> Pool:
    """(title, lede) pairs from the labeled set and the corpus, by language and origin."""
    pool: Pool = {"en-labeled": [], "zh-labeled": [], "en-corpus": [], "zh-corpus": []}
    for path in sorted(LABELED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            lang = "zh" if obj["lang"].startswith("zh") else "en"
            pool[f"{lang}-labeled"].append((obj["title"], obj["lede"]))
    feeds = sorted((CORPUS / "feeds").glob("*")) + sorted((CORPUS / "zh").glob("*.xml"))
    for path in feeds:
        try:
            feed = parse_feed(path.read_bytes(), url=str(path))
        except Exception:  # noqa: BLE001 - a broken capture is simply left out of the pool
            continue
        for entry in feed.entries:
            item = normalize(entry, feed_url=str(path))
            if not item.title and not item.lede:
                continue
            chinese = len(_CJK.findall(item.title + item.lede)) > 20
            pool["zh-corpus" if chinese else "en-corpus"].append((item.title, item.lede))
    return pool


def build_items(n: int, pool: Pool, zh_share: float, labeled_share: float, filler: str) -> list[Item]:
    """``n`` items of about 300 characters: one story (title and lede) padded with other ledes.

    A story comes from the labeled set with probability ``labeled_share``, else from the
    corpus; the padding comes from the corpus ("corpus", like a real article's further text)
    or from the labeled set ("labeled", every item crammed with on-topic text: a stress test).
    """
    rng = random.Random(4)
    items = []
    for _ in range(n):
        lang = "zh" if rng.random() < zh_share else "en"
        origin = "labeled" if rng.random() < labeled_share else "corpus"
        title, lede = rng.choice(pool[f"{lang}-{origin}"])
        pad = pool[f"{lang}-{filler}"]
        target = 300 - len(title)
        parts = [lede]
        while sum(len(p) + 1 for p in parts) < target:
            extra = rng.choice(pad)
            parts.append(extra[1] or extra[0])
        items.append({"title": title[:200], "lede": " ".join(parts)[: max(target, 40)]})
    return items


def synthetic_terms(items: Sequence[Item], rng: random.Random) -> list[str]:
    """1,000 terms from the items' vocabulary: ~350 long Latin, ~350 short Latin, 300 CJK."""
    words: dict[str, int] = {}
    cjk: dict[str, int] = {}
    for it in items:
        text = f"{it['title']} {it['lede']}"
        for w in _WORD.findall(text.lower()):
            words[w] = words.get(w, 0) + 1
        chars = "".join(_CJK.findall(text))
        for i in range(len(chars) - 1):
            cjk[chars[i : i + 2]] = cjk.get(chars[i : i + 2], 0) + 1
    # Mid-frequency words: real hits without every text hitting every term.
    long_words = sorted(w for w, c in words.items() if len(w) >= 6 and 3 <= c <= 200)
    short_words = sorted(w for w, c in words.items() if 3 <= len(w) <= 5 and 3 <= c <= 200)
    bigrams = sorted(b for b, c in cjk.items() if 3 <= c <= 200)
    return rng.sample(long_words, 350) + rng.sample(short_words, 350) + rng.sample(bigrams, 300)


def per_second(fn: Callable[[Item], object], items: Sequence[Item], repeat: int = 1) -> float:
    """Items per second of CPU time, the best of ``repeat`` passes (other load only slows a pass)."""
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        for it in items:
            fn(it)
        best = min(best, time.process_time() - start)
    return len(items) / best if best else float("inf")


def interleaved(fns: Sequence[Callable[[Item], object]], items: Sequence[Item], repeat: int,
                rounds: list[list[float]] | None = None) -> list[float]:
    """Items per second of each of ``fns``, best of ``repeat`` rounds, each round timing every fn
    once in turn (so a burst of load from elsewhere hits all of them alike); each round's figures are appended to
    ``rounds`` when given."""
    best = [0.0] * len(fns)
    for _ in range(repeat):
        figures = [per_second(fn, items) for fn in fns]
        best = [max(b, f) for b, f in zip(best, figures, strict=True)]
        if rounds is not None:
            rounds.append(figures)
    return best


def before_and_after(
    rev: str, items: Sequence[Item], realistic: Sequence[Item], stress: Sequence[Item], repeat: int
) -> None:
    """Today's engine and rules against those of ``rev``, on the same items in one process."""
    old = old_matcher(rev)
    new = Matcher(load_rules(ROOT / "rules").watchlists)
    for it in items:  # warm both: fuzzy caches, lazily built tables
        old.match(it)
        new.match(it)
    print(f"before/after: engine and shipped rules of {rev} against this tree, passes interleaved")
    mixes = (("default mix", items), ("corpus stories only (real, mostly off-topic)", realistic),
             ("stress set (nearly every item matches)", stress))
    for name, batch in mixes:
        was, now = interleaved([old.match, new.match], batch, repeat)
        print(f"  {name:46} before {was:9,.0f}/s   now {now:9,.0f}/s   ratio {now / was:5.2f}  (target >= 0.9)")
    print()


def chats_before_and_after(rev: str, items: Sequence[Item], chats: int, repeat: int, popularity: str,
                           kind: str) -> None:
    """(c) before and after: every chat's phrases in ``rev``'s Matcher (with ``rev``'s shipped lists) and in today's,
    each against its own shipped lists alone, passes interleaved in one process (``--only-chats --against REV``)."""
    from bot.watch.personal import personal_id

    old_shipped = old_matcher(rev)
    new_shipped = Matcher(load_rules(ROOT / "rules").watchlists)
    counts = name_counts(items) if kind == "names" else vocabulary_counts(items)
    print(f"(c) before/after: {chats:,} chats with 10 phrases each ({kind}), {popularity} popularity, the engine of "
          f"{rev} against this tree, passes interleaved (find: matching as the pipeline does it)")
    for name, lo, hi in PROFILES:
        phrases = chat_phrases(counts, chats, 10, random.Random(11), lo, hi, popularity)
        lists = {personal_id(c): ps for c, ps in phrases.items()}
        try:
            old = type(old_shipped)(old_shipped.watchlists, phrase_lists=lists)
        except TypeError:
            print(f"  {rev}'s Matcher takes no phrase lists: nothing to compare")
            return
        new = Matcher(new_shipped.watchlists, phrase_lists=lists)
        for it in items:  # warm all four: fuzzy caches, lazily built tables
            for m in (old_shipped, old, new_shipped, new):
                m.find(it)
        was_alone, was, now_alone, now = interleaved([old_shipped.find, old.find, new_shipped.find, new.find], items,
                                                     repeat)
        print(f"  {name + f' ({lo}-{hi})':16} before {was:9,.0f}/s ({was_alone / was:.2f}x alone)   now {now:9,.0f}/s "
              f"({now_alone / now:.2f}x alone)   now/before {now / was:5.2f}")
    print()


def default_base() -> str:
    """Where this branch left main (the engine before the branch's changes)."""
    out = subprocess.run(["git", "merge-base", "HEAD", "main"], cwd=ROOT, capture_output=True, text=True)
    return out.stdout.strip()[:12] or "HEAD"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--items", type=int, default=10_000)
    ap.add_argument("--naive-sample", type=int, default=40, help="items timed for the naive loop")
    ap.add_argument("--repeat", type=int, default=3, help="warm passes; the best one counts")
    ap.add_argument("--zh-share", type=float, default=0.35, help="share of Chinese items")
    ap.add_argument("--labeled-share", type=float, default=0.3, help="share of stories from the labeled set")
    ap.add_argument("--against", default=None, help="git revision to compare with (default: merge-base with main)")
    ap.add_argument("--only-against", action="store_true", help="run the before/after comparison only")
    ap.add_argument("--chats", type=int, default=10_000, help="chats with 10 phrases each, case (c)")
    ap.add_argument("--only-chats", action="store_true", help="run case (c) only")
    ap.add_argument("--phrases", choices=("words", "names"), default="words",
                    help="what chats watch, case (c): words and word pairs of the items (default), or names: "
                         "capitalised words and runs of them, as people watch companies, people and places "
                         "(CJK bigrams either way)")
    ap.add_argument("--popularity", choices=("uniform", "zipf"), default="uniform",
                    help="how chats choose their phrases, case (c)")
    ap.add_argument("--start-up-child", metavar="DB", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.start_up_child:
        start_up_child(args.start_up_child)
        return
    if not (CORPUS / "feeds").is_dir():
        sys.exit(f"corpus not found at {CORPUS}")

    pool = load_pool()
    items = build_items(args.items, pool, args.zh_share, args.labeled_share, "corpus")
    stress = build_items(args.items, pool, args.zh_share, 1.0, "labeled")
    avg = sum(len(i["title"]) + len(i["lede"]) + 1 for i in items) / len(items)
    chinese = sum(1 for i in items if _CJK.search(i["title"])) / len(items)
    print(f"{len(items)} items, {avg:.0f} characters on average, {chinese:.0%} Chinese, "
          f"{args.labeled_share:.0%} with a story from the labeled set, padded with corpus text")
    print(f"stress set: {len(stress)} items, every one a labeled story padded with labeled ledes")
    realistic = build_items(args.items, pool, args.zh_share, 0.0, "corpus")
    print()
    if args.only_chats and args.against:
        chats_before_and_after(args.against, items, args.chats, args.repeat, args.popularity, args.phrases)
        return
    if args.only_chats:
        chats_case(items, Matcher(load_rules(ROOT / "rules").watchlists), args.chats, args.repeat, args.popularity,
                   args.phrases)
        return
    before_and_after(args.against or default_base(), items, realistic, stress, args.repeat)
    if args.only_against:
        return

    shipped = Matcher(load_rules(ROOT / "rules").watchlists)
    terms = synthetic_terms(items, random.Random(7))
    synthetic = Matcher([Watchlist("synthetic", "synthetic", any=tuple(Term(t) for t in terms))])
    latin = sum(1 for t in terms if not _CJK.search(t))
    print(f"synthetic watchlist: {len(terms)} terms, {latin} Latin "
          f"({sum(1 for t in terms if not _CJK.search(t) and len(t) >= 6)} with 6+ letters), {len(terms) - latin} CJK")

    def run_shipped(it: Item) -> object:
        return shipped.match(it)

    def run_synthetic(it: Item) -> object:
        return synthetic.match(it)

    latin_terms = [t for t in terms if not _CJK.search(t)]
    cjk_terms = [t for t in terms if _CJK.search(t)]
    alternation = re.compile(
        r"\b(?:" + "|".join(map(re.escape, sorted(latin_terms, key=len, reverse=True))) + r")\b|(?:"
        + "|".join(map(re.escape, cjk_terms)) + ")",
        re.IGNORECASE,
    )

    def run_regex(it: Item) -> object:
        return alternation.findall(it["title"]), alternation.findall(it["lede"])

    def run_naive(it: Item) -> object:
        text = f"{it['title']}\n{it['lede']}"
        return [t for t in terms if fuzz.partial_ratio(t, text) >= 90]

    cold_shipped = per_second(run_shipped, items)  # first pass: per-word fuzzy cache still empty
    warm_shipped = per_second(run_shipped, items, args.repeat)
    stress_shipped = per_second(run_shipped, stress, args.repeat)
    stress_hits = sum(1 for it in stress if shipped.match(it))
    cold_synthetic = per_second(run_synthetic, items)
    warm_synthetic = per_second(run_synthetic, items, args.repeat)
    regex = per_second(run_regex, items, args.repeat)
    naive = per_second(run_naive, items[: args.naive_sample], args.repeat)
    hits = sum(1 for it in items if synthetic.match(it))
    shipped_hits = sum(1 for it in items if shipped.match(it))
    print(f"items matching: shipped {shipped_hits}, synthetic {hits}; stress set, shipped: {stress_hits}\n")

    rows = [
        ("(a) engine, shipped watchlists (warm)", warm_shipped, "target >= 20,000"),
        ("(a) engine, shipped watchlists (first pass)", cold_shipped, ""),
        ("(a) engine, shipped watchlists, stress set", stress_shipped, "nearly every item matches"),
        ("(b) engine, 1,000 terms (warm)", warm_synthetic, "target >= 10,000"),
        ("(b) engine, 1,000 terms (first pass)", cold_synthetic, ""),
        ("    regex alternation, 1,000 terms", regex, "no folding, fuzzy or explanations"),
        (f"    naive partial_ratio loop (on {args.naive_sample} items)", naive, "extrapolated"),
    ]
    print(f"{'':52} {'items/s':>10}  note")
    for name, value, note in rows:
        print(f"{name:52} {value:10,.0f}  {note}")
    print()
    print(f"(b) warm vs naive loop:   {warm_synthetic / naive:8.0f}x   (target >= 40x)")
    print(f"(b) warm vs regex:        {warm_synthetic / regex:8.1f}x   (target > 1x)")
    print(f"(b) first pass vs regex:  {cold_synthetic / regex:8.1f}x")
    print()
    chats_case(items, shipped, args.chats, args.repeat, args.popularity, args.phrases)


PROFILES = (("specific", 1, 2), ("typical", 2, 5), ("broad", 2, 20))  # phrase found in LO..HI of the items


def vocabulary_counts(items: Sequence[Item]) -> dict[str, int]:
    """In how many items each candidate phrase occurs: words of 4+ letters, word pairs, CJK bigrams."""
    counts: dict[str, int] = {}
    for it in items:
        text = f"{it['title']} {it['lede']}".lower()
        words = _WORD.findall(text)
        chars = "".join(_CJK.findall(text))
        seen = {w for w in words if len(w) >= 4} | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)
                                                    if len(a) >= 4 and len(b) >= 4}
        seen |= {chars[i: i + 2] for i in range(len(chars) - 1)}
        for phrase in seen:
            counts[phrase] = counts.get(phrase, 0) + 1
    return counts


# A capitalised word or a run of them, not the first word of a sentence: a name, as people watch them.
_NAME = re.compile(r"(?<![.!?] )(?<!^)\b[A-Z][a-z]{2,}(?: [A-Z][a-z]+){0,2}\b")


def name_counts(items: Sequence[Item]) -> dict[str, int]:
    """In how many items each candidate name occurs: capitalised words and runs of them (``_NAME``), and CJK
    bigrams as ``vocabulary_counts`` takes them (Chinese has no capitals to tell a name by)."""
    counts: dict[str, int] = {}
    for it in items:
        seen = {m.lower() for field in ("title", "lede") for m in _NAME.findall(it[field])}
        chars = "".join(_CJK.findall(f"{it['title']} {it['lede']}"))
        seen |= {chars[i: i + 2] for i in range(len(chars) - 1)}
        for phrase in seen:
            counts[phrase] = counts.get(phrase, 0) + 1
    return counts


def chat_phrases(counts: dict[str, int], chats: int, per_chat: int, rng: random.Random, lo: int, hi: int,
                 popularity: str = "uniform") -> dict[int, list[str]]:
    """``per_chat`` phrases for each chat among those found in ``lo`` to ``hi`` of the items. ``uniform``:
    every phrase as likely (personal phrases are mostly personal); ``zipf``: popularity 1/rank, so the
    most popular phrase is followed by about a tenth of all chats (a heavy, unlikely case)."""
    vocabulary = sorted(p for p, c in counts.items() if lo <= c <= hi)
    rng.shuffle(vocabulary)
    weights = [1 / (rank + 1) if popularity == "zipf" else 1.0 for rank in range(len(vocabulary))]
    cumulative = list(accumulate(weights))  # (what choices() would sum again for every chat: the same draws)
    return {chat: list(dict.fromkeys(rng.choices(vocabulary, cum_weights=cumulative, k=per_chat)))
            for chat in range(1, chats + 1)}


def start_up(phrases: dict[int, list[str]], repeat: int = 3) -> tuple[float, float]:
    """Seconds a fresh process takes to read every chat's phrases from a SQLite store holding them and to build
    the combined Matcher (what `watchbot run` does at start-up: Phrases.load, then Phrases.rebuild), in a child
    process, so that no cache of this one helps; the shipped rules are loaded first, outside the timing. Best of
    ``repeat`` children."""
    import tempfile
    from datetime import UTC, datetime

    from bot.store.sqlite import SqliteStore
    from bot.watch.text import phrase_key

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        store = SqliteStore(db)
        now = datetime(2024, 3, 27, tzinfo=UTC)
        with store.transaction():
            for chat, ps in phrases.items():
                store.chats.ensure(chat, type="private", title="", now=now)
                for p in ps:
                    store.phrases.add(chat, p, phrase_key(p), now=now)
        store.close()
        runs = [json.loads(subprocess.run([sys.executable, __file__, "--start-up-child", str(db)],
                                          capture_output=True, text=True, check=True).stdout) for _ in range(repeat)]
    return min(r["read"] for r in runs), min(r["build"] for r in runs)


def start_up_child(db: str) -> None:
    """The child of ``start_up``: prints {"read": seconds, "build": seconds}."""
    from datetime import UTC, datetime

    from bot.app.phrases import Phrases
    from bot.store.sqlite import SqliteStore
    from bot.watch.reload import RuleBook

    rules = RuleBook(ROOT / "rules")
    store = SqliteStore(Path(db))
    phrases = Phrases(store, rules, clock=lambda: datetime.now(UTC))
    started = time.perf_counter()
    phrases.load()
    read = time.perf_counter() - started
    phrases.rebuild()
    print(json.dumps({"read": read, "build": time.perf_counter() - started - read}))


def chats_case(items: Sequence[Item], shipped: Matcher, chats: int, repeat: int, popularity: str = "uniform",
               kind: str = "words") -> None:
    """(c): every chat's phrases in the same Matcher as the shipped lists, against the shipped lists alone,
    for phrases of three breadths (how many chats an item alerts is what the cost follows)."""
    from bot.watch.personal import personal_id

    counts = name_counts(items) if kind == "names" else vocabulary_counts(items)

    def run_shipped(it: Item) -> object:
        return shipped.find(it)

    def run_shipped_match(it: Item) -> object:
        return shipped.match(it)

    for it in items:
        shipped.match(it)
    from bot.watch.speedups import COMPILED

    print(f"(c) {chats:,} chats with 10 phrases each ({kind}), {popularity} popularity, one Matcher with the shipped "
          "lists")
    print("    the matcher's hot loops: " + ("compiled (bot/watch/_speedups.c)" if COMPILED else
                                          "their Python twins (not built, or WATCHBOT_PURE_PYTHON=1)"))
    print("    find: matching as the pipeline does it (a chat's own phrases one entry per phrase found); match: find plus")
    print("    one Match per alerted chat (what the pipeline builds for the items it records and routes)")
    print(f"    {'phrases':10} {'distinct':>9} {'chats/item':>10} {'alerts/chat':>11} {'alone/s':>9} {'find/s':>9} "
          f"{'cost':>6} {'match/s':>9} {'cost':>6}")
    starts, spreads = [], []
    for name, lo, hi in PROFILES:
        phrases = chat_phrases(counts, chats, 10, random.Random(11), lo, hi, popularity)
        read_s, build_s = start_up(phrases)
        combined = Matcher(shipped.watchlists, phrase_lists={personal_id(c): ps for c, ps in phrases.items()})

        def run_combined(it: Item, combined: Matcher = combined) -> object:
            return combined.find(it)

        def run_combined_match(it: Item, combined: Matcher = combined) -> object:
            return combined.match(it)

        for it in items:
            combined.match(it)
        rounds: list[list[float]] = []
        alone, together, alone_match, together_match = interleaved(
            [run_shipped, run_combined, run_shipped_match, run_combined_match], items, repeat, rounds)
        spreads.append(f"{name} {min(r[0] / r[1] for r in rounds):.2f}-{max(r[0] / r[1] for r in rounds):.2f}x")
        alerted = sum(sum(1 for m in combined.match(it) if m.watchlist.startswith("chat:")) for it in items)
        distinct = len({p for ps in phrases.values() for p in ps})
        print(f"    {name + f' ({lo}-{hi})':10} {distinct:9,} {alerted / len(items):10.1f} "
              f"{alerted / chats:11.1f} {alone:9,.0f} {together:9,.0f} {alone / together:5.2f}x "
              f"{together_match:9,.0f} {alone_match / together_match:5.2f}x")
        starts.append(f"{name} {read_s:.2f} + {build_s:.2f} = {read_s + build_s:.2f} s")
    print("    start-up, a fresh process reading every chat's phrases from SQLite + building the combined Matcher "
          "(target < 1 s):")
    print("      " + "; ".join(starts))
    print("    find's cost round by round (each round times every pass once; the table keeps each pass's best): "
          + "; ".join(spreads))
    print("    (phrases found in LO-HI of the items; chats/item: chats an item alerts on average; alerts/chat: per "
          f"{len(items):,} items; targets: find/s >= 10,000, cost <= 1.5x; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
