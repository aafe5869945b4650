"""Language-neutral facts and shingles: one fact, many notations."""

from __future__ import annotations

import pytest

from bot.stories.features import features
from bot.stories.tokens import shingles


@pytest.mark.parametrize(
    ("english", "chinese", "fact"),
    [
        ("a $65 billion deal", "650亿美元的交易", "n:6.5e+10"),
        ("2.5 million users", "250万用户", "n:2.5e+06"),
        ("worth €13.2 billion", "达132亿欧元", "n:1.32e+10"),
        ("7.44 trillion won", "7.44万亿韩元", "n:7.44e+12"),
        ("cut 1,700 jobs", "裁员1700人", "n:1.7e+03"),
        ("up 43.1%", "增长43.1%", "p:43.1"),
        ("up 9.9 percent", "上涨9.9%", "p:9.9"),
        ("from July 23", "自7月23日起", "d:07-23"),
        ("in the first quarter", "第一季度", "q:1"),
        ("fourth-quarter bookings", "第四季订单", "q:4"),
        ("ASML said", "阿斯麦表示", "e:asml"),
        ("ASML said", "艾司摩爾表示", "e:asml"),
        ("the Entity List", "实体清单", "e:entity-list"),
        ("Nvidia's chips", "輝達晶片", "e:nvidia"),
        ("TSMC plans", "台積電計畫", "e:tsmc"),
        ("the Commerce Department", "美国商务部", "e:us-commerce"),
        ("China's Commerce Ministry", "中国商务部", "e:mofcom"),
        ("its H20 chips", "H20芯片", "c:h20"),
    ],
)
def test_one_fact_in_two_languages(english: str, chinese: str, fact: str) -> None:
    assert fact in features(english)
    assert fact in features(chinese)


@pytest.mark.parametrize(
    ("text", "absent"),
    [
        ("tell us what you think", "e:us"),  # a pronoun, not the country
        ("an arm of the company", "e:arm"),
        ("in 2026 the plan", "n:2.03e+03"),  # a year is no fact
        ("2 people", "n:2"),  # small numbers tie unrelated reports
        ("Pharmasml is no company", "e:asml"),  # a name inside a longer word
        ("迈络思科技", "e:cisco"),  # 思科 inside 迈络思科技: the longer name wins
        ("美国商务部", "e:mofcom"),  # the US department, not China's ministry
    ],
)
def test_what_is_not_a_fact(text: str, absent: str) -> None:
    assert absent not in features(text)


def test_traditional_and_simplified_give_the_same_shingles() -> None:
    assert shingles("台積電宣布加碼投資半導體") == shingles("台积电宣布加码投资半导体")


def test_accents_and_plurals_do_not_split_a_word() -> None:
    assert {"peru", "congress", "oust", "jose", "jeri"} <= shingles("Peru's Congress ousts José Jerí")
    assert "charge" in shingles("charges") and "charge" in shingles("charge")
