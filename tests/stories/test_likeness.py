"""Why two reports are one story, in words: bot.stories.likeness."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.stories import story_text
from bot.stories.likeness import likeness, most_alike, readable_fact
from bot.stories.similarity import profile, same_script_similarity

EN_1 = story_text("ASML wins licence to ship EUV tools to China",
                  "The Dutch government granted ASML an export licence worth $65 billion on July 23.")
EN_2 = story_text("Dutch let ASML ship EUV machines to China",
                  "ASML said on July 23 the Netherlands granted an export licence.")
ZH_1 = story_text("阿斯麦获得向中国出口光刻机的许可", "荷兰政府7月23日向阿斯麦发放价值650亿美元的出口许可证。")
ZH_2 = story_text("荷蘭允許阿斯麥向中國出口光刻機", "阿斯麥表示，荷蘭政府批准了出口許可。")  # Traditional
OTHER = story_text("TSMC opens a fab in Kumamoto", "The plant makes 12nm chips for Sony and Denso.")


def test_same_language_names_first_then_the_shared_words_as_written() -> None:
    like = likeness(EN_2, "en", EN_1, "en")
    assert like.similarity == round(same_script_similarity(profile(EN_2, "en"), profile(EN_1, "en")), 2) > 0.3
    assert not like.across
    assert like.shared[:4] == ("ASML", "China", "EUV", "export licence")  # names, alphabetically by id
    assert "Jul 23" in like.shared and "23" not in like.shared  # the date once, not its day as a number too
    assert "granted" in like.shared and "ship" in like.shared
    assert "asml" not in like.shared and "dutch" not in like.shared  # a shared name is not said again as a word


def test_chinese_shares_whole_runs_and_traditional_meets_simplified() -> None:
    like = likeness(ZH_2, "zh", ZH_1, "zh")
    assert "ASML" in like.shared and "lithography" in like.shared
    assert "荷兰政府" in like.shared  # one run, folded to Simplified, not the pairs 荷兰 / 兰政 / 政府
    assert not any(len(s) == 2 and s in "荷兰政府" for s in like.shared)


def test_across_languages_only_the_facts_count_and_read_as_people_write_them() -> None:
    like = likeness(ZH_1, "zh", EN_1, "en")
    assert like.across and like.similarity > 0
    assert set(like.shared) >= {"ASML", "65 billion", "Jul 23"}
    assert all(not any("\u4e00" <= c <= "\u9fff" for c in s) for s in like.shared)  # facts, no words


def test_each_report_after_the_first_names_the_other_one_it_is_most_alike() -> None:
    alike = most_alike([(EN_1, "en"), (OTHER, "en"), (EN_2, "en")])
    assert alike[0] is None  # the story's first report
    assert alike[1] is None  # alike none of the others
    assert alike[2] is not None and alike[2].index == 0 and not alike[2].likeness.across
    # Across languages the facts' Jaccard is compared with the words', as the story index compares them
    alike = most_alike([(EN_1, "en"), (ZH_1, "zh"), (EN_2, "en")])
    assert alike[1] is not None and alike[1].index == 0 and alike[1].likeness.across
    assert alike[2] is not None and alike[2].index == 1 and alike[2].likeness.similarity == 0.67


@pytest.mark.parametrize(
    ("fact", "text"),
    [("e:asml", "ASML"), ("e:us", "United States"), ("n:6.5e+10", "65 billion"), ("n:1.2e+12", "1.2 trillion"),
     ("n:5e+06", "5 million"), ("n:800", "800"), ("p:9.9", "9.9%"), ("d:07-23", "Jul 23"), ("q:1", "Q1"),
     ("c:h20", "h20"), ("e:no-such-entity", "no-such-entity")],
)
def test_a_fact_reads_as_people_write_it(fact: str, text: str) -> None:
    assert readable_fact(fact) == text


def test_the_most_alike_report_may_come_later_in_the_list() -> None:
    """Listed by publication time, the report that tied one to the story may be published after it."""
    alike = most_alike([(OTHER, "en"), (EN_2, "en"), (EN_1, "en")])
    assert alike[1] is not None and alike[1].index == 2


PIECES = ["ASML", "阿斯麦", "阿斯麥", "export licence", "出口许可", "$65 billion", "650亿美元", "July 23", "7月23日", "Q1",
          "H20", "9.9%", "China", "中国", "talks", "talk", " ", "\n", ", ", "the", "s", "-", "荷兰政府", "ﬁ"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
       st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
       st.sampled_from(["en", "zh"]), st.sampled_from(["en", "zh"]))
def test_likeness_is_symmetric_in_its_similarity_and_says_something_when_alike(
        a: str, b: str, la: str, lb: str) -> None:
    ab, ba = likeness(a, la, b, lb), likeness(b, lb, a, la)
    assert ab.similarity == ba.similarity and ab.across == ba.across == (la != lb)
    assert 0 <= ab.similarity <= 1
    assert not ab.similarity or ab.shared  # a similarity above 0 comes from something shared, and it is named
