"""The labeled story set itself: shape, counts, scripts, and that corpus reports really are in the corpus."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import opencc
import pytest

from tests.stories.labeled import CORPUS, HOLDOUT, Report, kind, load, pairs

WINDOW = timedelta(hours=72)


@pytest.fixture(scope="module")
def reports() -> list[Report]:
    return load()


@pytest.fixture(scope="module")
def holdout() -> list[Report]:
    return load(HOLDOUT)


@pytest.mark.parametrize("which", ["set", "holdout"])
def test_ids_are_unique_and_fields_are_set(reports: list[Report], holdout: list[Report], which: str) -> None:
    chosen = reports if which == "set" else holdout
    assert len({r.id for r in chosen}) == len(chosen)
    for r in chosen:
        assert r.id.startswith(r.group + "/"), r.id
        assert r.lang in ("en", "zh-Hans", "zh-Hant"), r.id
        assert r.source in ("corpus", "written"), r.id
        assert r.title.strip() and r.lede.strip() and r.feed.strip(), r.id
        assert r.time.tzinfo is not None, r.id
        assert len(r.lede) <= 400, r.id  # title and lede only, never a body


def test_enough_positive_pairs_and_hard_negatives(reports: list[Report]) -> None:
    counts: Counter[str] = Counter()
    for a, b in pairs(reports):
        if a.group == b.group:
            counts["positive " + kind(a, b)] += 1
            if {a.lang, b.lang} == {"zh-Hans", "zh-Hant"}:
                counts["positive hant-hans"] += 1
            assert abs(a.time - b.time) <= WINDOW, (a.id, b.id)
        elif a.topic == b.topic and abs(a.time - b.time) <= WINDOW:
            counts["hard negative"] += 1
            counts["hard negative " + kind(a, b)] += 1
    assert counts["positive same"] >= 60
    assert counts["positive en-zh"] >= 20
    assert counts["positive hant-hans"] >= 10
    assert counts["hard negative"] >= 60
    assert counts["hard negative en-zh"] >= 20


def test_groups_with_a_report_in_each_language_are_written(reports: list[Report]) -> None:
    # The corpus holds no English/Chinese pair: every such pair is written (and marked so).
    by_group: dict[str, set[str]] = {}
    for r in reports:
        by_group.setdefault(r.group, set()).add(r.script)
    for r in reports:
        if by_group[r.group] == {"en", "zh"}:
            assert r.source == "written", r.id


def test_chinese_reports_are_in_their_script(reports: list[Report]) -> None:
    # t2s also rewrites a few characters Simplified text keeps in names (昇腾 -> 升腾): count them.
    t2s = opencc.OpenCC("t2s")
    for r in reports:
        text = r.title + r.lede
        changed = sum(a != b for a, b in zip(text, t2s.convert(text), strict=True))
        if r.lang == "zh-Hant":
            assert changed >= 3, r.id
        elif r.lang == "zh-Hans":
            assert changed <= 2, r.id


def test_the_holdout_is_apart_from_the_set_with_pairs_of_both_kinds(reports: list[Report],
                                                                    holdout: list[Report]) -> None:
    assert not {(r.feed, r.title) for r in reports} & {(r.feed, r.title) for r in holdout}
    positive = sum(a.group == b.group for a, b in pairs(holdout))
    negative = sum(a.group != b.group and a.topic == b.topic and abs(a.time - b.time) <= WINDOW
                   for a, b in pairs(holdout))
    assert positive >= 20 and negative >= 60, (positive, negative)
    for r in holdout:
        assert r.source == "corpus", r.id  # copied, never written: the blind set is real reporting only


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"corpus not found at {CORPUS} (set WATCHBOT_CORPUS)")
def test_corpus_reports_are_copied_from_the_corpus(reports: list[Report], holdout: list[Report]) -> None:
    from bot.feeds.parse import parse_feed
    from bot.items.normalize import normalize

    wanted = {(r.feed, r.title) for r in reports + holdout if r.source == "corpus"}
    found = set()
    for path in sorted(CORPUS.iterdir()):
        parsed = parse_feed(path.read_bytes(), url=str(path))
        for entry in parsed.entries:
            item = normalize(entry, feed_url=str(path), feed_title=parsed.title)
            found.add((item.feed_title, item.title))
    assert wanted - found == set()
