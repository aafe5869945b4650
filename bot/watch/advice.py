"""What `watchbot rules check` and the web editor warn a watchlist's author of: valid rules that will not do what they
seem to. Pure.

    rule_warnings(watchlist)   every warning, in the order of the file: regexes RE2 cannot run or that backtrack,
                               phrases folded to another meaning, except phrases that never apply, Latin terms
                               so short that they hit most stories

A warning does not stop the rules (an error does: bot.watch.problems).
"""

from __future__ import annotations

import re

from bot.watch.common_han import COMMON_HAN
from bot.watch.excepts import except_warnings
from bot.watch.meaning import fold_warnings
from bot.watch.model import Term, Watchlist, terms_of
from bot.watch.regexes import regex_warnings
from bot.watch.text import CJK_START, phrase_key

MIN_LETTERS = 3  # a Latin term shorter than this, in any case, is a word of most stories ('a') or another's ('GE')
MANY_PATTERNS = 10_000  # a watchlist this large costs every reload seconds and hundreds of MB: said


def size_warnings(watchlist: Watchlist) -> list[str]:
    """One line for a watchlist of MANY_PATTERNS patterns or more: 100,000 were accepted without a word, and each
    reload of the rules then took 2.5 s and 450 MB more."""
    n = sum(len(patterns) for _, patterns in watchlist.parts())
    if n < MANY_PATTERNS:
        return []
    where = f"{watchlist.source}: " if watchlist.source else ""
    return [f"{where}watchlist {watchlist.id!r}: {n:,} patterns; every reload of the rules builds them all again "
            "(100,000 took 2.5 s and 450 MB): keep a watchlist to the words that decide, or split it by topic"]


def rule_warnings(watchlist: Watchlist, text: str | None = None) -> list[str]:
    """Every warning, "FILE: watchlist 'id', part: ..."; with the file's ``text``, "FILE:LINE: ..." where the phrase
    or regex it names is written (the problems have said file:line; the warnings had said the file alone)."""
    lines = [*regex_warnings(watchlist), *fold_warnings(watchlist), *except_warnings(watchlist),
             *short_warnings(watchlist), *regex_like_warnings(watchlist), *size_warnings(watchlist)]
    if text is None or watchlist.source is None:
        return lines
    where = f"{watchlist.source}: "
    placed = [_placed(w, where, text) for w in lines]
    return sorted(placed, key=lambda w: _line_of(w, where))  # (in the file's order, as the problems are)


def _line_of(warning: str, where: str) -> int:
    number = warning[len(where) - 1:].partition(":")[0]
    return int(number) if number.isdigit() else 1 << 30


_NAMED = re.compile(r"^watchlist '[^']*', [^:]+: [^']*'(.+?)'(?=[\s,:;.)]|$)")


def _placed(warning: str, where: str, text: str) -> str:
    """``warning`` with the line of ``text`` where what it quotes is first written, when it is found there."""
    named = _NAMED.match(warning.removeprefix(where)) if warning.startswith(where) else None
    if named is None:
        return warning
    quoted = named[1]
    for spelled in (quoted, quoted.replace("\\", "\\\\")):  # (a regex in double quotes doubles its backslashes)
        alone = re.compile(rf"(?<!\w){re.escape(spelled)}(?!\w)")  # ('a' is not the a of "id: asml")
        for n, line in enumerate(text.splitlines(), 1):
            if not _ABOUT.match(line) and alone.search(line):
                return f"{where[:-2]}:{n}: {warning.removeprefix(where)}"
    return warning


_ABOUT = re.compile(r"\s*(?:id|name|description)\s*:")  # (lines about the watchlist, not its patterns)


def short_warnings(watchlist: Watchlist) -> list[str]:
    """One line per Latin term (or near word) of one or two letters matched in any case: {term: a} hit 3,383 of
    6,394 corpus items, and Ge (germanium) hits GE (General Electric). A Chinese character alone is said when it
    is common in news (台 hit 平台, 台风 and 出台, and a QQ item "适时出台..." was alerted as Taiwan news); a rare
    one stands for a word (镓 is gallium), so it is left alone."""
    where = f"{watchlist.source}: " if watchlist.source else ""
    lines = []
    for part, patterns in watchlist.parts():
        for p in patterns:
            for t in dict.fromkeys(terms_of(p)):
                if _too_short(t):
                    lines.append(f"{where}watchlist {watchlist.id!r}, {part}: '{t.text}' is "
                                 f"{_letters(t)} letter{'s' * (_letters(t) != 1)} matched in any case, so it hits "
                                 f"most stories or other words' abbreviations; write a longer phrase, or "
                                 f"{{term: {t.text}, case: true}} for a name written in capitals")
                elif phrase_key(t.text) in COMMON_HAN:
                    lines.append(f"{where}watchlist {watchlist.id!r}, {part}: '{t.text}' is one Chinese character "
                                 "common in news, so it hits inside every word that holds it (a Chinese term matches "
                                 "within words); write the word you mean, or add except phrases for the words it must "
                                 "not hit")
    return lines


# What only a regular expression says: .* .+ .? (x)? a|b \b \d \s ^start end$ [abc]
_REGEX_LIKE = re.compile(r"\.[*+?]|\)[*+?]|\w\|\w|\\[bdswBDSW]|^\^|\$$|\[[^\]]+\]")


def regex_like_warnings(watchlist: Watchlist) -> list[str]:
    """One line per phrase written like a regular expression ("semi.*conductor", "TSMC|Samsung", "\\bTSMC\\b"): a
    phrase is matched as written, so it matched nothing, and `rules check` said nothing."""
    where = f"{watchlist.source}: " if watchlist.source else ""
    return [f"{where}watchlist {watchlist.id!r}, {part}: '{t.text}' looks like a regular expression, but a phrase is "
            f"matched as written: write {{regex: '{t.text.lower()}'}} for a pattern (in lower case), or the words "
            "themselves"
            for part, patterns in watchlist.parts() for p in patterns
            for t in dict.fromkeys(terms_of(p)) if _REGEX_LIKE.search(t.text)]


def _letters(t: Term) -> int:
    return sum(1 for c in phrase_key(t.text) if c.isalnum())


def _too_short(t: Term) -> bool:
    key = phrase_key(t.text)
    return not t.case and bool(key) and all(c < CJK_START for c in key) and _letters(t) < MIN_LETTERS
