"""Weak patterns (DESIGN.md, Evidence): a weak hit counts in the title or the lede's first
sentence, or beside a hit of a pattern that is not weak; explanations say why one did not count."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.watch import Matcher, parse_watchlist, to_json
from bot.watch.evidence import sentence_ends
from bot.watch.schema import json_schema

LIST = """
id: chips
any:
  - chipmaker
  - {term: Intel, case: true, weak: true}
  - {term: Xeon, weak: true}
  - {term: 芯片, weak: true}
  - {near: [[export], [ban]], within: 2}
"""


def matcher(text: str = LIST) -> Matcher:
    w, errors = parse_watchlist(text, path=Path("rules/chips.yaml"))
    assert w is not None, errors
    return Matcher([w])


REVIEW = "The router is fast. Its web interface is plain. It runs on an Intel Xeon with 8 GB."


@pytest.mark.parametrize(
    ("title", "lede", "counted"),
    [
        ("Intel posts a loss", REVIEW, ["Intel"]),  # the title's hit counts; a weak hit vouches for no other
        ("Router review", "Intel Xeon inside. " + REVIEW, ["Intel", "Xeon"]),  # first sentence counts
        ("Router review", REVIEW, []),  # two weak words deep in the lede do not vouch for each other
        ("Router review", REVIEW + " The chipmaker did not comment.", ["Intel", "Xeon", "chipmaker"]),
        ("Router review", REVIEW + " An export ban looms.", ["Intel", "Xeon", "near(export…, ban…)/2"]),
        ("电源评测", "这款电源做工扎实。输出稳定。内部芯片来自国产厂商。", []),
        ("电源评测", "芯片来自国产厂商。输出稳定。", ["芯片"]),
        ("Intel Xeon", "", ["Intel", "Xeon"]),
    ],
)
def test_where_weak_hits_count(title: str, lede: str, counted: list[str]) -> None:
    found = matcher().match({"title": title, "lede": lede})
    assert sorted(h.pattern for m in found for h in m.hits) == sorted(counted)


def test_hits_that_did_not_count_are_explained() -> None:
    [verdict] = matcher().explain({"title": "Router review", "lede": REVIEW})
    assert verdict.match is None
    assert [d.hit.pattern for d in verdict.discounted] == ["Intel", "Xeon"]
    assert verdict.discounted[0].reason.startswith("weak word 'Intel' did not count: only in the lede's 3rd sentence")
    assert "weak word 'Intel' did not count" in verdict.reason
    assert all(REVIEW[d.hit.span[0] : d.hit.span[1]] == d.hit.text for d in verdict.discounted)


def test_a_match_keeps_its_uncounted_weak_hits_apart() -> None:
    lede = "Xeon chips ship. The firm said so. Intel declined to comment."
    [m] = matcher().match({"title": "Router review", "lede": lede})
    assert [h.pattern for h in m.hits] == ["Xeon"]
    assert [(d.hit.pattern, d.hit.field) for d in m.discounted] == [("Intel", "lede")]
    assert "3rd sentence" in m.discounted[0].reason
    assert set(to_json(m)) == {"watchlist", "score", "hits"}  # the jsonl shape of DESIGN.md


def test_weak_means_nothing_without_the_key() -> None:
    plain = LIST.replace(", weak: true", "")
    assert [m.watchlist for m in matcher(plain).match({"title": "Router review", "lede": REVIEW})] == ["chips"]


def test_weak_is_in_the_schema_and_checked() -> None:
    term = json_schema()["$defs"]["TermSpec"]["properties"]
    assert term["weak"]["type"] == "boolean"
    w, errors = parse_watchlist("id: x\nany:\n  - {term: Intel, weak: 'yes please'}\n", path=Path("x.yaml"))
    assert w is None and errors and errors[0].line == 3


@pytest.mark.parametrize(
    ("text", "sentences"),
    [
        ("One. Two. Three.", ["One.", " Two.", " Three."]),
        ("The U.S. Commerce Department said so. Then more.", ["The U.S. Commerce Department said so.", " Then more."]),
        ("Intel Corp. said it would. Fine.", ["Intel Corp. said it would.", " Fine."]),
        ("Prices rose 2.5 percent. Ok", ["Prices rose 2.5 percent.", " Ok"]),
        ("He said “stop.” Then left.", ["He said “stop.”", " Then left."]),
        ("no capital. next", ["no capital. next"]),
        ("第一句。第二句！第三句", ["第一句。", "第二句！", "第三句"]),
        ("Is it? Yes! 好。", ["Is it?", " Yes!", " 好。"]),
        # a line break ends a sentence, and so does a literal "\n" of scraped text
        ("first line\nsecond line", ["first line\n", "second line"]),
        ("对话一\\n高通目前也在寻求收购", ["对话一\\n", "高通目前也在寻求收购"]),
        ("句一。\n\n句二", ["句一。", "\n\n句二"]),
        # a Chinese semicolon joins sentences of their own; an English one does not end a sentence
        ("风险有三：一是频谱；二是投资;三是芯片", ["风险有三：一是频谱；", "二是投资;", "三是芯片"]),
        ("prices rose; chips fell", ["prices rose; chips fell"]),
        # a 【heading】 starts a section of a digest or a web page
        ("把握投资先机【资讯导读】化合物半导体成重心", ["把握投资先机", "【资讯导读】化合物半导体成重心"]),
    ],
)
def test_sentence_ends(text: str, sentences: list[str]) -> None:
    cuts = [0, *sentence_ends(text), len(text)]
    assert [text[a:b] for a, b in zip(cuts, cuts[1:], strict=False)] == sentences
