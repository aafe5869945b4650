"""A preview of an event and a report of the event stay apart (bot.stories.previews)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.stories import StoryIndex, story_text
from bot.stories.previews import looks_ahead
from bot.stories.similarity import profile
from bot.watch.text import fold

T0 = datetime(2026, 2, 17, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(("title", "ahead"), [
    ("U.S. and Iran to hold a second round of nuclear talks in Geneva", True),
    ("US and Iran to meet for second round of nuclear talks", True),
    ("Expectations are low for the latest US-brokered talks between Russia and Ukraine", True),
    ("Trump Says 'Massive Armada' Heading to Iran", True),
    ("Ramadan to begin Wednesday in Saudi Arabia", True),
    ("Rev. Jesse Jackson has died. And, U.S. and Iran set for high-stakes nuclear talks", True),
    ("美伊即将举行第二轮核谈判", True),
    ("美伊即將舉行第二輪核談判", True),  # Traditional, folded to Simplified
    ("Iran says 'guiding principles' agreed with US at nuclear talks", False),
    ("First day of Russia-Ukraine peace talks ends in Geneva", False),
    ("Nvidia says US will require licence for H20 chip exports to China", False),  # "X says it will" is news
    ("Spain to investigate big tech over AI child abuse imagery", False),  # a decision, not an event to come
    ("Peru's Congress removes interim President Jerí", False),
    ("美伊达成核谈判指导原则", False),
    ("美国出口管制新规将于下月生效", False),  # the rule is the news, not its date
])
def test_a_title_looks_ahead_when_it_announces_an_event_to_come(title: str, ahead: bool) -> None:
    assert looks_ahead(fold(title).text) is ahead
    assert profile(story_text(title, "")).ahead is ahead


PREVIEW = story_text("U.S. and Iran to hold a second round of nuclear talks in Geneva",
                     "The second round of talks in Geneva about Iran's nuclear program takes place as the United States "
                     "ramps up its military presence in the Middle East.")
PREVIEW2 = story_text("US and Iran to meet for second round of nuclear talks in Geneva",
                      "Representatives for the U.S. and Iran will meet in Geneva for a second round of nuclear talks as "
                      "the United States ramps up its military presence in the Middle East.")
OUTCOME = story_text("Iran nuclear talks in Geneva end second round without breakthrough",
                     "The second round of talks in Geneva about Iran's nuclear program ended without a breakthrough as "
                     "the United States ramps up its military presence in the Middle East.")
OUTCOME2 = story_text("Second round of Iran nuclear talks in Geneva ends without breakthrough",
                      "Talks in Geneva about Iran's nuclear program ended their second round without a breakthrough, "
                      "as the United States ramps up its military presence in the Middle East.")


def test_a_preview_and_a_report_of_the_event_found_two_stories_however_alike() -> None:
    index = StoryIndex()
    preview = index.add("npr", "NPR", PREVIEW, T0)
    outcome = index.add("bbc", "BBC", OUTCOME, T0 + timedelta(hours=9))
    assert preview.new and outcome.new, outcome
    assert profile(PREVIEW).shingles & profile(OUTCOME).shingles  # alike: only the rule keeps them apart
    # Each still meets its own kind from other outlets.
    assert index.add("abc", "ABC", PREVIEW2, T0 + timedelta(hours=1)).story_id == "npr"
    assert index.add("dw", "DW", OUTCOME2, T0 + timedelta(hours=10)).story_id == "bbc"


def test_without_the_rule_the_two_would_have_joined() -> None:
    """The texts above are similar enough to join: the rule, not the threshold, keeps them apart."""
    index = StoryIndex()
    index.add("bbc", "BBC", OUTCOME, T0)
    assert index.add("dw", "DW", OUTCOME.replace("end second round", "wrap up second round"),
                     T0 + timedelta(hours=1)).story_id == "bbc"
    neutral = PREVIEW.replace("to hold a second round", "hold a second round")
    index = StoryIndex()
    index.add("npr", "NPR", neutral, T0)
    assert index.add("bbc", "BBC", OUTCOME, T0 + timedelta(hours=9)).story_id == "npr"


def test_a_preview_still_tells_that_a_topic_is_busy() -> None:
    """A report alike to a preview and to a report of the event a day before is on a busy topic: it must share a word
    of the day's news with that report (bot.stories.background), as if the preview were any other story."""

    def a_day_later(with_preview: bool) -> str:
        index = StoryIndex()
        index.add("bbc", "BBC", OUTCOME, T0 - timedelta(hours=20))
        if with_preview:
            index.add("npr", "NPR", PREVIEW, T0)
        return index.add("dw", "DW", OUTCOME2, T0 + timedelta(hours=4)).story_id

    assert a_day_later(with_preview=False) == "bbc"
    assert a_day_later(with_preview=True) == "dw"  # OUTCOME2 has no word that OUTCOME had not used
