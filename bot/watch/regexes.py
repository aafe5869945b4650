"""User regexes that cannot freeze matching: RE2 where it can run them, else a time bound. Pure.

A watchlist regex is a Python regular expression (DESIGN.md). Python's ``re`` backtracks, so
``(\\w+\\s?)+$`` on a 45-character headline runs for minutes and cannot be interrupted. Here:

- RE2 (google-re2) runs a pattern in linear time when it can express it with the same meaning.
  Python's ``\\w``, ``\\d`` and ``\\s`` are Unicode classes while RE2's are ASCII, so they are
  rewritten to Unicode property classes first (``\\w`` -> ``[\\p{L}\\p{N}_]``, as ``str.isalnum``).
  RE2 has no lookaround or backreferences and its ``\\b`` is ASCII-only: those patterns (the
  shipped lists use a lookbehind) go to the second engine.
- The third-party ``regex`` module (compatible with ``re`` in its default VERSION0 mode) runs
  the rest with ``timeout=``: a search past ``budget`` seconds raises ``RegexTimeout``; the
  matcher then disables that pattern for the rest of the process and says so.

``regex_warnings(watchlist)`` is for ``watchbot rules check``: a pattern that nests a repeat in
a repeat can backtrack catastrophically, and one RE2 cannot run depends on the time bound.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from dataclasses import dataclass
from typing import Any

import re2
import regex

from bot.watch.model import Regex, Watchlist

# Longest a regex may search one field before it is disabled. Legitimate patterns take
# microseconds on a bounded field (see match.FIELD_LIMITS); a quarter second leaves room for a
# busy machine without letting one bad pattern hold an item for long.
REGEX_BUDGET = 0.25

_RE2_OPTIONS = re2.Options()
_RE2_OPTIONS.log_errors = False  # (otherwise RE2 prints every pattern it rejects on stderr)

# Python's classes as RE2 property classes, inside a character class and on their own.
_WORD = r"\p{L}\p{N}_"
_DIGIT = r"\p{Nd}"
_SPACE = r"\t\n\x0b\f\r\x1c-\x1f\x{85}\p{Z}"
_INSIDE = {"w": _WORD, "d": _DIGIT, "s": _SPACE}
_OUTSIDE = {
    "w": f"[{_WORD}]", "d": _DIGIT, "s": f"[{_SPACE}]",
    "W": f"[^{_WORD}]", "D": r"\P{Nd}", "S": f"[^{_SPACE}]",
    "Z": r"\z",  # Python's \Z is the very end, RE2's \z
}


class RegexTimeout(Exception):
    """A regex search ran past its time budget."""


@dataclass(frozen=True, slots=True)
class SafeRegex:
    """A compiled user regex; ``search`` returns the first match's span or None."""

    source: str
    engine: str  # "re2" or "regex" (time-bounded)
    compiled: Any
    budget: float = REGEX_BUDGET
    # Python's $ also matches before a final newline, RE2's only at the very end: a text that
    # ends with one goes to the time-bounded engine (fields are stripped: this is odd input).
    fallback: Any = None

    def search(self, text: str) -> tuple[int, int] | None:
        """The span of the first match; raises ``RegexTimeout`` past the budget."""
        if self.engine == "re2" and (self.fallback is None or not text.endswith("\n")):
            m = self.compiled.search(text)
        else:
            try:
                m = (self.fallback or self.compiled).search(text, timeout=self.budget)
            except TimeoutError as e:
                raise RegexTimeout(self.source) from e
        return (m.start(), m.end()) if m else None


def compile_regex(source: str, budget: float = REGEX_BUDGET) -> SafeRegex:
    """``source`` under RE2 if it can run it with Python's meaning, else time-bounded."""
    translated = to_re2(source)
    if translated is not None:
        try:
            compiled = re2.compile(translated, _RE2_OPTIONS)
        except re2.error:
            pass
        else:
            fallback = regex.compile(source) if "$" in source else None
            return SafeRegex(source, "re2", compiled, budget, fallback)
    return SafeRegex(source, "regex", regex.compile(source), budget)


def to_re2(source: str) -> str | None:
    """``source`` in RE2 syntax with Python's Unicode classes, or None if RE2 means it otherwise."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(source):
        c = source[i]
        if c == "\\" and i + 1 < len(source):
            e = source[i + 1]
            if e in "bB" or e.isdigit() and e != "0":
                return None  # ASCII-only word boundary in RE2; backreferences
            if e in "AZ" and in_class:
                return None
            if in_class and e in _INSIDE:
                out.append(_INSIDE[e])
            elif in_class and e in "WDS":
                return None  # (a negated class inside a class has no RE2 spelling)
            elif not in_class and e in _OUTSIDE:
                out.append(_OUTSIDE[e])
            else:
                out.append(source[i : i + 2])
            i += 2
            continue
        if in_class:
            if c == "]" and not _class_opens_at(source, i):
                in_class = False
            elif c == "[" and source.startswith("[:", i):
                return None  # a POSIX class to RE2, literal characters to Python
        elif c == "[":
            in_class = True
        elif c == "{" and source.startswith("{,", i):
            return None  # Python's {,n} is {0,n}; RE2 reads it as literal text
        out.append(c)
        i += 1
    return "".join(out)


def _class_opens_at(source: str, i: int) -> bool:
    """Whether the ``]`` at ``i`` is the first character of its class (``[]a]``, ``[^]a]``)."""
    j = i - 1
    if j >= 0 and source[j] == "^":
        j -= 1
    return j >= 0 and source[j] == "[" and (j == 0 or source[j - 1] != "\\")


def nested_repeat(source: str) -> str | None:
    """A description of a repeat nested in an unbounded repeat (``(a+)+``), or None."""
    try:
        parsed = sre_parse.parse(source)
    except re.error:
        return None
    return _nested(list(parsed), outer=False)


_REPEATS = (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT)


def _nested(items: list[tuple[Any, Any]], *, outer: bool) -> str | None:
    for op, arg in items:
        if op in _REPEATS:
            low, high, body = arg
            unbounded = high is sre_constants.MAXREPEAT or high > 10
            if outer and (unbounded or low != high):
                return "a repeated group holds a repeat"
            found = _nested(list(body), outer=outer or unbounded)
            if found:
                return found
        elif op is sre_constants.SUBPATTERN:
            found = _nested(list(arg[-1]), outer=outer)
            if found:
                return found
        elif op is sre_constants.BRANCH:
            for branch in arg[1]:
                found = _nested(list(branch), outer=outer)
                if found:
                    return found
        elif op in (sre_constants.ASSERT, sre_constants.ASSERT_NOT):
            found = _nested(list(arg[1]), outer=outer)
            if found:
                return found
    return None


def regex_warnings(watchlist: Watchlist) -> list[str]:
    """One line per regex of ``watchlist`` that can backtrack catastrophically or needs the time bound."""
    where = f"{watchlist.source}: " if watchlist.source else ""
    warnings = []
    for part, patterns in watchlist.parts():
        for p in patterns:
            if not isinstance(p, Regex):
                continue
            nested = nested_repeat(p.source)
            re2_ok = compile_regex(p.source).engine == "re2"
            head = f"{where}watchlist {watchlist.id!r}, {part}: regex '{p.source}'"
            if nested and re2_ok:
                warnings.append(
                    f"{head}: {nested}, which backtracks catastrophically in Python-style engines; watchbot runs "
                    "it with RE2 (linear time), but simplify it (e.g. '[\\w\\s]+' for '(\\w+\\s?)+')"
                )
            elif nested:
                warnings.append(
                    f"{head}: {nested} and RE2 cannot run it (lookaround, backreference or \\b), so it can "
                    f"backtrack catastrophically: it is stopped after {REGEX_BUDGET:g} s on a text and then disabled "
                    "until restart; simplify the repeat"
                )
            elif not re2_ok:
                warnings.append(
                    f"{head}: RE2 cannot run it (lookaround, backreference or \\b), so it runs with a "
                    f"{REGEX_BUDGET:g} s limit per text and is disabled if it ever hits it; drop those constructs "
                    "to run it in linear time (a word boundary: '(?:^|\\W)word(?:\\W|$)' for '\\bword\\b')"
                )
    return warnings
