"""The shipped lists' weak words: a chip company named as a spec, or a part name, deep in a lede
of an unrelated story sends no alert; in the title, the first sentence or beside chip news it does."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest

from bot.watch import Matcher, load_rules

RULES = Path(__file__).resolve().parents[2] / "rules"


@cache
def matcher() -> Matcher:
    return Matcher(load_rules(RULES).watchlists)


LAPTOP = "The X1 is light. Its screen is bright. It runs an Intel Core Ultra 7 with 32 GB of DRAM."
ROUTER = "The router covers a flat easily. Setup takes minutes. Inside is a quad-core ARM Cortex-A53."
METER = "这款血压计外观简洁。测量结果准确。内部采用国产芯片和低功耗处理器。"
TV = "這款電視畫面細膩。音效普通。內建聯發科晶片與8GB記憶體。"


@pytest.mark.parametrize(
    ("title", "lede", "lists"),
    [
        ("ThinkPad X1 review: a fine keyboard", LAPTOP, []),
        ("Wi-Fi router review", ROUTER, []),
        ("这款血压计值得买吗", METER, []),
        ("電視評測：畫質出色", TV, []),
        ("Intel cuts prices of its laptop chips", LAPTOP, ["semiconductors"]),  # named in the title
        ("ThinkPad X1 review", "Intel Core Ultra 7 powers it. " + LAPTOP, ["semiconductors"]),  # first sentence
        ("ThinkPad X1 review", LAPTOP + " Its chipmaker expects more orders.", ["semiconductors"]),  # strong hit
        ("国产芯片出货量大增", METER, ["semiconductors"]),
        ("血压计评测", METER + "集成电路行业人士表示看好。", ["semiconductors"]),  # a strong hit (集成电路)
        ("血压计评测", METER + "半导体行业人士表示看好。", []),  # 半导体 is weak too: a fourth sentence
    ],
)
def test_weak_words_of_the_shipped_lists(title: str, lede: str, lists: list[str]) -> None:
    assert [m.watchlist for m in matcher().match({"title": title, "lede": lede})] == lists


def test_rules_test_says_why_a_spec_did_not_count() -> None:
    verdicts = {v.watchlist: v for v in matcher().explain({"title": "ThinkPad X1 review", "lede": LAPTOP})}
    semis = verdicts["semiconductors"]
    assert semis.match is None
    assert {d.hit.pattern for d in semis.discounted} == {"Intel", "DRAM"}
    assert "did not count: only in the lede's 3rd sentence" in semis.reason
