"""What a busy topic has said already (bot.stories.background), and how the index uses it: a report similar to
the items of two stories or more joins only one it shares a word of the day's news with."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.stories import Settings, StoryIndex, story_text
from bot.stories.background import Background

T0 = datetime(2026, 2, 17, 12, 0, tzinfo=UTC)
WINDOW, RECENT = timedelta(hours=72), timedelta(hours=12)

# The day before: a preview of the talks (the topic's words: Iran, US, Geneva, second round, nuclear talks).
PREVIEW = story_text("Iran and US to hold second round of nuclear talks in Geneva",
                     "Iranian and American negotiators will meet in Geneva on Tuesday for a second round of nuclear "
                     "talks, Iran's foreign minister said.")
# This morning, two stories of one wire on the topic (a feed never joins its own items: two stories).
DRILLS = story_text("Iran closes Strait of Hormuz for drills during nuclear talks in Geneva",
                    "Iran closed the Strait of Hormuz for military drills as its negotiators held a second round of "
                    "nuclear talks with the US in Geneva.")
WATCHDOG = story_text("UN nuclear watchdog chief meets Iran's foreign minister ahead of talks",
                      "Rafael Grossi met Abbas Araghchi on Monday, a day before Iran's second round of nuclear talks "
                      "with the US in Geneva.")
# This afternoon, the outcome, twice: as close to the morning's stories as to each other in the topic's words.
AGREED = story_text("Iran and US agree guiding principles at Geneva nuclear talks",
                    "Iran and the US agreed on a set of guiding principles at the second round of nuclear talks in "
                    "Geneva, Iran's foreign minister said.")
AGREED_TOO = story_text("US and Iran reach guiding principles in second round of nuclear talks",
                        "Negotiators agreed guiding principles for a deal in the second round of nuclear talks between "
                        "Iran and the US in Geneva.")


def busy_day(index: StoryIndex) -> tuple[str, str]:
    """The morning's two stories, then the two reports of the outcome: their stories."""
    index.add("drills", "ABC", DRILLS, T0 - timedelta(hours=3))
    index.add("watchdog", "ABC", WATCHDOG, T0 - timedelta(hours=2))
    return (index.add("agreed", "Dawn", AGREED, T0).story_id,
            index.add("agreed-too", "Al Jazeera", AGREED_TOO, T0 + timedelta(hours=1)).story_id)


def test_on_a_busy_topic_only_the_days_news_ties_reports_together() -> None:
    index = StoryIndex()
    index.observe(PREVIEW, T0 - timedelta(hours=30))  # an item no watchlist matched: seen all the same
    assert busy_day(index) == ("agreed", "agreed")  # its own story, and the second report joins it ("guiding ...")


def test_without_the_topics_earlier_words_the_outcome_joins_a_morning_story() -> None:
    """The same reports with nothing seen the day before: every shared word counts as news."""
    assert busy_day(StoryIndex()) == ("drills", "drills")


def test_words_seen_less_than_recent_before_are_still_news() -> None:
    index = StoryIndex()
    index.observe(PREVIEW, T0 - timedelta(hours=6))  # this morning: the same news day
    assert busy_day(index) == ("drills", "drills")
    index = StoryIndex(dataclasses.replace(Settings(), recent=timedelta(hours=4)))
    index.observe(PREVIEW, T0 - timedelta(hours=6))
    assert busy_day(index) == ("agreed", "agreed")


def test_a_story_alone_on_its_topic_is_joined_on_similarity_as_before() -> None:
    index = StoryIndex()
    index.observe(PREVIEW, T0 - timedelta(hours=30))
    index.add("drills", "ABC", DRILLS, T0 - timedelta(hours=3))
    assert index.add("agreed", "Dawn", AGREED, T0).story_id == "drills"  # one candidate story: nothing to tell apart


def test_the_background_knows_the_words_of_reports_from_recent_to_the_window_before() -> None:
    background = Background(WINDOW, RECENT)
    background.add(["iran", "talk"], T0 - timedelta(hours=80))  # before the window
    background.add(["iran", "geneva"], T0 - timedelta(hours=30))
    background.add(["hormuz"], T0 - timedelta(hours=3))
    assert background.known(["iran", "talk", "geneva", "hormuz", "principle"], T0) == {"iran", "geneva"}
    assert background.known(["hormuz"], T0 + timedelta(hours=16)) == {"hormuz"}  # by then, yesterday's news
    assert background.hours == 2  # the report older than the window when it came was not kept


def test_a_report_shown_twice_changes_nothing_and_memory_is_bounded_by_the_window() -> None:
    background = Background(WINDOW, RECENT)
    for _ in range(2):  # read again from the store, or placed after it was seen
        background.add(["iran", "talk"], T0 - timedelta(hours=30))
    assert background.known(["iran", "talk", "gaza"], T0) == {"iran", "talk"}
    for hour in range(200):  # a week and more of reports, an hour apart
        background.add([f"w{hour}"], T0 + timedelta(hours=hour))
    assert background.hours <= WINDOW / timedelta(hours=1) + 2
    assert background.known(["iran", "w0", "w150"], T0 + timedelta(hours=200)) == {"w150"}


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.integers(0, 9), st.tuples(st.frozensets(st.sampled_from("abcdefgh"), max_size=4),
                                                     st.integers(0, 90)), max_size=8),
       st.lists(st.integers(0, 9), max_size=30), st.integers(0, 14))
@example({0: (frozenset("a"), 0), 1: (frozenset("b"), 12)}, [0, 1], 0)  # "a" 12 h before: the cut's hour
@example({0: (frozenset("a"), 0), 1: (frozenset("b"), 72)}, [0, 1], 0)  # "a" 72 h before: the window's hour
def test_what_the_background_knows_is_every_report_of_the_hours_in_range(
        reports: dict[int, tuple[frozenset[str], int]], order: list[int], later: int) -> None:
    """Whatever the order reports come in (replays, archives, hours dropped as the newest moves on): asked at or after
    the newest report, the background knows the words of the reports of the whole hours from the one holding
    ``window`` before to the last one that ends ``recent`` before."""
    background = Background(WINDOW, RECENT)
    added = [key for key in order if key in reports]
    for key in added:
        words, hour = reports[key]
        background.add(words, T0 + timedelta(hours=hour))
    newest = max((reports[key][1] for key in added), default=0)
    asked = T0 + timedelta(hours=newest + later, minutes=30)
    first, last = (asked - WINDOW).replace(minute=0), (asked - RECENT).replace(minute=0) - timedelta(hours=1)
    expected = set().union(*(reports[key][0] for key in set(added)
                             if first <= T0 + timedelta(hours=reports[key][1]) <= last))
    assert background.known("abcdefgh", asked) == expected
