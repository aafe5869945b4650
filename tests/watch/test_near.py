"""Matching is linear in the field: fields are cut to FIELD_LIMIT, and `near` finds the same pair
as the pairwise loop it replaced (issue 11 point 3: a 20k-character title took 7 s).

The pairwise loop is kept here as the reference: every pair of hits, tokens between them
counted with the token regex. It must agree with ``closest`` on generated texts, on every
field of the labeled set and on the shipped lists' `near` patterns.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch import Matcher, load_rules, parse_watchlist, to_json
from bot.watch.match import FIELD_LIMIT
from bot.watch.near import TOKEN, Tokens, closest
from bot.watch.scan import Occurrence
from tests.watch.quality import items

RULES = Path(__file__).resolve().parents[2] / "rules"


def pairwise(firsts: Sequence[Occurrence], seconds: Sequence[Occurrence], within: int, text: str) -> Occurrence | None:
    """The quadratic reference: every pair, the tokens between counted one by one."""
    best: Occurrence | None = None
    for a in firsts:
        for b in seconds:
            if a[:2] == b[:2]:
                continue
            lo, hi = (a, b) if a[0] <= b[0] else (b, a)
            if sum(1 for _ in TOKEN.finditer(text, lo[1], hi[0])) > within and hi[0] > lo[1]:
                continue
            occ = (lo[0], max(lo[1], hi[1]), min(a[2], b[2]))
            if best is None or (occ[0], occ[1], -occ[2]) < (best[0], best[1], -best[2]):
                best = occ
    return best


WORDS = ["export", "ban", "出口", "管制", "a", "the", "中", ", ", " ", "-", "x1"]


@st.composite
def field_with_hits(draw: st.DrawFn) -> tuple[str, list[Occurrence], list[Occurrence], int]:
    text = draw(st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join))
    n = len(text)
    spans = st.tuples(st.integers(0, n), st.integers(1, 8), st.sampled_from([100.0, 95.0, 91.5])).map(
        lambda t: (t[0], min(n, t[0] + t[1]), t[2])
    )
    firsts = draw(st.lists(spans.filter(lambda o: o[0] < o[1]), max_size=8))
    seconds = draw(st.lists(spans.filter(lambda o: o[0] < o[1]), max_size=8))
    if draw(st.booleans()) and firsts:
        seconds.append(firsts[0])  # one hit in both lists is no pair
    return text, firsts, seconds, draw(st.integers(0, 6))


@settings(max_examples=600, deadline=None)
@given(field_with_hits())
def test_closest_agrees_with_the_pairwise_loop(case: tuple[str, list[Occurrence], list[Occurrence], int]) -> None:
    text, firsts, seconds, within = case
    assert closest(firsts, seconds, within, text) == pairwise(firsts, seconds, within, text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(WORDS), max_size=40).map(" ".join), st.data())
def test_token_counts_agree_one_by_one_and_by_list(text: str, data: st.DataObject) -> None:
    one_by_one, listed = Tokens(text), Tokens(text)
    listed.counts = Tokens.LIST_AFTER  # the next count builds the list
    for _ in range(5):
        a = data.draw(st.integers(0, len(text)))
        b = data.draw(st.integers(0, len(text)))
        limit = data.draw(st.integers(0, 5))
        want = sum(1 for _ in TOKEN.finditer(text, a, b)) > limit
        one_by_one.counts = 0
        assert one_by_one.more_than(limit, a, b) == want
        assert listed.more_than(limit, a, b) == want


@cache
def shipped() -> Matcher:
    return Matcher(load_rules(RULES).watchlists)


def near_checks(m: Matcher, fields: dict[str, str]) -> int:
    """Compare every `near` of ``m`` on every field of ``fields`` with the reference; how many had a hit."""
    from bot.watch.match import _Near

    scanned, _ = m._scan(fields)
    found = 0
    for c in m._compiled:
        for ps in (c.any, *c.all, c.none):
            for p in ps.others:
                if not isinstance(p, _Near):
                    continue
                for f in scanned.values():
                    firsts = [o for t in p.first for o in m._occurrences(t, f)]
                    seconds = [o for t in p.second for o in m._occurrences(t, f)]
                    want = pairwise(firsts, seconds, p.within, f.viewed)
                    assert m._near(p, f) == want, (fields, p.label)
                    found += want is not None
    return found


def test_near_unchanged_on_the_labeled_set_with_the_shipped_lists() -> None:
    found = sum(near_checks(shipped(), {"title": str(i["title"]), "lede": str(i["lede"])}) for i in items())
    assert found >= 50  # the comparison covered real `near` hits, not only misses


def test_near_unchanged_on_long_repetitive_fields() -> None:
    text = "出口 export ban 管制 the a " * 30 + "exports were halted; 限制出口"
    assert near_checks(shipped(), {"title": text[:FIELD_LIMIT], "lede": text[::-1][:FIELD_LIMIT]}) > 0


def test_a_60kb_title_gives_the_answer_of_its_bounded_prefix() -> None:
    m = shipped()
    for unit in ("export ban on chips, ", "a " * 9 + "export ", "出口 ", "Intel ", "x" * 99 + " "):
        title = (unit * (60_000 // len(unit) + 1))[:60_000]
        got = [to_json(x) for x in m.match({"title": title, "lede": "exports"})]
        assert got == [to_json(x) for x in m.match({"title": title[:FIELD_LIMIT], "lede": "exports"})]


def test_text_past_the_field_limit_is_not_matched() -> None:
    w, errors = parse_watchlist("id: x\nany: [gallium]\n", path=Path("rules/x.yaml"))
    assert w is not None, errors
    m = Matcher([w])
    assert m.match({"title": "a " * (FIELD_LIMIT // 2) + "gallium"}) == []
    [hit] = m.match({"title": "a " * (FIELD_LIMIT // 2 - 5) + "gallium"})[0].hits
    assert hit.span[1] <= FIELD_LIMIT


def test_a_word_of_a_near_list_inside_an_except_phrase_does_not_count() -> None:
    w, errors = parse_watchlist(
        "id: x\nany:\n  - near: [[出口, export], [禁令, ban]]\n    within: 4\n    except: [出口处, 安全出口, export ban lifted]\n",
        path=Path("rules/x.yaml"),
    )
    assert w is not None, errors
    m = Matcher([w])
    assert m.match({"title": "停车场出口处完善禁令标志"}) == []  # an exit, then a traffic sign
    assert m.match({"title": "请走安全出口，禁令已发布"}) == []
    assert m.match({"title": "the export ban lifted at last"}) == []
    [match] = m.match({"title": "出口处设禁令，另对芯片实施出口禁令"})  # the second pair is no exit
    assert [(h.pattern, h.text) for h in match.hits] == [("near(出口…, 禁令…)/4", "出口禁令")]
    [match] = m.match({"title": "an export ban on chips"})
    assert match.hits[0].text == "export ban"
