"""The shipped watchlists over the real captured corpus: exactly the items judged on-topic match.

tests/data/corpus_on_topic.json lists, per watchlist, the corpus items judged on-topic (keyed by
feed file name + '#' + entry link, or GUID without a link). Any other match is a false alert and
fails; so does a listed item that does not match. Items are read as the pipeline reads them:
bot.feeds.parse, then bot.items.normalize (title and lede).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest

from bot.feeds.parse import parse_feed
from bot.items.normalize import normalize
from bot.watch import Matcher, load_rules

REPO = Path(__file__).resolve().parents[2]
ON_TOPIC = REPO / "tests" / "data" / "corpus_on_topic.json"
LISTS = ("semiconductors", "asml", "export-controls")


@cache
def corpus_matches(corpus: Path) -> tuple[dict[str, tuple[str, str]], set[tuple[str, str]], int]:
    """Every corpus item (key -> title, lede), the (watchlist, key) pairs that match, the entry count."""
    rules = load_rules(REPO / "rules")
    matcher = Matcher(rules.watchlists)
    items: dict[str, tuple[str, str]] = {}
    matched: set[tuple[str, str]] = set()
    entries = 0
    for path in sorted(corpus.iterdir()):
        try:
            feed = parse_feed(path.read_bytes(), url=str(path))
        except Exception:  # noqa: BLE001 - the feed tests cover unreadable captures
            continue
        for entry in feed.entries:
            entries += 1
            item = normalize(entry, feed_url=str(path))
            key = f"{path.name}#{entry.link or entry.guid or ''}"
            items[key] = (item.title, item.lede)
            for m in matcher.match({"title": item.title, "lede": item.lede}):
                matched.add((m.watchlist, key))
    return items, matched, entries


def on_topic() -> set[tuple[str, str]]:
    data = json.loads(ON_TOPIC.read_text(encoding="utf-8"))
    return {(w, entry["key"]) for w in LISTS for entry in data[w]}


@pytest.mark.parametrize("watchlist", LISTS)
def test_corpus_matches_exactly_the_on_topic_items(watchlist: str, corpus_dir: Path) -> None:
    items, matched, entries = corpus_matches(corpus_dir)
    assert entries > 6500  # some items share a key (a link repeated in one feed); all are matched
    want = {key for w, key in on_topic() if w == watchlist}
    got = {key for w, key in matched if w == watchlist}
    assert want <= items.keys(), f"listed items missing from the corpus: {sorted(want - items.keys())}"
    false_alerts = {k: items[k][0] for k in sorted(got - want)}
    missed = {k: items[k][0] for k in sorted(want - got)}
    assert not false_alerts, f"{watchlist}: matches outside the on-topic list: {false_alerts}"
    assert not missed, f"{watchlist}: on-topic items not matched: {missed}"
