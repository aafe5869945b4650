"""Text noise (issue 17 point 3): escape sequences written out as characters ("\\n" as a
backslash and an n) glued to words are read as spaces; spans still point at the original text."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch import Matcher, load_rules
from bot.watch.text import fold, normalize

RULES = Path(__file__).resolve().parents[2] / "rules"


@cache
def matcher() -> Matcher:
    return Matcher(load_rules(RULES).watchlists)


def hits(title: str) -> list[tuple[str, str]]:
    return [(h.pattern, h.text) for m in matcher().match({"title": title}) for h in m.hits]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        (r"Markets\nTSMC raises prices", [("TSMC", "TSMC")]),
        (r"Briefing:\t\u00a0ASML\u00a0results", [("ASML", "ASML")] * 2),
        (r"荷兰\n阿斯麥\n业绩", [("阿斯麦", "阿斯麥")] * 2),
    ],
)
def test_escapes_glued_to_words_are_spaces(title: str, expected: list[tuple[str, str]]) -> None:
    assert sorted(hits(title)) == sorted(expected)


def test_a_phrase_across_an_escape_hits_with_the_original_text() -> None:
    assert ("export controls", r"export\ncontrols") in hits(r"New export\ncontrols announced")


def test_the_noise_hid_the_words_before() -> None:
    assert fold(r"a\nTSMC").text == "a tsmc"
    assert fold(r"a \n\t b").text == "a b"
    assert fold("a\\qb").text == "a\\qb"  # not an escape we know: left alone


PIECES = ["TSMC", "ASML", "阿斯麥", "export", "controls", "\\n", "\\t", "\\u00a0", "\\", "n", " ", "ﬁ", "…", "e\u0301", "Ｎｖｉｄｉａ"]
texts = st.lists(st.sampled_from(PIECES) | st.text(max_size=2), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(texts, texts)
def test_every_hit_points_at_text_really_in_the_field(title: str, lede: str) -> None:
    fields = {"title": title, "lede": lede}
    for m in matcher().match(fields):
        for h in m.hits:
            start, end = h.span
            assert 0 <= start < end <= len(fields[h.field])
            assert fields[h.field][start:end] == h.text


@settings(max_examples=300, deadline=None)
@given(texts)
def test_folding_maps_every_character_into_the_original(text: str) -> None:
    f = fold(text)
    for i in range(len(f.text)):
        a, b = f.span(i, i + 1)
        assert 0 <= a < b <= len(text)
    if "\\" not in text:
        assert normalize(f.text) == f.text  # folding twice changes nothing
