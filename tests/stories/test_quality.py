"""Pair precision and recall of StoryIndex on the labeled story sets, at the goals of issue 13.

The reports go through one index in arrival order, as a poll would add them. Measured (default Settings) on
tests/data/stories/stories.jsonl: same-script precision 0.991, recall 0.902 (tp 111, fp 1, fn 12), the same with
every corpus item of those days seen as well (``observe``, as the pipeline shows the index every new item, matched
or not, so that it knows what a busy topic had said: bot.stories.background); English/Chinese 1.000 / 0.966.
The wrong pair: Iran's meeting with the IAEA and the same day's "more realistic" statement, two events of one topic
that share its words, each the other's only candidate. The pairs missed: a report too short to pass the threshold
(CBS's "U.S. and Iran wrap up second round"), a report that came before its story's closer ones and founded its
own (NDTV's Bangladesh oath), a feed's second report of a story (Al-Monitor's Berlinale letter), and a report 6 h
later 0.001 short of the slope's bar (NYT's Spain probe).
How it got here: 0.864 / 0.878 with Jaccard and the slope; 0.871 / 0.878 (0.947 / 0.878 seen) with the busy-topic
rule; 0.991 / 0.902 either way once a preview never joins a report of the event (bot.stories.previews).

The blind hold-out (holdout.jsonl, labeled without running the index, not tuned on) says what that is worth on
reports the engine was not shaped by: 0.917 / 0.440 (tp 11, fp 1, fn 14), before and after the preview rule.
Its same-story pairs are mostly rewrites, the same event in other words ("X briefly hit by 'international
outages'" and "User Issues With X Appear to Have Resolved", Jaccard 0.13), which bag-of-words similarity does not
reach: recall is the open part of issue 13. Its goals on the hold-out are expected failures.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from bot.stories import Settings, StoryIndex, story_text
from tests.stories.labeled import CORPUS, HOLDOUT, Report, Score, load, mistakes, score


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


def test_same_script_recall_meets_the_goal(scores: dict[str, Score]) -> None:
    assert scores["same"].recall >= 0.90, scores["same"]


def test_same_script_precision_meets_the_goal(scores: dict[str, Score]) -> None:
    assert scores["same"].precision >= 0.98, scores["same"]


def test_same_script_figures_hold_their_measured_floor(reports: list[Report], scores: dict[str, Score]) -> None:
    stories = cluster(reports, Settings())
    wrong = mistakes(reports, lambda r: stories[r.id])
    assert scores["same"].precision >= 0.99, wrong
    assert scores["same"].recall >= 0.90, wrong


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


Row = tuple[str, str, str, datetime, str]  # key, feed, story text, news time, language


@pytest.fixture(scope="module")
def corpus_rows(reports: list[Report]) -> list[Row]:
    """The corpus items that are not labeled reports, each at its publication time."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS} (set WATCHBOT_CORPUS)")
    from bot.feeds.parse import parse_feed
    from bot.items.normalize import normalize

    labeled = {(r.feed, r.title) for r in reports}
    rows: list[Row] = []
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
    return rows


def test_with_the_corpus_as_background(reports: list[Report], corpus_rows: list[Row]) -> None:
    """The labeled reports among the 6,565 corpus items, all placed in one index by time (measured: same script
    0.990 / 0.813, English/Chinese 1.000 / 0.966; 0.962 / 0.813 before previews stayed apart from reports of their
    event, 0.857 / 0.829 before the index knew what a busy topic had said).
    Recall drops where an outlet ran a second item on a story first (BBC's Jesse Jackson gallery before its
    obituary): a feed never joins its own story twice, so its obituary founds another story."""
    rows = [(r.id, r.feed, story_text(r.title, r.lede), r.time, r.script) for r in reports] + corpus_rows
    rows.sort(key=lambda row: row[3])
    index = StoryIndex()
    stories = {key: index.add(key, feed, text, at, lang).story_id for key, feed, text, at, lang in rows}
    result = score(reports, lambda r: stories[r.id])
    assert result["en-zh"].precision >= 0.95 and result["en-zh"].recall >= 0.60, result["en-zh"]
    assert result["same"].precision >= 0.98 and result["same"].recall >= 0.81, result["same"]


def test_with_the_corpus_seen_but_not_placed(reports: list[Report], corpus_rows: list[Row]) -> None:
    """As the pipeline does it: the labeled reports placed (they are what watchlists matched), every corpus item
    of the same days only seen (``observe``: what the topics had said). Measured: same script 0.991 / 0.902, as with the
    labeled reports alone (0.947 / 0.878 before previews stayed apart from reports of their event), English/Chinese
    1.000 / 0.966."""
    events = sorted([(r.time, 1, r.id) for r in reports] + [(row[3], 0, n) for n, row in enumerate(corpus_rows)])
    by_id = {r.id: r for r in reports}
    index = StoryIndex()
    stories = {}
    for at, placed, key in events:
        if placed:
            r = by_id[str(key)]
            stories[r.id] = index.add(r.id, r.feed, story_text(r.title, r.lede), r.time, r.script).story_id
        else:
            row = corpus_rows[int(key)]
            index.observe(row[2], at)
    result = score(reports, lambda r: stories[r.id])
    assert result["en-zh"].precision >= 0.95 and result["en-zh"].recall >= 0.60, result["en-zh"]
    assert result["same"].precision >= 0.98 and result["same"].recall >= 0.90, result["same"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (set WATCHBOT_CORPUS)")
def test_a_first_poll_of_the_corpus(reports: list[Report]) -> None:
    """Every corpus item first seen at one instant, as a first poll of the 200 feeds places them, each with its
    publication time. Measured: 35 stories of more than one report (36 before previews stayed apart from reports of
    their event: NPR's newsletter "U.S. and Iran set for high-stakes nuclear talks" had joined "Trump says he will be
    involved indirectly"), none spanning more than 3 days of publication (comparing first-seen times alone: 80, 39 of
    them reports published 3 to 236 days apart); the labeled corpus reports' same-script pairs 0.989 / 0.913 (0.949 /
    0.913 before the index knew what a busy topic had said; first-seen times alone: 0.920 / 0.893)."""
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
    assert result["same"].precision >= 0.98 and result["same"].recall >= 0.91, result["same"]


@pytest.fixture(scope="module")
def holdout_scores() -> tuple[dict[str, Score], list[str]]:
    reports = load(HOLDOUT)
    stories = cluster(reports, Settings())
    return score(reports, lambda r: stories[r.id]), mistakes(reports, lambda r: stories[r.id])


def test_the_blind_holdout_holds_its_measured_floor(holdout_scores: tuple[dict[str, Score], list[str]]) -> None:
    scores, wrong = holdout_scores
    assert scores["same"].tp + scores["same"].fn >= 20  # the pairs are there to be found
    assert scores["same"].precision >= 0.90, wrong
    assert scores["same"].recall >= 0.44, wrong


@pytest.mark.xfail(strict=True, reason="measured 0.440: rewrites of one event share too few words")
def test_the_blind_holdout_meets_the_recall_goal(holdout_scores: tuple[dict[str, Score], list[str]]) -> None:
    assert holdout_scores[0]["same"].recall >= 0.90, holdout_scores[0]["same"]


@pytest.mark.xfail(strict=True, reason="measured 0.917: a shooting and the naming of its suspect join (1 of 12 pairs)")
def test_the_blind_holdout_meets_the_precision_goal(holdout_scores: tuple[dict[str, Score], list[str]]) -> None:
    assert holdout_scores[0]["same"].precision >= 0.98, holdout_scores[0]["same"]
