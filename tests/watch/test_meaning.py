"""Folding that keeps meaning (issue 17 point 2): a Traditional phrase whose folded form is a
different everyday Simplified word matches only as written; `rules check` gets a warning."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.watch import Matcher, load_rules, parse_watchlist
from bot.watch.meaning import COMMON_WORDS, fold_warnings, other_word

RULES = Path(__file__).resolve().parents[2] / "rules"


@pytest.mark.parametrize(
    ("phrase", "word"),
    [
        ("小醜", "小丑"),  # "little ugly one" folds to "clown"
        ("髮布", "发布"),  # 髮 is hair; 发布 (publish) is written 發布
        ("穀歌", "谷歌"),  # 穀 is grain; Google is 谷歌 in Traditional too
        ("鬆樹", "松树"),  # 鬆 is loose; the pine is 松樹
        ("隻要", "只要"),
        # The same word in Traditional (folding is what these need), or no common word at all:
        ("發布", None),
        ("發佈", None),
        ("半導體", None),
        ("麵包", None),
        ("後台", None),
        ("週末", None),
        ("記憶體", None),
        ("小丑", None),  # already Simplified
        ("ASML", None),
        ("艾司摩爾", None),
    ],
)
def test_other_word(phrase: str, word: str | None) -> None:
    assert other_word(phrase) == word


def test_the_common_words_are_simplified_words() -> None:
    assert len(COMMON_WORDS) > 300
    assert all(len(w) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in w) for w in COMMON_WORDS)


LIST = "id: toys\nany:\n  - 小醜\n  - 樂高\n  - {near: [[穀歌], [玩具]], within: 3}\n"


def matcher() -> Matcher:
    w, errors = parse_watchlist(LIST, path=Path("rules/toys.yaml"))
    assert w is not None, errors
    return Matcher([w])


@pytest.mark.parametrize(
    ("title", "hits"),
    [
        ("新品小醜公仔上市", ["小醜"]),  # as written: hits
        ("马戏团的小丑退休了", []),  # the everyday word "clown": no hit
        ("馬戲團的小丑退休了", []),  # in Traditional text too
        ("乐高新品", ["樂高"]),  # an ordinary phrase still folds
        ("穀歌玩具", ["near(穀歌…, 玩具…)/3"]),
        ("谷歌玩具", []),
    ],
)
def test_such_phrases_match_only_as_written(title: str, hits: list[str]) -> None:
    assert [h.pattern for m in matcher().match({"title": title}) for h in m.hits] == hits


def test_rules_check_warns_once_per_phrase() -> None:
    w, _ = parse_watchlist(LIST + "none:\n  - 小醜\n", path=Path("rules/toys.yaml"))
    assert w is not None
    lines = fold_warnings(w)
    assert len(lines) == 2
    assert lines[0].startswith("rules/toys.yaml: watchlist 'toys', any: phrase '小醜' folds to '小丑'")
    assert "matches only as written" in lines[0] and "穀歌" in lines[1]


def test_the_shipped_lists_write_their_one_such_phrase_as_written() -> None:
    """昇腾 (Huawei Ascend) folds to 升腾 ("rise", as smoke does): it must match only as written, and the shipped list
    says so with case: true, so that a newcomer's first `rules check` has no warning of it."""
    watchlists = load_rules(RULES).watchlists
    assert [line for w in watchlists for line in fold_warnings(w)] == []
    (semis,) = [w for w in watchlists if w.id == "semiconductors"]
    assert Matcher([semis]).match({"title": "华为昇腾芯片出货", "lede": ""})
    assert not Matcher([semis]).match({"title": "烟雾升腾", "lede": ""})
    w, _ = parse_watchlist(LIST.replace("小醜", "{term: 小醜, case: true}"), path=Path("rules/toys.yaml"))
    assert w is not None and not any("小醜" in line for line in fold_warnings(w))
