"""Explanations in words: what `rules test`, `match --format table` and alerts show for a match."""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch import Match, Matcher, Near, Regex, Term, Watchlist, load_rules, to_json
from bot.watch.explain import explain, hits_from_json, short_terms

LIST = Watchlist(
    id="w", name="w",
    any=(
        Term("ASML"),
        Term("semiconductor"),
        Term("光刻机"),
        Term("光刻"),
        Term("export ban"),
        Regex("ga(llium)? nitride"),
        Near((Term("export"), Term("exports")), (Term("ban"), Term("curbs")), 2),
        Near((Term("荷兰"),), (Term("光刻机"),), 6),
        Near((Term("rare earth"), Term("gallium")), (Term("restrict"), Term("restricts")), 3),
    ),
)


def match_of(title: str, lede: str = "") -> Match:
    matches = Matcher([LIST]).match({"title": title, "lede": lede})
    assert len(matches) == 1
    return matches[0]


@pytest.mark.parametrize(
    ("title", "lede", "lines"),
    [
        ("ASML shares rise", "", ["title: 'ASML' — phrase"]),
        ("asml shares rise", "", ["title: 'asml' — phrase 'ASML'"]),
        ("Chips", "A semiconducter plant", ["lede: 'semiconducter' ≈ 'semiconductor' (typo tolerance, 92%)"]),
        ("US widens export ban", "", ["title: 'export ban' — phrase"]),  # the near hit on the same span: once
        ("Exports face a ban", "", ["title: 'Exports face a ban' — 'Exports' within 2 words of 'ban' (near rule)"]),
        ("Curbs on exports", "", ["title: 'Curbs on exports' — 'Curbs' within 2 words of 'exports' (near rule)"]),
        ("New gallium nitride fab", "", ["title: regex /ga(llium)? nitride/ matched 'gallium nitride'"]),
        ("荷兰扩大对华光刻机", "", [
            "title: '荷兰扩大对华光刻机' — '荷兰' within 6 characters of '光刻机' (near rule)",
            "title: '光刻机' — phrase",  # and not '光刻' inside it
        ]),
        ("Beijing restricts gallium", "", [
            "title: 'restricts gallium' — 'restricts' within 3 words of 'gallium' (near rule)",
        ]),
    ],
)
def test_explain(title: str, lede: str, lines: list[str]) -> None:
    m = match_of(title, lede)
    assert explain(m, LIST) == lines


def test_no_internal_notation() -> None:
    m = match_of("Exports face a ban on ASML gallium nitride", "semiconducter")
    for line in explain(m, LIST):
        assert "near(" not in line and "re:" not in line and "…)/" not in line


def test_each_span_once() -> None:
    m = match_of("US widens export ban", "export ban")
    assert [h.pattern for h in m.hits] == ["export ban", "near(export…, ban…)/2"] * 2
    assert explain(m, LIST) == ["title: 'export ban' — phrase", "lede: 'export ban' — phrase"]


def test_without_the_watchlist_the_label_stands_in() -> None:
    m = match_of("Exports face a ban", "Beijing restricts gallium")
    assert explain(m) == [
        "title: 'Exports face a ban' — 'Exports' within 2 words of 'ban' (near rule)",
        "lede: 'restricts gallium' — 'restricts' within 3 words of 'gallium' (near rule)",
    ]


def test_short_terms_show_a_near_hit_as_two_words() -> None:
    m = match_of("Exports face a ban on ASML", "ASML and gallium nitride")
    assert short_terms(m, LIST) == ["Exports … ban", "ASML", "gallium nitride"]
    assert short_terms(m) == ["Exports … ban", "ASML", "gallium nitride"]


def test_a_stored_chinese_near_hit_is_shown_whole_not_as_two_characters() -> None:
    """An alert said 符合：荷 … 机: without the rule at hand, a near hit's first and last "words" were its first and
    last characters. A hit of the same span whose rule names the words found wins; else the span is shown whole."""
    rows = [{"pattern": "near(Dutch…, lithography…)/3", "field": "lede", "span": [0, 7], "text": "荷兰对华光刻机",
             "score": 100.0}]
    alone = Match("asml", 100.0, hits_from_json(rows))
    assert short_terms(alone) == ["荷兰对华光刻机"]
    assert explain(alone) == ["lede: '荷兰对华光刻机' — two of its words close together (near rule)"]
    rows.append({**rows[0], "pattern": "near(荷兰…, 光刻机…)/6"})
    both = Match("asml", 100.0, hits_from_json(rows))
    assert short_terms(both) == ["荷兰 … 光刻机"]
    assert explain(both, lang="zh-hans") == ["导语：“荷兰对华光刻机”——“荷兰”与“光刻机”相距 6 个字以内（near 规则）"]


def test_short_terms_leave_out_a_text_another_one_holds() -> None:
    """The matched line of an alert names "memory chips" once, not beside "memory chip" from the lede; a word
    inside another word ("AI" in "said") is no such case."""
    chips = Watchlist(id="c", name="c", any=(Term("memory chips"), Term("memory chip"), Term("chip shortage"),
                                            Term("AI"), Term("said"), Term("ASML")))
    m = Matcher([chips]).match({"title": "Memory chips: ASML said", "lede": "A memory chip shortage, AI and asml"})[0]
    assert short_terms(m, chips) == ["Memory chips", "ASML", "said", "chip shortage", "AI"]


def test_hits_from_json_round_trip() -> None:
    m = match_of("Exports face a ban", "semiconducter")
    assert hits_from_json(to_json(m)["hits"]) == m.hits


PIECES = [
    "ASML", "阿斯麥", "艾司摩爾", "semiconducter", "Semiconductors", "chip", "export", "exports", "curbs", "ban",
    "controls", "出口", "管制", "荷蘭", "光刻機", "rare earth", "gallium", "restricts", "Dutch", "lithography",
    "giant", " ", " ", ", ", "-", "\n", "Nvidia", "晶片", "半導體",
]


@cache
def shipped() -> tuple[Matcher, dict[str, Watchlist]]:
    lists = load_rules(Path(__file__).resolve().parents[2] / "rules").watchlists
    return Matcher(lists), {w.id: w for w in lists}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=20).map("".join),
       st.lists(st.sampled_from(PIECES), max_size=12).map("".join))
def test_every_explanation_speaks_of_text_that_is_there(title: str, lede: str) -> None:
    matcher, by_id = shipped()
    fields = {"title": title, "lede": lede}
    for m in matcher.match(fields):
        for watchlist in (by_id[m.watchlist], None):
            lines = explain(m, watchlist)
            assert lines and len(lines) <= len({(h.field, h.span) for h in m.hits})
            for line in lines:
                field, _, rest = line.partition(": ")
                assert field in fields and "near(" not in rest and " re:" not in rest
                for quoted in re.findall(r"'([^']*)' (?:—|≈|within)", rest):
                    assert ast.literal_eval(f"'{quoted}'") in fields[field]  # in the field, as written
            terms = short_terms(m, watchlist)
            assert terms and len(terms) == len(set(terms))
            for term in terms:
                assert all(part in title + lede for part in term.split(" … "))


def test_a_near_rule_of_one_word_says_word() -> None:
    near = Watchlist(id="n", name="n", any=(Near((Term("gallium"),), (Term("export"),), 1),))
    [m] = Matcher([near]).match({"title": "gallium new export"})
    assert explain(m, near) == ["title: 'gallium new export' — 'gallium' within 1 word of 'export' (near rule)"]


def test_a_near_miss_says_how_far_apart_its_words_were() -> None:
    """A near whose two words were both there said only "no 'any' pattern hits": the most common miss of a Chinese
    near (every character a token), and the README warns of it."""
    near = Watchlist(id="n", name="n", any=(Near((Term("稀土"), Term("gallium")), (Term("出口"), Term("exports")), 2),))
    [chinese] = Matcher([near]).explain({"title": "中国宣布对稀土实施新的出口管制"})
    assert chinese.match is None and chinese.reason == (
        "no 'any' pattern hits the title or lede: near '稀土' and '出口' are both in the title, 4 characters apart "
        "(within: 2)")
    [latin] = Matcher([near]).explain({"title": "Gallium prices jump as China tightens its exports"})
    assert latin.reason.endswith("near 'gallium' and 'exports' are both in the title, 6 words apart (within: 2)")
    [neither] = Matcher([near]).explain({"title": "Gallium prices jump"})
    assert neither.reason == "no 'any' pattern hits the title or lede"


def test_a_term_in_both_chinese_scripts_is_named_once() -> None:
    """An email said 命中：半導體、記憶體、半导体、出口管制、實體清單、实体清单."""
    from bot.watch.explain import fewest

    assert fewest(["半導體", "記憶體", "半导体", "出口管制", "實體清單", "实体清单"]) == ["半導體", "記憶體", "出口管制", "實體清單"]
