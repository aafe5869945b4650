"""Matching many items in one scan (batch.py) gives what matching them one by one gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds.parse import parse_feed
from bot.items.normalize import normalize
from bot.watch import Matcher, Near, Regex, Term, Watchlist, load_rules
from bot.watch.batch import Views, match_many
from tests.watch.test_plain import texts as labeled

ROOT = Path(__file__).resolve().parents[2]
LABELED = ROOT / "tests" / "data" / "labeled"


def shipped() -> Matcher:
    rules = load_rules(ROOT / "rules")
    assert not rules.errors
    return Matcher(rules.watchlists)


def one_by_one(matcher: Matcher, items: list[dict[str, str]]) -> list[list[str]]:
    return [[repr(m) for m in matcher.match(it)] for it in items]


def batched(matcher: Matcher, items: list[dict[str, str]], views: Views | None = None) -> list[list[str]]:
    return [[repr(m) for m in ms] for ms in match_many(matcher, items, views=views)]


def test_the_shipped_lists_over_the_labeled_set_match_as_one_by_one() -> None:
    items = labeled()
    matcher = shipped()
    expected = one_by_one(matcher, items)
    assert sum(1 for e in expected if e) > 100  # (the set is mostly on topic: the comparison means something)
    assert batched(matcher, items) == expected
    views = Views()
    assert batched(matcher, items, views) == expected
    assert batched(matcher, items, views) == expected  # again, from the remembered views


def test_the_shipped_lists_over_real_feeds_match_as_one_by_one(corpus_dir: Path) -> None:
    items = []
    for path in sorted(corpus_dir.iterdir())[:60]:
        try:
            parsed = parse_feed(path.read_bytes(), url=f"https://corpus.invalid/{path.name}")
        except Exception:  # noqa: BLE001 (a feed the parser refuses is not this test's concern)
            continue
        items += [{"title": i.title, "lede": i.lede} for i in
                  (normalize(e, feed_url="https://corpus.invalid/", feed_title=parsed.title) for e in parsed.entries)]
    assert len(items) > 1000
    matcher = shipped()
    assert batched(matcher, items) == one_by_one(matcher, items)


def test_typos_near_and_gated_regexes_across_neighbouring_items() -> None:
    w = Watchlist(
        id="mix", name="mix",
        any=(Term("semiconductor", fuzzy=85), Term("光刻机"), Term("export ban"),
             Near(first=(Term("ASML"),), second=(Term("licence"), Term("license")), within=5),
             Regex(r"entity\s+list(?!ing)")),
    )
    items = [
        {"title": "Semicondutor shares fall", "lede": ""},  # a typo
        {"title": "nothing here", "lede": "ASML"},  # half a near: the next item holds the other half
        {"title": "licence talks", "lede": "export"},  # ... and "export" ends this field, "ban" starts the next
        {"title": "ban on travel", "lede": "荷兰限制光刻机出口"},
        {"title": "Firm added to the Entity List", "lede": "entity listing rules"},
        {"title": "ASML said the licence was revoked", "lede": ""},
        {"title": "", "lede": ""},
    ]
    matcher = Matcher([w])
    expected = one_by_one(matcher, items)
    assert [bool(e) for e in expected] == [True, False, False, True, True, True, False]
    assert batched(matcher, items) == expected


def test_a_regex_without_a_required_literal_matches_every_item() -> None:
    w = Watchlist(id="any-digit", name="any-digit", any=(Regex(r"\d{3,}"),))
    matcher = Matcher([w])
    assert not matcher.scans_to_match
    items = [{"title": "Q3 revenue 5000", "lede": ""}, {"title": "no numbers", "lede": "here"}]
    assert [len(ms) for ms in match_many(matcher, items)] == [1, 0]


@pytest.mark.parametrize("size", [1, 3])
def test_views_forget_the_oldest_beyond_their_size(size: int) -> None:
    views = Views(size)
    for text in ["Ａ", "b", "c", "d"]:
        views(text)
    assert views("Ａ").viewed == "a"  # (folded again after being forgotten)
    assert len(views._seen) <= size


def test_a_large_matcher_scanning_cjk_as_utf16_units_matches_as_one_by_one() -> None:
    """Past a thousand automaton entries CJK text is scanned as UTF-16 units (scan.py): the batch's raw
    hits must agree, characters beyond the BMP (emoji) included."""
    items = labeled()
    chinese = "".join(c for it in items for c in it["title"] if "\u4e00" <= c <= "\u9fff")
    phrases = sorted({chinese[i:i + 2] for i in range(len(chinese) - 1)})[:1500]
    assert len(phrases) >= 1200  # (more automaton entries than scan._WIDE_FROM)
    items = [*items, {"title": "火箭🚀升空", "lede": "emoji 🚀 in text"}, {"title": "🚀", "lede": ""}]
    watchlists = [*load_rules(ROOT / "rules").watchlists,
                  Watchlist(id="bigrams", name="bigrams", any=tuple(Term(p) for p in phrases)),
                  Watchlist(id="rocket", name="rocket", any=(Term("火箭🚀"),))]
    matcher = Matcher(watchlists)
    expected = one_by_one(matcher, items)
    assert any("rocket" in m for ms in expected for m in ms)
    assert batched(matcher, items) == expected
