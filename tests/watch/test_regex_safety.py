"""User regexes never freeze matching: RE2 where it can run them, a time budget where it cannot.

Issue 11 point 2: ``{regex: '(\\w+\\s?)+$'}`` on a 45-character headline ran for minutes. Each
test that could hang runs matching in a thread and fails (instead of hanging the suite) if it
has not returned after a minute: a liveness guard, not a speed measurement.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.watch import Matcher, load_rules, parse_watchlist
from bot.watch.model import Regex
from bot.watch.regexes import compile_regex, nested_repeat, regex_warnings

RULES = Path(__file__).resolve().parents[2] / "rules"
HEADLINE = "Chip makers scramble as new export curbs hit!"  # 45 characters
T = TypeVar("T")


def finishes(fn: Callable[[], T]) -> T:
    """``fn()``, run in a thread; fails if it is still running after a minute."""
    out: list[T] = []
    worker = threading.Thread(target=lambda: out.append(fn()), daemon=True)
    worker.start()
    worker.join(60)
    assert not worker.is_alive(), "matching did not return within a minute: it froze"
    return out[0]


def watchlist(*patterns: str, name: str = "x") -> Matcher:
    text = f"id: {name}\nany:\n" + "".join(f"  - {p}\n" for p in patterns)
    w, errors = parse_watchlist(text, path=Path(f"rules/{name}.yaml"))
    assert w is not None, errors
    return Matcher([w], regex_budget=0.05)


def test_the_catastrophic_pattern_of_issue_11_runs_under_re2() -> None:
    m = watchlist(r"{regex: '(\w+\s?)+$'}", "export curbs")
    assert compile_regex(r"(\w+\s?)+$").engine == "re2"
    found = finishes(lambda: m.match({"title": HEADLINE, "lede": "x" * 30 + "!"}))
    assert [h.pattern for x in found for h in x.hits] == ["export curbs"]
    assert m.disabled == []
    # and it still matches what Python's re would (Unicode word characters included)
    [hit] = finishes(lambda: m.match({"title": "半导体 chips é"}))[0].hits
    assert hit.text == "半导体 chips é"


def test_a_pattern_re2_cannot_run_is_stopped_reported_and_disabled() -> None:
    bad = r"(?<!z)(.*){1,30}\d$"  # a lookbehind (RE2 has none) and a catastrophic repeat
    assert compile_regex(bad).engine == "regex"
    m = watchlist(f"{{regex: '{bad}'}}", "export curbs", name="slow")
    first = finishes(lambda: m.match({"title": HEADLINE}))
    assert [h.pattern for x in first for h in x.hits] == ["export curbs"]  # the other patterns still work
    [off] = m.disabled
    assert (off.watchlist, off.pattern) == ("slow", f"re:{bad}")
    assert "rules/slow.yaml" in off.reason and bad in off.reason and "disabled" in off.reason
    assert "\n" not in off.reason
    again = finishes(lambda: [m.match({"title": HEADLINE + str(n)}) for n in range(5)])
    assert all(again) and len(m.disabled) == 1  # reported once, never retried


def test_a_new_matcher_keeps_what_the_old_one_disabled() -> None:
    bad = r"(?<!z)(.*){1,30}\d$"
    old = watchlist(f"{{regex: '{bad}'}}", "export curbs", name="slow")
    finishes(lambda: old.match({"title": HEADLINE}))
    renewed = Matcher(old.watchlists, disabled=old.disabled)
    assert renewed.disabled == old.disabled  # off from the start: not run again
    assert finishes(lambda: renewed.match({"title": "digits 12"})) == []  # the regex would hit this
    fresh = Matcher(old.watchlists)
    assert [m.watchlist for m in fresh.match({"title": "digits 12"})] == ["slow"]


def test_explain_survives_a_disabled_pattern() -> None:
    bad = r"(?<!z)(.*){1,30}\d$"
    m = watchlist(f"{{regex: '{bad}'}}", name="slow")
    [verdict] = finishes(lambda: m.explain({"title": HEADLINE}))
    assert verdict.match is None and len(m.disabled) == 1


def test_the_shipped_regexes_run_under_re2_and_show_the_words_they_matched() -> None:
    m = Matcher(load_rules(RULES).watchlists)
    for title, shown in [
        ("Samsung starts (3nm process) output", "3nm process"),
        ("Apple unveils the M4 Pro chip.", "M4 Pro chip"),
        ("苹果发布“M4 chip”", "M4 chip"),
    ]:
        found = {x.watchlist: x for x in m.match({"title": title})}
        [hit] = [h for h in found["semiconductors"].hits if h.pattern.startswith("re:")]
        assert hit.text == shown
    # their spelled-out boundaries keep what \b and the lookbehind kept out
    for title in ["Node 1.3nm chips", "x3nm chips", "The xm1 chips", "An M1 chipset"]:
        found = {x.watchlist: x for x in m.match({"title": title})}
        assert "semiconductors" not in found or not any(h.pattern.startswith("re:") for h in found["semiconductors"].hits)
    assert m.disabled == []


@pytest.mark.parametrize(
    ("source", "runs_under_re2"),
    [
        (r"(\w+\s?)+$", True),
        (r"ga(llium)? nitride", True),
        (r"\d{1,2} ?nm", True),
        (r"[\w.]+@[\w.]+", True),
        (r"(?<![\w.])\d{1,2} ?nm", False),  # lookbehind
        (r"\bchip\b", False),  # RE2's \b knows only ASCII letters
        (r"(a)\1", False),  # backreference
        (r"[^\W_]+", False),  # a negated class inside a class
        (r"a{,2}b", False),  # {,n} is a repeat to Python, literal text to RE2
        (r"[[:alpha:]]+", False),  # a POSIX class to RE2, literal characters to Python
    ],
)
def test_which_patterns_run_under_re2(source: str, runs_under_re2: bool) -> None:
    assert (compile_regex(source).engine == "re2") is runs_under_re2


RE2_PATTERNS = [r"(\w+\s?)+$", r"\d+ ?nm", r"[\w.]+", r"\W+", r"\s+\S", r"[\d\s]+", r"\D\d", r"x\Z", r"[]a]+", r"[^]a]+"]
UNICODE_TEXT = st.text(
    alphabet=st.sampled_from(list("ab Z9_.,\n\t\u00a0\u3000é中文١٢\u2028x]") + ["\u0301", "\u2160"]), max_size=30
)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RE2_PATTERNS), UNICODE_TEXT)
def test_re2_finds_what_python_re_finds(source: str, text: str) -> None:
    # Fields are stripped before matching; a text ending in a newline goes to the time-bounded engine,
    # whose \w also takes combining marks (hypothesis found ',中\xa0\u2028]\u0301\n').
    assume(not text.endswith("\n"))
    safe = compile_regex(source)
    assert safe.engine == "re2"
    m = re.search(source, text)
    assert safe.search(text) == (m.span() if m else None)


@pytest.mark.parametrize(
    ("source", "nested"),
    [
        (r"(\w+\s?)+$", True),
        (r"(a+)+b", True),
        (r"(?:x*y)*", True),
        (r"(?<!z)(.*){1,30}\d$", True),
        (r"ga(llium)? nitride", False),
        (r"(?:ab){2}c+", False),
        (r"\d{1,2} ?(?:nm|nanometer)s?", False),
    ],
)
def test_nested_repeats_are_found(source: str, nested: bool) -> None:
    assert (nested_repeat(source) is not None) is nested


def test_regex_warnings_name_the_file_the_list_and_the_pattern() -> None:
    text = "id: risky\nany:\n  - {regex: '(\\w+\\s?)+$'}\n  - {regex: '(?<!x)chips?'}\n  - {regex: 'ga(llium)? n'}\n"
    w, errors = parse_watchlist(text, path=Path("rules/risky.yaml"))
    assert w is not None, errors
    warnings = regex_warnings(w)
    assert len(warnings) == 2
    nested, lookbehind = warnings
    assert nested.startswith("rules/risky.yaml: watchlist 'risky', any: regex '(\\w+\\s?)+$'")
    assert "backtracks catastrophically" in nested
    assert "(?<!x)chips?" in lookbehind and "RE2 cannot run it" in lookbehind
    assert all("\n" not in line for line in warnings)


def test_the_shipped_lists_draw_no_regex_warning() -> None:
    # A newcomer's first `watchbot rules check` is clean: the shipped regexes spell word
    # boundaries so that RE2 runs them, as the warning tells a user to.
    assert [line for w in load_rules(RULES).watchlists for line in regex_warnings(w)] == []
    assert all(
        compile_regex(p.source).engine == "re2"
        for w in load_rules(RULES).watchlists
        for _, patterns in w.parts()
        for p in patterns
        if isinstance(p, Regex)
    )


def test_the_warning_says_how_to_spell_a_word_boundary_re2_can_run() -> None:
    w, errors = parse_watchlist("id: b\nany:\n  - {regex: '\\bchip\\b'}\n", path=Path("rules/b.yaml"))
    assert w is not None, errors
    [line] = regex_warnings(w)
    assert "'(?:^|\\W)word(?:\\W|$)'" in line
    assert compile_regex(r"(?:^|\W)chip(?:\W|$)").engine == "re2"
