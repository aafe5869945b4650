"""Explanations in words: what `rules test`, `match --format table` and alerts show for a match."""

from __future__ import annotations

import pytest

from bot.watch import Match, Matcher, Near, Regex, Term, Watchlist, to_json
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


def test_hits_from_json_round_trip() -> None:
    m = match_of("Exports face a ban", "semiconducter")
    assert hits_from_json(to_json(m)["hits"]) == m.hits
