"""Lists that are only phrases, matched together: each phrase's hit is found once and shared by every list
that holds it. Pure.

A chat's own watchlist (/watch, ``chat:<id>``) is such a list, and 10,000 chats may share a popular
phrase: evaluating each list on its own (any / all / none, weak words, excepts) would cost one
evaluation per list per item that holds the phrase. Here matching (``find``) costs one entry per phrase
found, however many lists hold it; ``expand`` turns the entries into one Match per list, which the
pipeline does only for items it records and routes (bench/match.py times both). The Matcher hands over
the chats' lists as their phrases (``Matcher(phrase_lists=...)``), and the watchlists that are plain: only
``any`` phrases (no except, case, weak or a meaning that folding would change), no ``all`` or ``none``, and
the default fields. The result is the same Match the general path (match.py) gives: the first occurrence
of each phrase in each field, ordered by field then span, the score the best hit's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol

from bot.watch.meaning import as_written
from bot.watch.model import DEFAULT_FIELDS, Hit, Match, Term, Watchlist
from bot.watch.scan import Occurrence
from bot.watch.speedups import compiled
from bot.watch.text import Folded


class ScannedField(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def folded(self) -> Folded: ...
    @property
    def found(self) -> dict[int, list[Occurrence]]: ...


# A phrase of plain lists found in a field: (the phrase as written, the indexes of the lists that hold it), the field,
# and its first occurrence there. (The pair is the one PlainLists keeps: a hit holds it rather than its two parts.)
Lists = tuple[str, list[int]]
PhraseHit = tuple[Lists, ScannedField, Occurrence]


def is_plain(w: Watchlist) -> bool:
    """Whether a watchlist is only phrases the plain path matches (see the module docstring)."""
    if not w.any or w.all or w.none or w.fields != DEFAULT_FIELDS:
        return False
    return all(map(_plain_term, w.any))


def plain_phrase(phrase: str) -> bool:
    """Whether a phrase of a phrase list (a chat's own: the default typo tolerance) is matched by the plain path:
    not when folding would change its meaning (meaning.py), which the general path handles."""
    return _plain_term(Term(phrase))


def _plain_term(p: object) -> bool:
    return isinstance(p, Term) and not p.excepts and not p.case and not p.weak and as_written(p) is p


class PlainLists:
    """The plain watchlists of one Matcher, by the slots of their phrases."""

    def __init__(self) -> None:
        # slot -> ((phrase as written, indexes of the lists holding it), fuzzy threshold) for each way it is written
        self._by_slot: dict[int, list[tuple[Lists, int | None]]] = {}
        self._ids: dict[int, str] = {}
        # By slot, for the slots whose every occurrence the scanner reports is a hit of their one phrase (as written,
        # with its threshold): its Lists; None for the others. Set by ``settle``. A list: with every chat's phrases
        # this table is large, and a slot's entry is one read where a dict lookup would be two likely cache misses.
        self._simple: list[Lists | None] = []
        # (phrase as written, threshold) -> the indexes of the lists holding it, while lists are added (until settle)
        self._groups: dict[tuple[str, int | None], list[int]] = {}

    def __bool__(self) -> bool:
        return bool(self._ids)

    def add(self, index: int, list_id: str, phrases: Iterable[tuple[str, int | None]],
            slot: Callable[[str, int | None], int]) -> None:
        """Take list ``list_id`` (number ``index`` of the Matcher), its phrases as written with their typo
        thresholds; ``slot`` gives a phrase's scanner slot."""
        self._ids[index] = list_id
        groups = self._groups
        for phrase in phrases:
            indexes = groups.get(phrase)
            if indexes is None:  # (the first list holding it: 10,000 chats share their popular phrases)
                text, fuzzy = phrase
                indexes = groups[phrase] = []
                self._by_slot.setdefault(slot(text, fuzzy), []).append(((text, indexes), fuzzy))
            if not indexes or indexes[-1] != index:
                indexes.append(index)

    def settle(self, thresholds: Sequence[int | None]) -> None:
        """Called once every list is added, with the scanner's threshold of each slot (the lowest typo score
        it reports)."""
        self._groups.clear()
        self._simple = [None] * len(thresholds)
        for s, groups in self._by_slot.items():
            if len(groups) == 1 and _takes_all(groups[0][1], thresholds[s]):
                self._simple[s] = groups[0][0]

    def find(self, fields: Mapping[str, ScannedField]) -> list[PhraseHit]:
        """The phrases of plain lists that the scanned fields hold: one entry per phrase and field, however
        many lists hold the phrase (``expand`` makes them one Match per list)."""
        out: list[PhraseHit] = []
        by_slot, simple = self._by_slot, self._simple
        for name in DEFAULT_FIELDS:
            f = fields.get(name)
            if f is None or not f.found:
                continue
            for s in plain_hits(f.found, simple, f, out):  # (most slots found are simple: see plain_hits_py)
                groups = by_slot.get(s)
                if groups is None:
                    continue  # a phrase of the other watchlists
                occurrences = f.found[s]
                exact = occurrences[0] if occurrences[0][2] >= 100 else None  # (the common case: no typo first)
                for lists, fuzzy in groups:
                    occ = exact or _first(occurrences, fuzzy)
                    if occ is not None:
                        out.append((lists, f, occ))
        return out

    def expand(self, found: Sequence[PhraseHit]) -> dict[int, Match]:
        """Every plain list that ``found`` (from ``find``) matches, by index, with its hits explained."""
        first: dict[int, Hit] = {}  # a list's first hit; most lists have one, so no list is made for them
        more: dict[int, list[Hit]] = {}
        for (text, indexes), f, occ in found:
            hit = _hit(text, f, occ)
            for i in indexes:
                if (prev := first.setdefault(i, hit)) is not hit:
                    more.setdefault(i, [prev]).append(hit)
        ids = self._ids
        out = {i: Match(ids[i], h.score, (h,)) for i, h in first.items() if i not in more}
        order = {name: n for n, name in enumerate(DEFAULT_FIELDS)}
        for i, hits in more.items():
            hits = sorted({(h.pattern, h.field, h.span): h for h in hits}.values(),
                          key=lambda h: (order[h.field], h.span, h.pattern))
            out[i] = Match(ids[i], max(h.score for h in hits), tuple(hits))
        return out


def plain_hits_py(found: dict[int, list[Occurrence]], simple: Sequence[Lists | None],
                  f: ScannedField, out: list[PhraseHit]) -> list[int]:
    """Append to ``out`` a PhraseHit for each simple slot (``simple[slot]``: the phrase as written and the indexes of
    the lists holding it; None for the others) found in field ``f`` (its first occurrence: every occurrence of a
    simple slot is a hit); returns the other slots found, in order. (The compiled twin is speedups' ``plain_hits``.)"""
    others = []
    for s, occurrences in found.items():
        entry = simple[s] if s < len(simple) else None
        if entry is None:
            others.append(s)
        else:
            out.append((entry, f, occurrences[0]))
    return others


plain_hits: Callable[..., list[int]] = compiled.plain_hits if compiled else plain_hits_py


def _takes_all(fuzzy: int | None, reported: int | None) -> bool:
    """Whether a phrase with typo threshold ``fuzzy`` takes every occurrence a scanner reports with ``reported``."""
    return reported is None or (fuzzy is not None and fuzzy <= reported)


def _first(occurrences: Sequence[Occurrence], fuzzy: int | None) -> Occurrence | None:
    for occ in occurrences:
        if occ[2] >= 100 or (fuzzy is not None and occ[2] >= fuzzy):
            return occ
    return None


def _hit(label: str, f: ScannedField, occ: Occurrence) -> Hit:
    start, end = f.folded.span(occ[0], occ[1])
    return Hit(label, f.name, (start, end), f.folded.original[start:end], occ[2])
