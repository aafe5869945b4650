"""`watchbot rules suggest [--apply ID]` and `watchbot rules lint` over a store with judged alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app.suggest import settle
from bot.errors import WatchbotError
from bot.items.normalize import Item
from bot.store.protocols import Judgment
from bot.store.sqlite import SqliteStore
from bot.watch import load_rules, parse_watchlist
from bot.watch.suggest import EXCEPT, Edit
from tests.watch.test_cli_watch import run
from tests.watch.test_suggest import LABELED, RULES, STORED

COMMENTED = "# Chip news only: a comment the edit must keep\n" + RULES.replace("  - chip\n", "  - chip   # the word\n")


def item(identity: str, title: str, lede: str) -> Item:
    return Item(identity=identity, url=f"https://example.org/{identity}", link=f"https://example.org/{identity}",
                guid=None, title=title, lede=lede, language="en", published=None, feed_url="https://example.org/feed")


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A store with the labeled scenario's items judged by one reader (and one item judged by two who disagree)."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "chips.yaml").write_text(COMMENTED, encoding="utf-8")
    now = datetime.now(UTC)
    store = SqliteStore(tmp_path / "w.db")
    labeled = [item(f"j{n}", title, lede) for n, (title, lede, _) in enumerate(LABELED)]
    store.items.add([*labeled, *(item(*s) for s in STORED)], feed_name="f", now=now - timedelta(days=1))
    for n, (_, _, verdict) in enumerate(LABELED):
        store.judgments.record(Judgment(chat_id=5, story=f"j{n}", user_id=5, verdict=verdict, identity=f"j{n}",
                                        watchlists=("chips",), hits={}, at=now))
    for user, verdict in ((7, "up"), (8, "down")):  # a tie on s1: it counts for neither
        store.judgments.record(Judgment(chat_id=-100, story="s1", user_id=user, verdict=verdict, identity="s1",
                                        watchlists=("chips",), hits={}, at=now))
    store.close()
    path = tmp_path / "config.toml"
    path.write_text(f'[storage]\nurl = "sqlite:///w.db"\n[rules]\npath = "{rules}"\n', encoding="utf-8")
    return path


def test_suggest_lists_edits_with_their_effect_and_apply_writes_one(config: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "suggest", "--config", str(config)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "10 👍/👎 taps; by majority 5 alerts 👎 and 3 👍 (ties left out); items stored in the last 30d: 11"
    best = Edit("chips", EXCEPT, pattern="chip", phrase="potato chip")
    assert lines[1] == (f"{best.id}  chips: 'chip' except 'potato chip': removes 3 of 5 👎, loses 0 of 3 👍, "
                        "drops 0 of 3 other matches")
    assert "    removes: Potato chip maker recalls salted snacks" in lines

    code, out, _ = run(["rules", "suggest", "--config", str(config), "--apply", best.id], capsys)
    assert code == 0 and f"(suggestion {best.id})" in out
    path = config.parent / "rules" / "chips.yaml"
    text = path.read_text(encoding="utf-8")
    assert text == COMMENTED.replace("  - chip   # the word\n", "  - {term: chip, except: [potato chip]}   # the word\n")
    assert load_rules(path.parent).errors == ()

    code, out, _ = run(["rules", "suggest", "--config", str(config)], capsys)
    assert best.id not in out and "potato" not in out  # the potato chips are gone; what is left is the rest
    assert "mark 'Intel' weak: removes 2 of 2 👎, loses 0 of 3 👍" in out


def test_apply_of_an_unknown_id_names_the_current_ones(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WatchbotError, match="no suggestion 'abcdef0'.*now: "):
        run(["rules", "suggest", "--config", str(config), "--apply", "abcdef0"], capsys)


def test_lint_lists_the_patterns_that_fire_alone(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "lint", "--config", str(config)], capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "11 items stored in the last 30d; matches: chips 11"
    chip = lines.index("      5  chips: 'chip', the only hit in 45% of the matches of chips")
    assert lines[chip + 1].startswith("         e.g. ") and len([x for x in lines[chip + 1:chip + 5]
                                                             if x.startswith("         e.g.")]) == 3
    assert "      3  chips: 'Intel', the only hit in 27% of the matches of chips" in lines  # two reviews and one launch


def test_the_majority_of_people_decides_and_a_tie_counts_for_neither() -> None:
    at = datetime(2024, 3, 27, tzinfo=UTC)

    def j(user: int, verdict: str, identity: str = "a") -> Judgment:
        return Judgment(chat_id=1, story=identity, user_id=user, verdict=verdict, identity=identity,
                        watchlists=("chips", "asml"), hits={}, at=at)

    verdicts = settle([j(1, "down"), j(2, "down"), j(3, "up"), j(1, "up", "b"), j(2, "down", "b")])
    assert verdicts == {("a", "chips"): "down", ("a", "asml"): "down"}


def test_lint_counts_a_match_alone_on_its_any_hits_whatever_its_all_group_adds() -> None:
    """An `all: [[China, ...]]` group is in every match, so lint had found no pattern ever alone: {term: a} made 53
    matches of 54 and was never named."""
    from bot.app.lint import noise

    w, errors = parse_watchlist("id: m\nany: [{term: a}, gallium]\nall: [[China, Beijing]]\n", path=Path("m.yaml"))
    assert w is not None, errors
    report = noise([w], [("A new rule in China", ""), ("China curbs gallium, a metal", ""), ("A Beijing plan", "")])
    assert [(x.pattern, x.alone) for x in report.worst(5)] == [("a", 2)]


def test_lint_says_when_there_is_nothing_to_look_at() -> None:
    from bot.app.lint import NoiseReport, report_lines

    assert report_lines(NoiseReport(), "30d", 10) == [
        "0 items stored in the last 30d; matches: none",
        "Nothing to look at yet: poll some feeds first (`watchbot poll`).",
    ]
    assert report_lines(NoiseReport(items=40), "30d", 10)[1] == (
        "No stored item matched a watchlist: no pattern fires at all.")
