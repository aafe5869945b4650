"""Match many items at once: the few worth matching are found first, for all of them together. Pure.

The web editor previews a watchlist against the last 5,000 stored items each time its author stops
typing, and `rules backtest` matches every stored item. Matched one by one, each item costs two
folds, two scans and their Python overhead, although most hold none of the phrases. Here each
field is folded once and reduced to its set of Latin words (``Views`` keeps both from one call to
the next), and an item is matched in full (``Matcher.match``) only when one of its fields

- holds every word of a whole-word phrase, or every word of a phrase each long word of which may
  be there misspelled (``Scanner.may_hit_words``; the words close to long phrase words are looked
  up once for the words of all items together: ``Scanner.near_words``), or
- has a hit of the scanner's automaton (CJK phrases, regex literals, phrases with punctuation;
  whole-word phrases too in a small scanner), found in one pass over all fields joined by line
  breaks (viewed text has none, and no phrase holds one, so no hit spans two fields).

Every text the scanner finds something in passes one of these, so the result is the one matching
each item gives. A matcher with a regex that runs on every text (one without a required literal)
has no such shortcut: then every item is matched.
"""

from __future__ import annotations

import threading
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from bot.watch.match import FIELD_LIMIT, Matcher
from bot.watch.model import Match
from bot.watch.scan import latin_words
from bot.watch.text import fold, view

SEPARATOR = "\n"


class Field(NamedTuple):
    """A field as the shortcut reads it."""

    viewed: str  # view(fold(text)), what the scanner reads
    ascii: bool
    words: frozenset[str]  # its Latin words, as the scanner splits them


class Views:
    """``read_field`` for field texts, the last ``size`` remembered; safe to share between threads (two
    previews at once)."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._seen: OrderedDict[str, Field] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, text: str) -> Field:
        text = text[:FIELD_LIMIT]
        found = self._seen.get(text)
        if found is not None:
            return found
        found = read_field(text)
        with self._lock:
            self._seen[text] = found
            if len(self._seen) > self.size:
                self._seen.popitem(last=False)
        return found


def read_field(text: str) -> Field:
    """A field's text folded, viewed and split into words (no memory)."""
    viewed = view(fold(text[:FIELD_LIMIT]).text)
    return Field(viewed, viewed.isascii(), frozenset(latin_words(viewed)))


def match_many(
    matcher: Matcher, items: Sequence[Mapping[str, str]], *, views: Views | None = None
) -> list[list[Match]]:
    """``matcher.match(item)`` for every item, in order."""
    names = matcher.fields
    if not matcher.scans_to_match:
        return [matcher.match(item) for item in items]
    if not names:
        return [[] for _ in items]
    see = views or read_field
    fields = [see(item.get(name) or "") for item in items for name in names]
    scanner = matcher.scanner
    starts = scanner.first_words
    near = scanner.near_words(frozenset().union(*(f.words for f in fields)))
    close = frozenset(near)
    width = len(names)
    candidates = {n // width for n, f in enumerate(fields)
                  if (not starts.isdisjoint(f.words) or not close.isdisjoint(f.words))
                  and scanner.may_hit_words(f.words, near)}
    for ascii in (True, False):
        numbers = [n for n, f in enumerate(fields) if f.ascii is ascii and f.viewed and n // width not in candidates]
        offsets, at = [], 0
        for n in numbers:
            offsets.append(at)
            at += len(fields[n].viewed) + len(SEPARATOR)
        joined = SEPARATOR.join(fields[n].viewed for n in numbers)
        candidates.update(numbers[bisect_right(offsets, at) - 1] // width for at in scanner.raw_hits(joined))
    return [matcher.match(item) if n in candidates else [] for n, item in enumerate(items)]
