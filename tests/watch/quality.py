"""Precision and recall of the shipped watchlists on the labeled set, and a substring baseline.

Shared by test_quality.py (which asserts on the tune split) and the report printed at the end of
the test run (conftest.py), so the figures are computed once.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bot.watch import Matcher, Term, Watchlist, load_rules

REPO = Path(__file__).resolve().parents[2]
LABELED = REPO / "tests" / "data" / "labeled"
LANGS = ("en", "zh-Hans", "zh-Hant")


@dataclass(frozen=True, slots=True)
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def add(self, predicted: bool, wanted: bool) -> Score:
        return Score(self.tp + (predicted and wanted), self.fp + (predicted and not wanted), self.fn + (wanted and not predicted))

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0


@cache
def items() -> tuple[dict[str, object], ...]:
    out = []
    for path in sorted(LABELED.glob("*.jsonl")):
        out.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
    return tuple(out)


@cache
def watchlists() -> tuple[Watchlist, ...]:
    rules = load_rules(REPO / "rules")
    assert rules.errors == (), rules.errors
    return rules.watchlists


def baseline(w: Watchlist, title: str, lede: str) -> bool:
    """A plain case-insensitive substring test of the list's plain phrases (what a naive bot does)."""
    text = f"{title}\n{lede}".lower()
    return any(isinstance(p, Term) and p.text.lower() in text for p in w.any)


@cache
def scores() -> dict[tuple[str, str, str, str], Score]:
    """(engine|baseline, split, watchlist, lang) -> Score."""
    matcher = Matcher(watchlists())
    table: dict[tuple[str, str, str, str], Score] = {}
    for item in items():
        title, lede = str(item["title"]), str(item["lede"])
        found = {m.watchlist for m in matcher.match({"title": title, "lede": lede})}
        for w in watchlists():
            wanted = w.id in item["labels"]  # type: ignore[operator]
            for kind, predicted in (("engine", w.id in found), ("baseline", baseline(w, title, lede))):
                key = (kind, str(item["split"]), w.id, str(item["lang"]))
                table[key] = table.get(key, Score()).add(predicted, wanted)
    return table


def combined(kind: str, split: str, watchlist: str, lang: str) -> Score:
    """The score of one cell; split "all" adds tune and hold-out."""
    s = scores()
    if split != "all":
        return s.get((kind, split, watchlist, lang), Score())
    parts = [s.get((kind, sp, watchlist, lang), Score()) for sp in ("tune", "holdout")]
    return Score(sum(p.tp for p in parts), sum(p.fp for p in parts), sum(p.fn for p in parts))


def f1(sc: Score) -> float:
    p, r = sc.precision, sc.recall
    return 2 * p * r / (p + r) if p + r else 0.0


def macro(split: str) -> tuple[float, float]:
    """Macro F1 over the (watchlist, language) cells of the engine on ``split``, and the least precision."""
    cells = [combined("engine", split, w.id, lang) for w in watchlists() for lang in LANGS]
    return sum(f1(c) for c in cells) / len(cells), min(c.precision for c in cells)


def report() -> str:
    """A table of precision/recall per list and language: engine on tune and hold-out, and the baseline."""
    s = scores()
    lines = [
        "watchlist        lang     | engine tune  P     R   | engine hold-out  P     R | baseline tune  P     R"
        " | baseline hold-out P     R"
    ]
    for w in watchlists():
        for lang in LANGS:
            cells = []
            for kind, split in (("engine", "tune"), ("engine", "holdout"), ("baseline", "tune"), ("baseline", "holdout")):
                sc = s.get((kind, split, w.id, lang), Score())
                cells.append(f"{sc.precision:5.2f} {sc.recall:5.2f}")
            lines.append(
                f"{w.id:16} {lang:8} |        {cells[0]}  |           {cells[1]} |       {cells[2]}"
                f" |           {cells[3]}"
            )
    for split in ("tune", "holdout", "all"):
        f, p = macro(split)
        lines.append(f"engine, {split:8}: macro F1 {f:.3f}, least precision of a (watchlist, language) {p:.3f}")
    return "\n".join(lines)
