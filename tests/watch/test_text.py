"""Folding: NFKC, case, Traditional to Simplified, and the map back to the original text."""

from __future__ import annotations

from itertools import chain

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch.text import _fold_chars, _table, fold, normalize, phrase_key


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("ASML Holding", "asml holding"),
        ("ＡＳＭＬ", "asml"),
        ("半導體與晶片", "半导体与晶片"),
        ("艾司摩爾", "艾司摩尔"),
        ("實體清單", "实体清单"),
        ("Straße", "strasse"),
        ("ﬁne…", "fine..."),
        ("cafe\u0301", "café"),
        ("乾隆", "乾隆"),  # a phrase t2s keeps: the phrase dictionary wins over the character one
        ("", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert normalize(text) == folded


@pytest.mark.parametrize(
    ("text", "start", "end", "original"),
    [
        ("ﬁne chips", 5, 10, "chips"),  # "ﬁ" became two characters before the span
        ("Straße chips", 8, 13, "chips"),
        ("…ASML", 3, 7, "ASML"),
        ("ﬁne", 0, 1, "ﬁ"),  # half of an expanded character maps to all of it
        ("cafe\u0301 x", 0, 4, "cafe\u0301"),
        ("台積電", 0, 3, "台積電"),
    ],
)
def test_span_maps_back(text: str, start: int, end: int, original: str) -> None:
    f = fold(text)
    a, b = f.span(start, end)
    assert text[a:b] == original


def test_phrase_key_collapses_spaces_and_unifies_hyphens() -> None:
    assert phrase_key("  Export\u2011Controlled  ") == "export-controlled"
    assert phrase_key("entity   list") == "entity list"


_alphabet = st.sampled_from(
    list("abcXYZ 0-.,'") + list("半導體晶片台積電實體清單芯片出口管制乾隆") + list("ＡＢﬁß…ǅİ\u0301’“½①㎏")
)


@settings(max_examples=300, deadline=None)
@given(st.text(_alphabet, max_size=40))
def test_normalizing_twice_changes_nothing(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=30))
def test_normalizing_twice_changes_nothing_any_unicode(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@settings(max_examples=300, deadline=None)
@given(st.text(_alphabet, max_size=40), st.data())
def test_every_folded_span_maps_inside_the_original(text: str, data: st.DataObject) -> None:
    f = fold(text)
    n = len(f.text)
    start = data.draw(st.integers(0, n))
    end = data.draw(st.integers(start, n))
    a, b = f.span(start, end)
    assert 0 <= a <= b <= len(text)
    if start < end:
        # the original piece folds to text that contains the folded piece (both folded out of
        # context: t2s converts some characters differently inside a phrase, 乾隆 vs 乾)
        assert normalize(f.text[start:end]) in normalize(text[a:b])


def test_a_lone_surrogate_beside_traditional_characters_folds_in_place() -> None:
    """JSON may carry a lone "\\ud800" escape; OpenCC takes UTF-8, which cannot hold one: it must not
    raise, and the other characters fold as ever, each at its own place."""
    from bot.watch.text import fold

    folded = fold("x\ud800半導體產業")
    assert folded.text == "x\ufffd半导体产业"
    assert folded.span(2, 5) == (2, 5)


def test_the_fold_table_holds_every_character_that_folding_changes_and_only_those() -> None:
    table = _table()
    # every 7th code point of planes 0-2 (and all of the Latin, CJK-punctuation and full-width blocks), one by one
    sample = chain(range(0x3100), range(0xFF00, 0x10000), range(0x3100, 0xD800, 7), range(0xE000, 0xFF00, 7),
                   range(0x10000, 0x30000, 7))
    for cp in sample:
        folded = _fold_chars(chr(cp))
        assert table.get(cp, chr(cp)) == folded, hex(cp)
        assert (cp in table) == (folded != chr(cp)), hex(cp)


@pytest.mark.parametrize(
    ("text", "folded", "spans"),
    [
        ("chips\\nIntel", "chips intel", {5: "\\n"}),  # a leaked escape glued to words reads as a space
        ("\\Ｎｖｉｄｉａ", " vidia", {0: "\\Ｎ"}),  # folding makes "\\n" of a backslash and a fullwidth N: it goes too
        ("x ＼n y", "x y", {1: " ＼n "}),  # a fullwidth backslash
        ("\\n\\Ｎx", " x", {0: "\\n\\Ｎ"}),  # the first escape taken out, folding made a second one
    ],
)
def test_escape_sequences_go_whether_written_or_made_by_folding(text: str, folded: str, spans: dict[int, str]) -> None:
    """Found by hypothesis (test_properties): folding the folded "\\Ｎｖｉｄｉａ" took out an escape that folding had
    made, so folding was not idempotent and matching folded text could differ from matching the text."""
    f = fold(text)
    assert f.text == folded
    assert fold(f.text).text == folded
    for i, original in spans.items():
        assert text[slice(*f.span(i, i + 1))] == original
