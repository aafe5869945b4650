"""Pair precision and recall of StoryIndex on the labeled story set, at the goals of issue 13.

The reports go through one index in arrival order, as a poll would add them. Measured (default
Settings): same-script precision 0.864, recall 0.878; English/Chinese precision 1.000, recall 0.966.
Same-script pairs miss both goals: the set's hard negatives include 16 corpus reports of one topic on
the same days (the Iran talks of 16-18 February 2026, Ukraine's Geneva talks, Gaza, Hungary,
Bangladesh), and reports of the days before and after one meeting (a preview and the outcome; two
statements on Monday and an action on Tuesday) share the words of the topic and little else. No
threshold and slope meets both goals on this set (bench/stories.py --sweep): the evidence of bag-of-words
similarity runs out there. The goals are expected failures; floors guard what the engine does now.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.stories import Settings, StoryIndex, story_text
from tests.stories.labeled import CORPUS, Report, Score, load, mistakes, score


def cluster(reports: list[Report], settings: Settings) -> dict[str, str]:
    index = StoryIndex(settings)
    return {r.id: index.add(r.id, r.feed, story_text(r.title, r.lede), r.time, r.script).story_id for r in reports}


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    return load()


@pytest.fixture(scope="module")
def scores(reports: list[Report]) -> dict[str, Score]:
    stories = cluster(reports, Settings())
    return score(reports, lambda r: stories[r.id])


@pytest.mark.xfail(strict=True, reason="measured 0.878: a wrong join first takes the feed of a later right one")
def test_same_script_recall_meets_the_goal(scores: dict[str, Score]) -> None:
    assert scores["same"].recall >= 0.90, scores["same"]


@pytest.mark.xfail(strict=True, reason="measured 0.864: same-topic reports of the days around one meeting join")
def test_same_script_precision_meets_the_goal(scores: dict[str, Score]) -> None:
    assert scores["same"].precision >= 0.98, scores["same"]


def test_same_script_figures_hold_their_measured_floor(reports: list[Report], scores: dict[str, Score]) -> None:
    stories = cluster(reports, Settings())
    wrong = mistakes(reports, lambda r: stories[r.id])
    assert scores["same"].precision >= 0.86, wrong
    assert scores["same"].recall >= 0.87, wrong


def test_english_chinese_pairs_meet_the_goals(scores: dict[str, Score]) -> None:
    assert scores["en-zh"].precision >= 0.95, scores["en-zh"]
    assert scores["en-zh"].recall >= 0.60, scores["en-zh"]


def test_without_cross_language_no_english_report_joins_a_chinese_one(reports: list[Report]) -> None:
    stories = cluster(reports, dataclasses.replace(Settings(), cross_language=False))
    result = score(reports, lambda r: stories[r.id])
    assert result["en-zh"].tp == result["en-zh"].fp == 0
    assert result["same"].recall >= 0.87  # Traditional and Simplified reports still meet


def test_traditional_and_simplified_reports_of_one_story_meet(reports: list[Report]) -> None:
    stories = cluster(reports, Settings())
    hans_hant = [(a, b) for a in reports for b in reports
                 if a.group == b.group and a.feed != b.feed and (a.lang, b.lang) == ("zh-Hans", "zh-Hant")]
    joined = sum(stories[a.id] == stories[b.id] for a, b in hans_hant)
    assert len(hans_hant) >= 10
    assert joined / len(hans_hant) >= 0.90


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_with_the_corpus_as_background(reports: list[Report]) -> None:
    """The labeled reports among the 6,565 corpus items, all in one index by time (measured: same
    script 0.857 / 0.829, English/Chinese 1.000 / 0.966). Recall drops where an outlet ran a second
    item on a story first (BBC's Jesse Jackson gallery before its obituary): a feed never joins its
    own story twice, so its obituary founds another story."""
    from bot.feeds.parse import parse_feed
    from bot.items.normalize import normalize

    labeled = {(r.feed, r.title) for r in reports}
    rows = [(r.id, r.feed, story_text(r.title, r.lede), r.time, r.script) for r in reports]
    seen = set()
    for path in sorted(CORPUS.iterdir()):
        parsed = parse_feed(path.read_bytes(), url=str(path))
        for entry in parsed.entries:
            item = normalize(entry, feed_url=str(path), feed_title=parsed.title)
            if (item.feed_title, item.title) in labeled or item.identity in seen or item.published is None:
                continue
            seen.add(item.identity)
            rows.append((item.identity, item.feed_title, story_text(item.title, item.lede), item.published,
                         item.language))
    rows.sort(key=lambda row: row[3])
    index = StoryIndex()
    stories = {key: index.add(key, feed, text, at, lang).story_id for key, feed, text, at, lang in rows}
    result = score(reports, lambda r: stories[r.id])
    assert result["en-zh"].precision >= 0.95 and result["en-zh"].recall >= 0.60, result["en-zh"]
    assert result["same"].precision >= 0.85 and result["same"].recall >= 0.82, result["same"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is absent")
def test_a_first_poll_of_the_corpus(reports: list[Report]) -> None:
    """Every corpus item first seen at one instant, as a first poll of the 200 feeds places them, each with its
    publication time. Measured: 36 stories of more than one report, none spanning more than 3 days of publication
    (comparing first-seen times alone: 80, 39 of them reports published 3 to 236 days apart); the labeled corpus
    reports' same-script pairs 0.949 / 0.913 (first-seen times alone: 0.920 / 0.893)."""
    from bot.feeds.parse import parse_feed
    from bot.items.normalize import normalize

    labeled = {(r.feed, r.title): r.id for r in reports}
    index, now = StoryIndex(), datetime(2026, 2, 18, 6, tzinfo=UTC)
    stories: dict[str, str] = {}
    published: dict[str, list[datetime]] = {}
    for path in sorted(CORPUS.iterdir()):
        parsed = parse_feed(path.read_bytes(), url=str(path))
        for entry in parsed.entries:
            item = normalize(entry, feed_url=str(path), feed_title=parsed.title)
            if item.identity in stories:
                continue
            story = index.add(item.identity, item.feed_title, story_text(item.title, item.lede), now, item.language,
                              item.published).story_id
            stories[item.identity] = story
            if (item.feed_title, item.title) in labeled:
                stories[labeled[(item.feed_title, item.title)]] = story
            if item.published is not None:
                published.setdefault(story, []).append(item.published)
    spans = [max(times) - min(times) for times in published.values() if len(times) > 1]
    assert spans and max(spans) <= timedelta(days=3), max(spans)
    result = score([r for r in reports if r.source == "corpus"], lambda r: stories[r.id])
    assert result["same"].precision >= 0.94 and result["same"].recall >= 0.91, result["same"]
