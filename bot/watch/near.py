"""The `near` check in time linear in the field: the first pair of hits close enough. Pure.

A `near` pattern hits where a hit of its first list and a hit of its second lie with at most
``within`` tokens between them (a Latin word or one CJK character is one token). Comparing
every pair and counting the tokens between each was quadratic: a 20k-character title of
repeated words took 7 s. Here, since the count only grows with the distance, each hit needs
only its nearest partners: walking hits by start, the first that has a partner close enough
gives the answer's start, and the walk stops there. Counting stops past ``within``; when a
field asks for many counts, its tokens are listed once and each count is two binary searches.

The answer is the one the pairwise loop gave: the smallest (start, end, -score) over all pairs.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from bot.watch.scan import Occurrence

# One token: a Latin word, or one CJK character (punctuation is no token).
TOKEN = re.compile(r"[^\W_\u2e80-\U0010ffff]+|[^\W_]")


class Tokens:
    """Counts tokens between offsets of one text: one by one while that is cheap, by binary
    search in the text's token list once many counts were asked for (a long repetitive field)."""

    __slots__ = ("_ends", "_starts", "counts", "text")

    # Counts one by one before the token list is built: most fields need only a few.
    LIST_AFTER = 8

    def __init__(self, text: str) -> None:
        self.text = text
        self.counts = 0
        self._starts: list[int] | None = None
        self._ends: list[int] = []

    def more_than(self, limit: int, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` holds more than ``limit`` tokens (tokens cut by the edges count)."""
        if start >= end:
            return False
        if self._starts is None:
            self.counts += 1
            if self.counts <= self.LIST_AFTER:
                return any(n > limit for n, _ in enumerate(TOKEN.finditer(self.text, start, end), 1))
            spans = [m.span() for m in TOKEN.finditer(self.text)]
            self._starts = [s for s, _ in spans]
            self._ends = [e for _, e in spans]
        # tokens that overlap [start, end): those starting before end, less those ending by start
        return bisect_left(self._starts, end) - bisect_right(self._ends, start) > limit


def closest(firsts: Sequence[Occurrence], seconds: Sequence[Occurrence], within: int, text: str) -> Occurrence | None:
    """The pair of a first-list and a second-list hit at most ``within`` tokens apart that comes
    first (by start, then end, then best score), as one occurrence spanning both; or None."""
    firsts, seconds = sorted(firsts), sorted(seconds)
    tokens: Tokens | None = None
    best: Occurrence | None = None
    for xs, ys in ((firsts, seconds), (seconds, firsts)):
        starts = [y[0] for y in ys]
        for x in xs:
            if best is not None and x[0] > best[0]:
                break  # every later pair starts later
            # Partners starting at or after x: x is the earlier of the pair (pairs the other way
            # round are found when the loop visits the other list). Closeness only shrinks with
            # the partner's start, so the walk stops at the first partner too far away.
            for j in range(bisect_left(starts, x[0]), len(ys)):
                y = ys[j]
                if y[0] == x[0] and y[1] == x[1]:
                    continue  # one hit of a phrase in both lists is no pair
                gap = y[0] - x[1]
                # Every token takes at least one character, so a short gap needs no counting.
                if gap > within:
                    tokens = tokens or Tokens(text)
                    if tokens.more_than(within, x[1], y[0]):
                        break
                occ = (x[0], max(x[1], y[1]), min(x[2], y[2]))
                if best is None or (occ[0], occ[1], -occ[2]) < (best[0], best[1], -best[2]):
                    best = occ
    return best
