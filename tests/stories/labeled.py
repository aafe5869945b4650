"""The labeled story sets (tests/data/stories/stories.jsonl, and the blind hold-out holdout.jsonl) and pair
precision/recall of a clustering.

Each line is one report: ``id``, ``group`` (reports of one story share it), ``topic`` (stories on one
subject the same days share it: their cross-group pairs are the hard negatives), ``feed``, ``lang``
("en", "zh-Hans", "zh-Hant"), ``time`` (first seen, UTC), ``title``, ``lede``, ``source`` ("corpus":
copied from ../shared/corpus/feeds; "written": written for this set).

A pair is two reports from different feeds (one feed never joins its own items, so same-feed
pairs say nothing). Precision = pairs put in one story that share a group / pairs put in one
story; recall = pairs sharing a group put in one story / pairs sharing a group. Pairs are split
into same-script ones (both English, or both Chinese) and English/Chinese ones.
"""

from __future__ import annotations

import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "stories" / "stories.jsonl"
HOLDOUT = DATA.with_name("holdout.jsonl")  # labeled blind, not tuned on: see tests/data/stories/README.md
# ../shared/corpus/feeds beside the checkout (or beside the folder of git worktrees holding it).
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or next(
    (p for p in (ROOT.parent / "shared" / "corpus" / "feeds", ROOT.parent.parent / "shared" / "corpus" / "feeds")
     if p.is_dir()), ROOT.parent / "shared" / "corpus" / "feeds"))
KEYS = {"id", "group", "topic", "feed", "lang", "time", "title", "lede", "source"}


@dataclass(frozen=True, slots=True)
class Report:
    id: str
    group: str
    topic: str
    feed: str
    lang: str
    time: datetime
    title: str
    lede: str
    source: str

    @property
    def script(self) -> str:
        return "zh" if self.lang.startswith("zh") else "en"


def load(path: Path = DATA) -> list[Report]:
    """The labeled reports in arrival order (time, then id)."""
    reports = []
    for line in path.read_text(encoding="utf-8").splitlines():
        obj = json.loads(line)
        assert set(obj) == KEYS, obj
        obj["time"] = datetime.fromisoformat(obj["time"].replace("Z", "+00:00"))
        reports.append(Report(**obj))
    return sorted(reports, key=lambda r: (r.time, r.id))


@dataclass(frozen=True, slots=True)
class Score:
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def __str__(self) -> str:
        return f"precision {self.precision:.3f} recall {self.recall:.3f} (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def kind(a: Report, b: Report) -> str:
    """"same" for a same-script pair, "en-zh" for an English/Chinese one."""
    return "same" if a.script == b.script else "en-zh"


def pairs(reports: Iterable[Report]) -> Iterable[tuple[Report, Report]]:
    """Every pair of reports from different feeds."""
    return ((a, b) for a, b in itertools.combinations(reports, 2) if a.feed != b.feed)


def score(reports: list[Report], story: Callable[[Report], str]) -> dict[str, Score]:
    """Pair precision/recall of ``story`` (report -> story id) by pair kind."""
    counts: Counter[tuple[str, str]] = Counter()
    for a, b in pairs(reports):
        together, same = story(a) == story(b), a.group == b.group
        if together or same:
            counts[kind(a, b), "tp" if together and same else "fp" if together else "fn"] += 1
    return {k: Score(counts[k, "tp"], counts[k, "fp"], counts[k, "fn"]) for k in ("same", "en-zh")}


def mistakes(reports: list[Report], story: Callable[[Report], str]) -> list[str]:
    """Each wrongly joined or missed pair, for reading."""
    out = []
    for a, b in pairs(reports):
        together, same = story(a) == story(b), a.group == b.group
        if together != same:
            out.append(f"{'joined' if together else 'missed'} {kind(a, b)}: {a.id} / {b.id}")
    return out
