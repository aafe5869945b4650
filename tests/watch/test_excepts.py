"""Except phrases: a `near` word keeps only those that can hold it, and `rules check` names the ones that never apply."""

from __future__ import annotations

from pathlib import Path

from bot.watch import Matcher, Watchlist, except_warnings, load_rules, parse_watchlist
from bot.watch.excepts import can_hold, relevant
from bot.watch.model import Term

RULES = Path(__file__).resolve().parents[2] / "rules"


def _watchlist(text: str) -> Watchlist:
    w, errors = parse_watchlist(text, path=Path("rules/x.yaml"))
    assert w is not None, errors
    return w


def test_an_except_phrase_holds_a_word_that_it_contains_or_a_typo_of_a_long_latin_word() -> None:
    assert can_hold("出口", 90, "安全出口")
    assert not can_hold("出口", 90, "出入口")  # 出 入 口: no 出口 in it
    assert can_hold("Intel", None, "BIOS for Intel")  # case and folding as phrases are folded
    assert can_hold("semiconductor", 90, "semiconducter lab")  # a typo hit may lie inside it
    assert not can_hold("semiconductor", None, "semiconducter lab")  # not without typo tolerance
    assert not can_hold("chip", 90, "potato crisps")  # "chip" is too short for typos
    assert not can_hold("export", 90, "出口处")
    t = Term("出口", 90, excepts=("出口处", "紧急通道"))
    assert relevant(t).excepts == ("出口处",)
    assert relevant(Term("export", 90, excepts=("出口处",))).excepts == ()


def test_rules_check_names_an_except_phrase_that_never_applies() -> None:
    w = _watchlist("id: x\nany:\n  - {term: chip, except: [potato chip, potato crisps]}\n"
                   "  - near: [[出口, export], [禁令, ban]]\n    except: [出口处, 出入口]\n")
    assert except_warnings(w) == [
        "rules/x.yaml: watchlist 'x', any: except phrase 'potato crisps' of 'chip' does not hold its phrase, so it "
        "never applies; write the phrase around the word it should silence ('potato chip' for 'chip', 出口处 for 出口)",
        "rules/x.yaml: watchlist 'x', any: except phrase '出入口' of 'near(出口…, 禁令…)/4' does not hold a word of "
        "its lists, so it never applies; write the phrase around the word it should silence ('potato chip' for "
        "'chip', 出口处 for 出口)",
    ]


def test_a_latin_except_is_named_when_nothing_in_it_is_as_close_as_a_typo_may_be() -> None:
    """'germanium exports' for 'gallium' passed `rules check`: a typo-tolerant Latin phrase was thought to be able to
    hit in any Latin except phrase. A misspelling the phrase's typo tolerance takes still counts as holding it."""
    w = _watchlist("id: x\nany:\n  - {term: gallium, except: [germanium exports, galium prices]}\n")
    assert [line.split(": ")[2][:60] for line in except_warnings(w)] == [
        "except phrase 'germanium exports' of 'gallium' does not hold"]


def test_the_shipped_lists_have_no_except_phrase_that_never_applies() -> None:
    assert [line for w in load_rules(RULES).watchlists for line in except_warnings(w)] == []


def test_a_near_word_without_excepts_of_its_own_matches_as_before() -> None:
    w = _watchlist("id: x\nany:\n  - near: [[出口, export], [禁令, ban]]\n    within: 4\n    except: [出口处]\n")
    m = Matcher([w])
    assert [h.text for h in m.match({"title": "an export ban on chips"})[0].hits] == ["export ban"]
    assert [h.text for h in m.match({"title": "new exports ban"})[0].hits] == ["exports ban"]  # a typo hit still counts
    assert m.match({"title": "出口处设禁令"}) == []
    assert [h.text for h in m.match({"title": "出口禁令"})[0].hits] == ["出口禁令"]
