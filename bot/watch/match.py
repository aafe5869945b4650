"""Match an item's fields against watchlists, with an explanation for every hit. Pure.

    fields | fold (NFKC, case, t2s) | one scan per field (all phrases of all lists)
           | watchlists whose phrases (or regexes) could hit | any / all / none | Match

Each field is folded and scanned once for all watchlists together, and only the watchlists the
scan points at are evaluated: one of their `any` phrases was found, a `near` found phrases of
both its lists in one field, or a regex's required literal was found (the literals ride along in
the same scan, so most texts never run a regex). Spans are computed on the folded text and
mapped back to the original field text.

Nothing a field or a rule holds can hold matching up for long:
- Fields are cut to ``FIELD_LIMIT`` characters first. Items' ledes are already cut near 400
  characters (bot.items.lede); titles are not, and `match`, `/test` and the web pass text of any
  length. Every check after that is linear in the field (`near`: see near.py).
- User regexes run under RE2 or with a time budget (regexes.py); one that runs past the budget
  is disabled for the life of this Matcher and listed in ``Matcher.disabled``.
- Weak hits count only where they carry the story (evidence.py); those that did not are in
  ``Match.discounted`` and in ``explain``.
- A Traditional phrase that folds into another everyday Simplified word matches only as
  written (meaning.py).
"""

from __future__ import annotations

import gc
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import repeat
from operator import attrgetter
from typing import NamedTuple

from bot.watch.evidence import weigh
from bot.watch.excepts import relevant
from bot.watch.literals import required_literals
from bot.watch.meaning import as_written
from bot.watch.model import DEFAULT_FIELDS, DEFAULT_FUZZY, Discounted, Hit, Match, Pattern, Regex, Term, Watchlist
from bot.watch.near import TOKEN, closest
from bot.watch.plain import PhraseHit, PlainLists, is_plain, plain_phrase
from bot.watch.regexes import REGEX_BUDGET, RegexTimeout, SafeRegex, compile_regex
from bot.watch.scan import Occurrence, Scanner
from bot.watch.speedups import compiled
from bot.watch.text import Folded, fold, phrase_key, prepare, view

log = logging.getLogger(__name__)

# Characters of a field that are matched; the rest is ignored (see the module docstring).
FIELD_LIMIT = 1_000


class _Field(NamedTuple):
    """One field of an item, folded and scanned (a tuple: built per field per item, it costs
    half of what a frozen dataclass does)."""

    name: str
    folded: Folded
    viewed: str
    found: dict[int, list[Occurrence]]


class Disabled(NamedTuple):
    """A regex switched off after it ran past its time budget."""

    watchlist: str
    pattern: str
    reason: str


@dataclass(frozen=True, slots=True)
class _Regex:
    label: str
    compiled: SafeRegex
    # Slots of literals one of which occurs in every match; the scan finds them for free.
    # None: no such literals, the regex runs on every text.
    gates: frozenset[int] | None
    watchlist: str
    where: str  # the watchlist's file, for the reason a disabled regex gives

    def may_match(self, f: _Field) -> bool:
        return self.gates is None or not self.gates.isdisjoint(f.found.keys())


@dataclass(frozen=True, slots=True)
class _Near:
    label: str
    first: tuple[Term, ...]
    second: tuple[Term, ...]
    first_slots: frozenset[int]
    second_slots: frozenset[int]
    within: int


@dataclass(frozen=True, slots=True)
class _Set:
    """Patterns of one list (any, an all group, none), terms indexed by slot for a quick lookup."""

    terms: dict[int, tuple[Term, ...]]
    others: tuple[_Regex | _Near, ...]
    # Slots one of which a field must hold for any of ``others`` to hit there (a `near` needs
    # its first list, a gated regex a literal); None when an ungated regex runs on every field.
    gate: frozenset[int] | None


@dataclass(frozen=True, slots=True)
class _Compiled:
    watchlist: Watchlist
    any: _Set
    all: tuple[_Set, ...]
    none: _Set
    weak: frozenset[str]  # labels of the weak patterns (none of them also listed as not weak)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One watchlist's outcome for an item: its match, or the reason it has none."""

    watchlist: str
    match: Match | None
    reason: str
    discounted: tuple[Discounted, ...] = ()  # weak hits that did not count, with why


class Found:
    """An item's matches as ``Matcher.find`` leaves them: the general lists' Matches, and the phrases of the
    plain lists (plain.py) found in the item, one entry per phrase however many lists hold it."""

    __slots__ = ("_general", "_phrases", "_plain")

    def __init__(self, general: dict[int, Match], phrases: list[PhraseHit], plain: PlainLists) -> None:
        self._general = general
        self._phrases = phrases
        self._plain = plain

    def __bool__(self) -> bool:
        return bool(self._general or self._phrases)  # (a plain list's phrase found is a match)

    def matches(self) -> list[Match]:
        """One Match per watchlist, by watchlist id (what ``Matcher.match`` returns)."""
        found = self._plain.expand(self._phrases) if self._phrases else {}
        found.update(self._general)
        return sorted(found.values(), key=_LIST_ID)


def _split(phrase_lists: Mapping[str, Sequence[str]]) -> tuple[dict[str, Sequence[str]], list[Watchlist]]:
    """The phrase lists the plain path matches, and as watchlists for the general path those holding a phrase
    that folding would give another meaning (matched only as written: meaning.py). A phrase many lists hold
    is judged once."""
    verdicts: dict[str, bool] = {}
    plain: dict[str, Sequence[str]] = {}
    general: list[Watchlist] = []
    for list_id, phrases in phrase_lists.items():
        if not phrases:
            continue
        for phrase in phrases:
            verdict = verdicts.get(phrase)
            if verdict is None:
                verdict = verdicts[phrase] = plain_phrase(phrase)
            if not verdict:
                general.append(Watchlist(id=list_id, name=list_id, any=tuple(map(Term, phrases))))
                break
        else:
            plain[list_id] = phrases
    return plain, general


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a while. Building a Matcher allocates an object or more per
    phrase and frees none, and every so many allocations the collector walks all the objects that survived
    it: with 10,000 chats' own phrases that walking took half of the build (1.3 s of 2.1 s measured). The
    Matcher makes no reference cycles to collect; the collector resumes as it was afterwards."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


_LIST_ID = attrgetter("watchlist")


class Matcher:
    """All watchlists compiled into one scanner; ``match`` is pure and safe to call repeatedly,
    except that a regex past its time budget is switched off (see ``disabled``)."""

    def __init__(
        self,
        watchlists: Sequence[Watchlist],
        *,
        phrase_lists: Mapping[str, Sequence[str]] | None = None,
        regex_budget: float = REGEX_BUDGET,
        disabled: Iterable[Disabled] = (),
    ) -> None:
        """``phrase_lists``: lists of phrases by list id (every chat's own, ``chat:<id>``), each matched as a
        watchlist of those phrases with the defaults would be; handed over as text, since 10,000 chats share
        their phrases (plain.py). ``disabled``: regexes an earlier Matcher switched off (``old.disabled``);
        those still in ``watchlists`` stay off, so a reload of other files does not run them again."""
        with collector_paused():  # (tens of thousands of objects, none in a cycle: see collector_paused)
            self._build(watchlists, phrase_lists or {}, regex_budget, disabled)

    def _build(self, watchlists: Sequence[Watchlist], phrase_lists: Mapping[str, Sequence[str]],
               regex_budget: float, disabled: Iterable[Disabled]) -> None:
        prepare()
        plain_lists, general_lists = _split(phrase_lists)
        self.watchlists = tuple(sorted([*watchlists, *general_lists], key=lambda w: w.id))
        self._regex_budget = regex_budget
        # Regexes switched off after running past their budget, in the order it happened:
        # callers show them to admins. (Appends are atomic: matching may run in threads.)
        self.disabled: list[Disabled] = []
        self._off: set[int] = set()  # id() of the disabled _Regex objects
        self._carried = {(d.watchlist, d.pattern): d for d in disabled}
        self._slots: dict[str, int] = {}  # phrase key -> slot
        self._keys: list[str] = []  # slot -> phrase key or regex literal
        self._slot_of: dict[str, int] = {}  # phrase as written -> slot
        self._raw: dict[str, int] = {}  # regex literal -> slot (hits without word boundaries)
        self._thresholds: list[int | None] = []
        self._triggers: dict[int, set[int]] = {}  # slot -> watchlists it may make match
        self._by_regex: list[tuple[int, _Regex]] = []  # watchlists a regex may make match
        # watchlists a `near` may make match: only when one field holds phrases of both lists
        self._by_near: list[tuple[int, frozenset[int], frozenset[int]]] = []
        self._compiled: list[_Compiled | None] = []  # None: a plain list (plain.py), compiled if explained
        self._plain = PlainLists()
        for index, w in enumerate(self.watchlists):
            if is_plain(w):  # (only phrases: matched with the phrase lists, see plain.py)
                self._plain.add(index, w.id, [(t.text, t.fuzzy) for t in w.any if isinstance(t, Term)], self._slot)
                self._compiled.append(None)
                continue
            terms = [p for ps in (w.any, *w.all) for p in ps if isinstance(p, Term)]
            weak = frozenset(t.text for t in terms if t.weak) - {t.text for t in terms if not t.weak}
            compiled = _Compiled(
                w, self._set(w.any, w), tuple(self._set(g, w) for g in w.all), self._set(w.none, w), weak
            )
            self._compiled.append(compiled)
            for trigger in [compiled.any] if w.any else compiled.all:
                for s in trigger.terms:
                    self._triggers.setdefault(s, set()).add(index)
                for p in trigger.others:
                    if isinstance(p, _Regex):
                        if p.gates is None:
                            self._by_regex.append((index, p))
                        for s in p.gates or ():
                            self._triggers.setdefault(s, set()).add(index)
                        continue
                    self._by_near.append((index, p.first_slots, p.second_slots))
        for index, (list_id, phrases) in enumerate(plain_lists.items(), len(self.watchlists)):
            self._plain.add(index, list_id, zip(phrases, repeat(DEFAULT_FUZZY)), self._slot)
        self._near_firsts = frozenset(s for _, first, _ in self._by_near for s in first)
        # The slots the general watchlists read to be candidates (triggers, both lists of each `near`), as a bitmap:
        # a field's found slots are mostly every chat's own phrases, which only plain.py reads (``flagged``).
        general = bytearray(len(self._keys) // 8 + 1)
        for s in [*self._triggers, *(s for _, first, second in self._by_near for s in first | second)]:
            general[s >> 3] |= 1 << (s & 7)
        self._general = bytes(general)
        self._scanner = Scanner(self._keys, self._thresholds, frozenset(self._raw.values()))
        self._plain.settle(self._thresholds)
        self.list_ids = frozenset([*(w.id for w in self.watchlists), *plain_lists])  # (what matches can name)
        self._fields = tuple(dict.fromkeys([*(f for w in self.watchlists for f in w.fields),
                                            *(DEFAULT_FIELDS if plain_lists else ())]))

    @property
    def fields(self) -> tuple[str, ...]:
        """The item fields some watchlist reads."""
        return self._fields

    @property
    def scanner(self) -> Scanner:
        """The one scanner of every phrase and regex literal (batch.py reads many texts with it)."""
        return self._scanner

    @property
    def scans_to_match(self) -> bool:
        """Whether a text without any scanner occurrence can match nothing (false while a regex
        without a required literal runs on every text)."""
        return not self._by_regex

    def _slot(self, phrase: str, fuzzy: int | None) -> int:
        s = self._slot_of.get(phrase)  # (a phrase many chats watch is keyed once)
        if s is None:
            key = phrase_key(phrase)
            s = self._slots.get(key)
            if s is None:
                s = self._slots[key] = len(self._keys)
                self._keys.append(key)
                self._thresholds.append(fuzzy)
            self._slot_of[phrase] = s
        if fuzzy is not None:
            old = self._thresholds[s]
            if old is None or fuzzy < old:
                self._thresholds[s] = fuzzy
        return s

    def _gates(self, source: str) -> frozenset[int] | None:
        literals = required_literals(source)
        if not literals or any(view(lit) != lit for lit in literals):
            return None  # (a literal the viewed text spells differently could be missed)
        for lit in literals:
            if lit not in self._raw:
                self._raw[lit] = len(self._keys)
                self._keys.append(lit)
                self._thresholds.append(None)
        return frozenset(self._raw[lit] for lit in literals)

    def _set(self, patterns: Iterable[Pattern], w: Watchlist) -> _Set:
        terms: dict[int, list[Term]] = {}
        others: list[_Regex | _Near] = []
        for p in patterns:
            if isinstance(p, Term):
                p = as_written(p)  # a phrase folding into another everyday word matches as written
                terms.setdefault(self._slot(p.text, p.fuzzy), []).append(p)
                for e in p.excepts:
                    self._slot(e, None)
            elif isinstance(p, Regex):
                compiled = compile_regex(p.source, self._regex_budget)
                where = str(w.source) if w.source else w.id
                regex = _Regex(p.label, compiled, self._gates(p.source), w.id, where)
                carried = self._carried.get((w.id, p.label))
                if carried is not None:
                    self._off.add(id(regex))
                    self.disabled.append(carried)
                others.append(regex)
            else:
                # (each word with only the except phrases that can hold it: the others stay on the fast path)
                near_first = tuple(relevant(as_written(t)) for t in p.first)
                near_second = tuple(relevant(as_written(t)) for t in p.second)
                first = frozenset(self._slot(t.text, t.fuzzy) for t in near_first)
                second = frozenset(self._slot(t.text, t.fuzzy) for t in near_second)
                for e in {e for t in near_first + near_second for e in t.excepts}:
                    self._slot(e, None)
                others.append(_Near(p.label, near_first, near_second, first, second, p.within))
        gate: frozenset[int] | None = frozenset()
        for o in others:
            slots = o.first_slots if isinstance(o, _Near) else o.gates
            gate = None if gate is None or slots is None else gate | slots
        return _Set({s: tuple(ts) for s, ts in terms.items()}, tuple(others), gate)

    def match(self, fields: Mapping[str, str]) -> list[Match]:
        """The watchlists that ``fields`` (e.g. {"title": ..., "lede": ...}) match, by watchlist id."""
        return self.find(fields).matches()

    def find(self, fields: Mapping[str, str]) -> Found:
        """What ``match`` finds, with the plain lists' matches (every chat's own) still by phrase: ``matches()``
        makes them one Match per list, for the items that are recorded and routed."""
        scanned, candidates = self._scan(fields)
        general: dict[int, Match] = {}
        for index in candidates:
            c = self._compiled[index]
            m = self._evaluate(c, scanned)[0] if c is not None else None
            if m is not None:
                general[index] = m
        return Found(general, self._plain.find(scanned) if self._plain else [], self._plain)

    def explain(self, fields: Mapping[str, str]) -> list[Verdict]:
        """Every watchlist with its match, or why it did not match (for ``watchbot rules test``)."""
        scanned, _ = self._scan(fields)
        for i, c in enumerate(self._compiled):
            if c is None:  # a plain list, compiled on demand (its phrases already have their slots)
                w = self.watchlists[i]
                self._compiled[i] = _Compiled(w, self._set(w.any, w), (), self._set(w.none, w), frozenset())
        return [Verdict(c.watchlist.id, *self._evaluate(c, scanned, explain=True)) for c in self._compiled if c]

    def _scan(self, fields: Mapping[str, str]) -> tuple[dict[str, _Field], set[int]]:
        scanned: dict[str, _Field] = {}
        candidates: set[int] = set()
        triggers, general = self._triggers, self._general
        near: list[list[int]] = []  # each field's general slots, where it holds the first list of some `near`
        for name in self._fields:
            folded = fold((fields.get(name) or "")[:FIELD_LIMIT])
            viewed = view(folded.text)
            found = self._scanner.scan(viewed)
            scanned[name] = _Field(name, folded, viewed, found)
            if not found:
                continue
            slots = flagged(found, general)
            for s in slots:
                if s in triggers:
                    candidates |= triggers[s]
            if slots and not self._near_firsts.isdisjoint(slots):
                near.append(slots)
        if self._by_regex:
            candidates.update(index for index, _ in self._by_regex)
        for index, first, second in self._by_near if near else ():
            if index in candidates:
                continue
            for slots in near:
                if not first.isdisjoint(slots) and not second.isdisjoint(slots):
                    candidates.add(index)
                    break
        return scanned, candidates

    def _evaluate(
        self, c: _Compiled, scanned: Mapping[str, _Field], *, explain: bool = False
    ) -> tuple[Match | None, str, tuple[Discounted, ...]]:
        w = c.watchlist
        fields = [scanned[f] for f in w.fields]
        where = " or ".join(w.fields)
        groups = [self._set_hits(c.any, fields)]
        if w.any and not groups[0]:
            excepted = (self._excepted(c.any, fields) or self._too_far(c.any, fields)) if explain else ""
            return None, f"no 'any' pattern hits the {where}{excepted}", ()
        for n, group in enumerate(c.all, 1):
            group_hits = self._set_hits(group, fields)
            if not group_hits:
                first = ", ".join(p.label for p in w.all[n - 1][:3])
                return None, f"'all' group {n} ({first}, ...) has no hit in the {where}", ()
            groups.append(group_hits)
        discounted: list[Discounted] = []
        if c.weak and all(h.pattern in c.weak for g in groups for h in g):  # (else a strong hit vouches)
            groups, discounted = weigh(c.weak, groups, {f.name: f.folded.original for f in fields if f.name != "title"})
            if discounted:
                why = discounted[0].reason
                if w.any and not groups[0]:
                    return None, f"no 'any' pattern counts: {why}", tuple(discounted)
                for n, group_hits in enumerate(groups[1:], 1):
                    if not group_hits:
                        return None, f"'all' group {n} has no hit that counts: {why}", tuple(discounted)
        if explain:
            vetoes = self._set_hits(c.none, fields)
            if vetoes:
                v = vetoes[0]
                return None, f"vetoed by 'none' pattern {v.pattern!r} ({v.text!r} in the {v.field})", tuple(discounted)
        elif self._any_hit(c.none, fields):
            return None, "vetoed", ()
        order = {f: i for i, f in enumerate(w.fields)}
        unique = sorted(
            {(h.pattern, h.field, h.span): h for g in groups for h in g}.values(),
            key=lambda h: (order[h.field], h.span, h.pattern),
        )
        return Match(w.id, max(h.score for h in unique), tuple(unique), tuple(discounted)), "", tuple(discounted)

    def _excepted(self, ps: _Set, fields: Sequence[_Field]) -> str:
        """Why a phrase found in the text did not hit: ': '芯片' in the title is inside the except
        phrase '宠物芯片'' for the first such phrase of ``ps``, or ''."""
        terms = [t for ts in ps.terms.values() for t in ts]
        terms += [t for p in ps.others if isinstance(p, _Near) for t in p.first + p.second]
        for f in fields:
            for t in terms:
                found = f.found.get(self._slot_of[t.text], ()) if t.excepts else ()
                for start, end, _ in found:
                    for e in t.excepts:
                        if any(a <= start and end <= b for a, b, _ in f.found.get(self._slot_of[e], ())):
                            return f": {t.text!r} in the {f.name} is inside the except phrase {e!r}"
        return ""

    def _too_far(self, ps: _Set, fields: Sequence[_Field]) -> str:
        """Why a near pattern whose two lists both hit did not: ": near '稀土' and '出口' are 5 characters apart in the
        title (within: 2)", for the first such pattern of ``ps``, or '' (the most common miss of a Chinese near)."""
        for p in ps.others:
            if not isinstance(p, _Near):
                continue
            for f in fields:
                firsts = [(o, t) for t in p.first if self._slot_of[t.text] in f.found for o in self._occurrences(t, f)]
                seconds = [(o, t) for t in p.second if self._slot_of[t.text] in f.found
                           for o in self._occurrences(t, f)]
                if not firsts or not seconds:
                    continue
                gap, a, b = min((_tokens_between(f.viewed, x, y), tx, ty) for x, tx in firsts for y, ty in seconds
                                if (x[0], x[1]) != (y[0], y[1]))
                unit = "characters" if _CJK_TOKEN.search(a.text + b.text) else "words"
                return (f": near {a.text!r} and {b.text!r} are both in the {f.name}, {gap} {unit} apart "
                        f"(within: {p.within})")
        return ""

    def _set_hits(self, ps: _Set, fields: Sequence[_Field]) -> list[Hit]:
        hits = []
        for f in fields:
            for s in ps.terms.keys() & f.found.keys():
                for t in ps.terms[s]:
                    occ = self._first_of_term(t, f)
                    if occ is not None:
                        hits.append(_hit(t.text, f, occ))
        gate = ps.gate
        if ps.others and gate is not None:
            fields = [f for f in fields if not f.found.keys().isdisjoint(gate)]
        for p in ps.others:
            for f in fields:
                if isinstance(p, _Near) and (
                    f.found.keys().isdisjoint(p.first_slots) or f.found.keys().isdisjoint(p.second_slots)
                ):
                    continue  # (what _near tests first, here without two calls: the common case)
                occ = self._first(p, f)
                if occ is not None:
                    hits.append(_hit(p.label, f, occ))
        return hits

    def _any_hit(self, ps: _Set, fields: Sequence[_Field]) -> bool:
        """Whether any pattern of ``ps`` hits (no Hit objects built)."""
        for f in fields:
            for s in ps.terms.keys() & f.found.keys():
                if any(self._first_of_term(t, f) is not None for t in ps.terms[s]):
                    return True
        return any(self._first(p, f) is not None for p in ps.others for f in fields)

    def _first_of_term(self, t: Term, f: _Field) -> Occurrence | None:
        if t.excepts or t.case:
            return next(iter(self._occurrences(t, f)), None)
        for occ in f.found.get(self._slot_of[t.text], ()):
            if occ[2] >= 100 or (t.fuzzy is not None and occ[2] >= t.fuzzy):
                return occ
        return None

    def _first(self, p: _Regex | _Near, f: _Field) -> Occurrence | None:
        if isinstance(p, _Regex):
            if not p.may_match(f) or id(p) in self._off:
                return None
            try:
                span = p.compiled.search(f.folded.text)
            except RegexTimeout:
                self._disable(p, len(f.folded.text))
                return None
            return _trimmed(f.folded.text, span) if span else None
        return self._near(p, f)

    def _disable(self, p: _Regex, length: int) -> None:
        if id(p) in self._off:
            return
        self._off.add(id(p))
        reason = (
            f"{p.where}: watchlist {p.watchlist!r}: regex '{p.compiled.source}' ran past {p.compiled.budget:g} s on "
            f"a {length}-character text and is disabled until the rules are reloaded; simplify it (nested repeats "
            "like '(\\w+\\s?)+' backtrack) or drop lookarounds and backreferences so that RE2 can run it"
        )
        self.disabled.append(Disabled(p.watchlist, p.label, reason))
        log.warning("%s", reason)

    def _occurrences(self, t: Term, f: _Field) -> list[Occurrence]:
        found = f.found.get(self._slot_of[t.text])
        if not found:
            return []
        if not t.excepts and not t.case:  # the common case, without the loop below
            fuzzy = 100.0 if t.fuzzy is None else t.fuzzy
            return [occ for occ in found if occ[2] >= 100 or occ[2] >= fuzzy]
        out = []
        excepts = [o for e in t.excepts for o in f.found.get(self._slot_of[e], ())]
        for occ in found:
            start, end, score = occ
            if score < 100 and (t.fuzzy is None or score < t.fuzzy):
                continue
            if t.case:
                a, b = f.folded.span(start, end)
                if not same_case(f.folded.original[a:b], t.text):
                    continue
            if any(e[0] <= start and end <= e[1] for e in excepts):
                continue
            out.append(occ)
        return out

    def _near(self, p: _Near, f: _Field) -> Occurrence | None:
        found = f.found.keys()
        if found.isdisjoint(p.first_slots) or found.isdisjoint(p.second_slots):
            return None
        firsts = [o for t in p.first if self._slot_of[t.text] in found for o in self._occurrences(t, f)]
        seconds = [o for t in p.second if self._slot_of[t.text] in found for o in self._occurrences(t, f)]
        return closest(firsts, seconds, p.within, f.viewed)


def same_case(written: str, term: str) -> bool:
    """The text as written is the term in its case; full-width letters are their letters (Chinese text writes ＩＴＡＲ
    and ＰＬＡ: a {term: ITAR, case: true} never matched them)."""
    return written == term or unicodedata.normalize("NFKC", written) == unicodedata.normalize("NFKC", term)


_CJK_TOKEN = re.compile(r"[\u2e80-\U0010ffff]")


def _tokens_between(text: str, x: Occurrence, y: Occurrence) -> int:
    """Tokens between two hits (none when they touch or overlap), as near counts them."""
    start, end = (x[1], y[0]) if x[0] <= y[0] else (y[1], x[0])
    return sum(1 for _ in TOKEN.finditer(text, start, end)) if start < end else 0


def _trimmed(text: str, span: tuple[int, int]) -> Occurrence:
    """A regex's match without the spaces and punctuation at its ends, when it has more.

    A word boundary RE2 can run is spelled ``(?:^|\\W)`` (its ``\\b`` is ASCII-only), and it
    takes the space or bracket before the word into the match: the hit, as shown, is the words.
    """
    start, end = span
    while start < end and _edge(text[start]):
        start += 1
    while end > start and _edge(text[end - 1]):
        end -= 1
    return (start, end, 100.0) if start < end else (span[0], span[1], 100.0)


def _edge(c: str) -> bool:
    return c.isspace() or unicodedata.category(c).startswith("P")


def _hit(label: str, f: _Field, occ: Occurrence) -> Hit:
    start, end = f.folded.span(occ[0], occ[1])
    return Hit(label, f.name, (start, end), f.folded.original[start:end], occ[2])


def flagged_py(found: dict[int, list[Occurrence]], bits: bytes) -> list[int]:
    """The slots of ``found`` whose bit is set in ``bits`` (bit ``s & 7`` of byte ``s >> 3``), in the order found.
    (The compiled twin is speedups' ``flagged``.)"""
    size = len(bits)
    return [s for s in found if s >> 3 < size and bits[s >> 3] >> (s & 7) & 1]


flagged: Callable[[dict[int, list[Occurrence]], bytes], list[int]] = compiled.flagged if compiled else flagged_py
