"""The shipped watchlists on the labeled set: precision >= 0.95 and recall >= 0.90 on the tune split.

The hold-out split and the substring baseline are printed at the end of the run (conftest.py),
not asserted: the hold-out was not looked at while the rules were tuned.
"""

from __future__ import annotations

import pytest

from tests.watch.quality import LANGS, Score, items, macro, scores

LISTS = ("semiconductors", "asml", "export-controls")


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("watchlist", LISTS)
def test_tune_split(watchlist: str, lang: str) -> None:
    if not items():
        pytest.skip("no labeled set in tests/data/labeled")
    s = scores().get(("engine", "tune", watchlist, lang), Score())
    assert s.tp + s.fn >= 10, "too few positives to measure"
    assert s.precision >= 0.95, f"{watchlist} {lang}: precision {s.precision:.3f} ({s})"
    assert s.recall >= 0.90, f"{watchlist} {lang}: recall {s.recall:.3f} ({s})"


def test_engine_beats_the_substring_baseline_on_tune() -> None:
    s = scores()
    for w in LISTS:
        for lang in LANGS:
            engine, base = s[("engine", "tune", w, lang)], s[("baseline", "tune", w, lang)]
            assert engine.tp - engine.fp >= base.tp - base.fp, (w, lang, engine, base)


def test_goals_on_all_labeled_items() -> None:
    """Issue 17's goal on the whole labeled set (tune and hold-out): macro F1 >= 0.98 over the
    (watchlist, language) cells, and no cell's precision below 0.97 (each split is in the report)."""
    f1, least_precision = macro("all")
    assert f1 >= 0.98, f1
    assert least_precision >= 0.97, least_precision
