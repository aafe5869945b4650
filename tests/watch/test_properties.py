"""Laws of the matcher, checked with hypothesis on texts mixed from phrases, look-alikes and noise."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch import Matcher, Term, load_rules
from bot.watch.text import normalize, phrase_key

RULES = Path(__file__).resolve().parents[2] / "rules"

PIECES = [
    "ASML", "asml", "阿斯麥", "艾司摩爾", "TSMC", "台積電", "semiconducter", "Semiconductors", "chip", "chips",
    "potato", "export", "exports", "curbs", "controls", "出口", "管制", "實體清單", "entity list", "Entity-List",
    "Dutch", "lithography", "荷蘭", "曝光機", "ﬁ", "…", "Ｎｖｉｄｉａ", "Straße", "İ", "e\u0301", " ", " ", ", ", "-",
    "’s", "\n", "2nm", "process", "AMD", "Intel", "intel", "晶片", "寵物", "半導體",
]


@cache
def matcher() -> Matcher:
    return Matcher(load_rules(RULES).watchlists)


@cache
def caseless_matcher() -> Matcher:
    """The shipped lists without case-sensitive terms (folding lower-cases what those look at)."""
    lists = [
        replace(w, any=tuple(p for p in w.any if not (isinstance(p, Term) and p.case)))
        for w in load_rules(RULES).watchlists
    ]
    return Matcher(lists)


texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=25).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, texts)
def test_every_hit_points_at_its_text(title: str, lede: str) -> None:
    fields = {"title": title, "lede": lede}
    for m in matcher().match(fields):
        assert m.hits and m.score == max(h.score for h in m.hits)
        for h in m.hits:
            start, end = h.span
            assert 0 <= start < end <= len(fields[h.field])
            assert fields[h.field][start:end] == h.text
            if h.score == 100.0 and not h.pattern.startswith(("re:", "near(")):
                # an exact phrase hit: the text folds to the phrase (hyphens may stand for spaces)
                assert phrase_key(h.text).replace("-", " ") == phrase_key(h.pattern).replace("-", " ")


@settings(max_examples=200, deadline=None)
@given(texts)
def test_matching_the_folded_text_finds_the_same_watchlists(text: str) -> None:
    # Folding is idempotent and matching works on folded text, so folding first changes nothing
    # (except for case-sensitive terms, left out here).
    once = normalize(text)
    assert normalize(once) == once
    before = [m.watchlist for m in caseless_matcher().match({"title": text})]
    after = [m.watchlist for m in caseless_matcher().match({"title": once})]
    assert before == after


YAML_PIECES = list("abc: -[]{}\"'\t\n#|>&*!%@`,?\\") + ["\x00", "\ufeff", "中", "\x85", "\u2028", "any", "id", "near"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES), max_size=40).map("".join))
def test_any_text_is_a_watchlist_or_problems_in_words_never_an_exception(text: str) -> None:
    """Whatever someone types into a rules file or the web editor: a watchlist, or problems that name a line."""
    from bot.watch import parse_watchlist

    watchlist, problems = parse_watchlist(text, path=Path("x.yaml"))
    assert (watchlist is None) == bool(problems)
    assert all(str(p).startswith("x.yaml") and "Traceback" not in str(p) for p in problems)
