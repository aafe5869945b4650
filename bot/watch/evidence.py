"""Weighing weak hits: a word news uses in passing counts only where it carries the story. Pure.

DESIGN.md ("Evidence"): a hit of a ``weak: true`` pattern counts when it is in the title or in
the lede's first sentence, or when the watchlist also has a hit of a pattern that is not weak.
Otherwise it does not count, and two weak words deep in a lede do not vouch for each other
("Intel Xeon" in the fourth sentence of a router review is a product spec, not chip news).
The hits that did not count are kept with the reason, for ``watchbot rules test``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from bot.watch.model import Discounted, Hit

# Where a sentence may end: Chinese full stops always; Latin ones before a space (checked below).
_END = re.compile(r"[。！？][”’」』)]*|[.!?][\"'”’)\]]*(?=\s)")
# Where a sentence ends whatever comes next: a line break (or a literal "\n" left in scraped text), a
# Chinese semicolon (it joins sentences of their own in a list), and before a 【section heading】 of a
# digest or a web page. Chinese web text may run 300 characters without a full stop: without these,
# its "first sentence" would be the whole lede, and a part name at its end would count.
_BREAK = re.compile(r"\s*(?:\n|\r|\\[nr])+\s*|；|(?<=[\u2e80-\U0010ffff]);|(?=【)")
# After a Latin full stop, a new sentence starts with one of these.
_STARTS = re.compile(r"[\"'“‘(\[]*[A-Z0-9\u2e80-\U0010ffff]")
# A full stop after these is an abbreviation, not a sentence end ("U.S. Commerce", "Intel Corp. said").
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "corp", "co", "ltd", "plc", "no", "nos", "vs",
    "gen", "sen", "rep", "gov", "col", "lt", "sgt", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
    "sept", "oct", "nov", "dec", "approx", "est", "dept", "fig",
})
_LAST_WORD = re.compile(r"([A-Za-z][A-Za-z.]*)$")


def sentence_ends(text: str) -> list[int]:
    """The offsets just after each sentence end in ``text`` (the last sentence's end excluded)."""
    ends = [m.end() for m in _BREAK.finditer(text) if m.start() > 0 and text[m.end():].strip()]
    for m in _END.finditer(text):
        end = m.end()
        if m.group()[0] in "。！？":
            if text[end:].strip():
                ends.append(end)
            continue
        rest = text[end:].lstrip()
        if not rest or not _STARTS.match(rest):
            continue
        if m.group()[0] == ".":
            word = _LAST_WORD.search(text, 0, m.start())
            if word and (len(word.group(1)) == 1 or "." in word.group(1) or word.group(1).lower() in _ABBREVIATIONS):
                continue
        ends.append(end)
    kept: list[int] = []
    for end in sorted(ends):  # (a full stop and the line break after it end one sentence)
        if text[kept[-1] if kept else 0:end].strip():
            kept.append(end)
    return kept


def weigh(
    weak: Collection[str], groups: Sequence[list[Hit]], ledes: dict[str, str]
) -> tuple[list[list[Hit]], list[Discounted]]:
    """The hits of each group (``any``, then each ``all`` group) that count, and those that do not.

    ``weak`` holds the labels of weak patterns; ``ledes`` the original text of the fields that
    are not titles (a weak hit there counts only in the first sentence).
    """
    if any(h.pattern not in weak for g in groups for h in g):
        return [list(g) for g in groups], []  # a strong hit vouches for every weak one
    firsts: dict[str, list[int]] = {}
    kept: list[list[Hit]] = []
    discounted: list[Discounted] = []
    for g in groups:
        counted = []
        for h in g:
            if h.field == "title":
                counted.append(h)
                continue
            ends = firsts.get(h.field)
            if ends is None:
                ends = firsts[h.field] = sentence_ends(ledes.get(h.field, ""))
            n = 1 + sum(1 for e in ends if e <= h.span[0])
            if n == 1:
                counted.append(h)
            else:
                discounted.append(Discounted(h, _reason(h, n)))
        kept.append(counted)
    return kept, discounted


def _reason(h: Hit, n: int) -> str:
    return (
        f"weak word {h.pattern!r} did not count: only in the {h.field}'s {_ordinal(n)} sentence, "
        "not in the title or the first sentence, and no hit of a pattern that is not weak"
    )


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
