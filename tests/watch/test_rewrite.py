"""Suggested edits written into YAML in place: only the edited line changes; comments and layout stay."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from bot.watch import parse_watchlist
from bot.watch.rewrite import RewriteError, rewrite, scalar
from bot.watch.suggest import EXCEPT, NONE, WEAK, Edit, apply

TEXT = """\
# Chips: a comment that must stay
id: chips
any:
  - chip          # the word itself
  - "Intel"
  - {term: ARM, case: true}
  - {term: Xeon, except: [Xeon Phi]}
  - term: AMD
    case: true
  - term: Radeon
    except:
      - Radeon Software
all:
  - [company, firm, 公司]   # one of these too
none: [recipe]
"""
PATH = Path("chips.yaml")


def changed(before: str, after: str) -> list[str]:
    return [line for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
            if line[:1] in "+-" and line[:3] not in ("+++", "---")]


@pytest.mark.parametrize(("edit", "lines"), [
    (Edit("chips", WEAK, pattern="chip"),
     ["-  - chip          # the word itself", "+  - {term: chip, weak: true}          # the word itself"]),
    (Edit("chips", EXCEPT, pattern="chip", phrase="potato chip"),
     ["-  - chip          # the word itself", "+  - {term: chip, except: [potato chip]}          # the word itself"]),
    (Edit("chips", WEAK, pattern="Intel"), ['-  - "Intel"', '+  - {term: "Intel", weak: true}']),
    (Edit("chips", WEAK, pattern="ARM"), ["-  - {term: ARM, case: true}", "+  - {term: ARM, case: true, weak: true}"]),
    (Edit("chips", EXCEPT, pattern="Xeon", phrase="Xeon Max"),
     ["-  - {term: Xeon, except: [Xeon Phi]}", "+  - {term: Xeon, except: [Xeon Max, Xeon Phi]}"]),
    (Edit("chips", WEAK, pattern="AMD"), ["+    weak: true"]),
    (Edit("chips", EXCEPT, pattern="Radeon", phrase="Radeon: the game"), ['+      - "Radeon: the game"']),
    (Edit("chips", WEAK, pattern="公司"),
     ["-  - [company, firm, 公司]   # one of these too", "+  - [company, firm, {term: 公司, weak: true}]   # one of these too"]),
    (Edit("chips", NONE, phrase="casino"), ["-none: [recipe]", "+none: [casino, recipe]"]),
])
def test_only_the_edited_line_changes_and_the_file_reads_as_the_edit_says(edit: Edit, lines: list[str]) -> None:
    after = rewrite(TEXT, edit, path=PATH)
    assert changed(TEXT, after) == lines
    before_wl, _ = parse_watchlist(TEXT, path=PATH)
    after_wl, errors = parse_watchlist(after, path=PATH)
    assert errors == [] and before_wl is not None
    assert after_wl == apply(before_wl, edit)  # the file now says what the suggestion measured


def test_a_veto_list_is_added_in_the_files_own_layout() -> None:
    text = "id: x\nany:\n    - chip\n"
    after = rewrite(text, Edit("x", NONE, phrase="potato"), path=PATH)
    assert after == "id: x\nany:\n    - chip\nnone:\n    - potato\n"
    assert rewrite("id: x\nany: [chip]", Edit("x", NONE, phrase="yes"), path=PATH) == 'id: x\nany: [chip]\nnone: ["yes"]\n'


def test_what_cannot_be_written_in_place_says_so() -> None:
    with pytest.raises(RewriteError, match="no phrase 'gone'"):
        rewrite(TEXT, Edit("chips", WEAK, pattern="gone"), path=PATH)
    with pytest.raises(RewriteError, match="already has a 'weak' key"):
        rewrite("id: x\nany:\n  - {term: chip, weak: false}\n", Edit("x", WEAK, pattern="chip"), path=PATH)


@pytest.mark.parametrize("phrase", ["potato chip", "yes", "a, b", "x: y", "#tag", "'quoted'", "芯片 电视", "100"])
def test_phrases_read_back_as_themselves(phrase: str) -> None:
    import yaml

    assert yaml.safe_load(f"[{scalar(phrase)}]") == [phrase]
