"""Suggestions from 👍/👎 on a small labeled scenario: each edit removes judged 👎, keeps 👍, says what else it drops."""

from __future__ import annotations

from pathlib import Path

from bot.watch import Matcher, parse_watchlist
from bot.watch.suggest import EXCEPT, NONE, WEAK, Edit, JudgedItem, apply, suggest

RULES = """\
id: chips
any:
  - chip
  - semiconductor
  - {term: Intel, case: true}
"""
WL = parse_watchlist(RULES, path=Path("chips.yaml"))[0]
assert WL is not None

# (title, lede, verdict): what a reader of a chip-industry watchlist said about each alert
LABELED = [
    ("The best potato chip brands of the year, ranked", "We tasted forty bags.", "down"),
    ("Potato chip maker recalls salted snacks", "The recall covers three states.", "down"),
    ("Why this potato chip costs more now", "Oil prices doubled in a year.", "down"),
    ("Mesh router review: fast and quiet", "The router is compact. It runs an Intel Atom processor inside.", "down"),
    ("Gaming laptop review", "The screen is bright. Battery life is long. It uses an Intel Core CPU.", "down"),
    ("Intel opens a chip plant in Ohio", "The semiconductor plant cost 20 billion dollars.", "up"),
    ("TSMC chip output rises", "Foundry revenue grew 30 percent.", "up"),
    ("Samsung semiconductor profit jumps", "Memory prices rose.", "up"),
]
STORED = [("s1", "Nvidia chip sales soar", "Data centre demand."),
          ("s2", "Intel Core Ultra launch", "Intel said the chips ship in May."),
          ("s3", "Chipmaker shares fall", "A semiconductor index fell 2 percent.")]


def judged() -> list[JudgedItem]:
    return [JudgedItem(f"j{n}", title, lede, verdict, ("chips",)) for n, (title, lede, verdict) in enumerate(LABELED)]


def test_the_best_edit_removes_the_judged_noise_and_keeps_every_relevant_alert() -> None:
    found = suggest([WL], judged(), STORED)
    best = found[0]
    assert best.edit == Edit("chips", EXCEPT, pattern="chip", phrase="potato chip")
    assert len(best.effect.down_removed) == 3 and best.effect.down_total == 5
    assert best.effect.up_lost == () and best.effect.up_total == 3 and best.effect.others_lost == ()
    weak = next(s for s in found if s.edit == Edit("chips", WEAK, pattern="Intel"))
    assert sorted(weak.effect.down_removed) == ["Gaming laptop review", "Mesh router review: fast and quiet"]
    assert weak.effect.up_lost == ()  # "Intel" in a title still counts
    for s in found:  # every suggestion narrows: it never loses more 👍 than half the 👎 it removes
        assert len(s.effect.down_removed) > 2 * len(s.effect.up_lost)
    assert len({s.id for s in found}) == len(found)


def test_an_edit_that_would_drop_a_relevant_alert_is_not_suggested() -> None:
    items = judged() + [JudgedItem("u", "Potato chip prices hit chip stocks", "Snack makers fell.", "up", ("chips",))]
    found = suggest([WL], items, STORED)
    assert Edit("chips", EXCEPT, pattern="chip", phrase="potato chip") in [s.edit for s in found]  # 3 down, 1 up
    vetoes = [s for s in found if s.edit.kind == NONE]
    assert all(not s.effect.up_lost or len(s.effect.down_removed) > 2 for s in vetoes)


def test_ids_are_stable_and_name_the_edit() -> None:
    a, b = Edit("chips", WEAK, pattern="Intel"), Edit("chips", WEAK, pattern="Intel")
    assert a.id == b.id and len(a.id) == 7 and a.id != Edit("chips", WEAK, pattern="chip").id


def test_an_applied_edit_matches_like_the_edited_file() -> None:
    edited = apply(WL, Edit("chips", EXCEPT, pattern="chip", phrase="potato chip"))
    m = Matcher([edited])
    assert m.match({"title": "Best potato chip brands", "lede": ""}) == []
    assert m.match({"title": "A new chip from TSMC", "lede": ""}) != []
    vetoed = Matcher([apply(WL, Edit("chips", NONE, phrase="router"))])
    assert vetoed.match({"title": "Intel router chip", "lede": ""}) == []
