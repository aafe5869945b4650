"""Find every phrase of every watchlist in a text in one pass, exact and fuzzy. Pure.

Exact, whole Latin words: a phrase of 1 to 4 Latin words (joined by spaces or hyphens) is looked up
in a table of word sequences, walking the text's words once; a sequence is extended only while it
is the prefix of some phrase. Word runs are maximal, so these hits are on word boundaries by
construction, and tens of thousands of such phrases (every chat's own: /watch) cost the text's
words, not raw substring hits inside longer words ("port" in "export").

Exact, the rest: one Aho-Corasick automaton (pyahocorasick) over the other phrase keys; a raw hit of a phrase
that starts or ends with a Latin letter or digit counts only on a word boundary, and CJK
characters count as boundaries ("chip" hits "芯片chip行业" but not "Chipotle"); a phrase that
starts and ends with CJK characters hits as a substring. With many phrases (every chat's own) text with
CJK characters is scanned as UTF-16 code units: pyahocorasick searches a node's children in turn, and
thousands of CJK phrases would give its root thousands of them.

Fuzzy (typos): only for Latin phrases with 6+ letters, and only the phrase's long words (6+
letters) may differ; short words must be exact ("export bar" is not "export ban"). Each distinct
word of the text is looked up once (then cached) against the long phrase words that share its
first two letters, last two letters or first and last letter, with a length filter and a
rapidfuzz cutoff (the phrase's threshold). Only a word that is close to, but not equal to, a
phrase word anchors a window of the phrase's length; that window is then scored against the
whole phrase. A window of several words is tried only where the text has another of its words, or a word
close to it, at the right place. So the cost grows with the text and the few near-misses in it, not with
phrases x text. Every word of the window that differs from the phrase's must itself be that
similar ("report curbs" is not "export curbs", although the two phrases as wholes score 92).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, compress, count
from operator import contains, itemgetter
from typing import Any

import ahocorasick
from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from bot.watch.text import CJK_START, is_word_char

# A Latin word of the viewed text: word characters before the CJK blocks, without '_'.
WORD = re.compile(r"[^\W_\u2e80-\U0010ffff]+")
_CJK = re.compile("[\u2e80-\U0010ffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # beyond the BMP: two UTF-16 units
_WORD_SPLIT = re.compile(r"([^\W_\u2e80-\U0010ffff]+)")
_ASCII_WORD_SPLIT = re.compile(r"([A-Za-z0-9]+)")
MIN_FUZZY_LETTERS = 6
# A run of characters that may be a Latin word as long as the shortest word a phrase word can
# be close to (a wider class than WORD's, of plain ranges: the regex engine scans it quickly).
_MAYBE_LONG_WORD = re.compile(f"[0-9A-Za-z\u0080-\u2e7f]{{{MIN_FUZZY_LETTERS - 1}}}")
_CACHE_LIMIT = 200_000
_WIDE_FROM = 1_000  # automaton entries from which CJK text is scanned as UTF-16 units (Scanner.__init__)
_TABLE_FROM = 2_000  # whole-word phrases from which they are looked up in a word table (Scanner.__init__)

Occurrence = tuple[int, int, float]  # start, end (in the viewed text), score
# What a text word is close to: the one-word phrases close to it (slot, score) and the longer phrases' windows
# filed by offset (Scanner._keyed) of the phrase words close to it; _NOTHING (false) for most words.
_Typo = tuple[tuple[tuple[int, float], ...], tuple[tuple[int, dict[str, list["_Window"]]], ...]]
_NOTHING: Any = ()
# What a text word is (Scanner._info): the slots of the one-word phrases it is, the words that follow it in
# longer phrases, and its _Typo. Read in C loops (map with these getters, compress).
_Info = tuple[tuple[int, ...], frozenset[str], _Typo]
_ONES, _NEXTS, _TYPOS = itemgetter(0), itemgetter(1), itemgetter(2)
_NONE: frozenset[str] = frozenset()
_BARE: _Info = ((), _NONE, _NOTHING)  # the _info of most words: one shared tuple
_MEMOS = 4  # fuzzy caches kept for this many sets of long phrase words (each bounded by _CACHE_LIMIT)


@dataclass
class _Memo:
    """The fuzzy caches of one set of long phrase words (with their cutoffs)."""

    near: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plain: set[str] = field(default_factory=set)
    anchors: set[str] = field(default_factory=set)
    close: set[str] = field(default_factory=set)


_memos: OrderedDict[frozenset[tuple[str, float]], _Memo] = OrderedDict()
_memos_lock = threading.Lock()


def _memo(words: frozenset[tuple[str, float]]) -> _Memo:
    """The shared caches for these words (the least recently used set is forgotten past _MEMOS)."""
    with _memos_lock:
        memo = _memos.get(words)
        if memo is None:
            memo = _memos[words] = _Memo()
            while len(_memos) > _MEMOS:
                _memos.popitem(last=False)
        _memos.move_to_end(words)
        return memo


@dataclass(frozen=True, slots=True)
class _Window:
    slot: int
    index: int  # which word of the phrase the anchor stands for
    words: tuple[str, ...]
    phrase: str  # the words joined by spaces
    threshold: int


class Scanner:
    """All occurrences of a fixed set of phrase keys (already folded with ``phrase_key``)."""

    def __init__(
        self, keys: Sequence[str], thresholds: Sequence[int | None], raw: frozenset[int] = frozenset()
    ) -> None:
        """``raw`` slots hit anywhere, without word boundaries (the literals that gate regexes)."""
        self.keys = tuple(keys)
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[tuple[int, int, bool, bool]]] = defaultdict(list)
        self._words: dict[str, list[int]] = defaultdict(list)  # words joined by one space -> slots
        self._prefixes: set[str] = set()  # word sequences that some longer phrase starts with
        wholes: list[tuple[int, str]] = []
        for slot, key in enumerate(self.keys):
            if slot in raw:
                entries[key].append((slot, len(key), False, False))
                continue
            whole = _whole_words(key)
            if whole:
                self._words[" ".join(whole)].append(slot)
                self._prefixes.update(" ".join(whole[:n]) for n in range(1, len(whole)))
                wholes.append((slot, key))
                continue
            for variant in separator_variants(key):
                entries[variant].append((slot, len(variant), is_word_char(variant[0]), is_word_char(variant[-1])))
        # Whole-word phrases are looked up in the word table (``_whole``) from _TABLE_FROM of them on (every
        # chat's own phrases); fewer (the shipped lists) ride in the automaton, which costs a C scan instead
        # of a word split per text. The table is kept either way: batch.py asks it which texts may hit.
        self._table = len(self._words) >= _TABLE_FROM
        wide = len(entries) >= _WIDE_FROM  # (counted before: whole words add Latin entries only)
        if not self._table:
            for slot, key in wholes:
                for variant in separator_variants(key):
                    entries[variant].append((slot, len(variant), True, True))
        # Text without CJK characters can hold none of the CJK phrases: a second automaton
        # without them has far fewer children at its root (pyahocorasick searches them in turn).
        # Text with CJK characters is scanned as UTF-16 code units (each character two units below 256):
        # thousands of CJK phrases (every chat's own) would give the root thousands of children, searched
        # for every character of the text (from _WIDE_FROM phrases on; below, two steps a character cost
        # more than they save). Phrases with characters beyond the BMP (two UTF-16 units each: emoji) then
        # go to an automaton of their own, scanned as plain text.
        self._latin = ahocorasick.Automaton()
        self._astral = ahocorasick.Automaton()
        self._units = wide
        for string, values in entries.items():
            if not self._units or _ASTRAL.search(string) is None:
                self._automaton.add_word(_wide(string) if self._units else string, tuple(values))
            else:
                self._astral.add_word(string, tuple(values))
            if _CJK.search(string) is None:
                self._latin.add_word(string, tuple(values))
        self._astral_empty = not len(self._astral)
        if not self._astral_empty:
            self._astral.make_automaton()
        self._starts = frozenset(k.split(" ", 1)[0] for k in self._words)
        nexts: dict[str, set[str]] = defaultdict(set)  # a longer phrase's first word -> the words after it
        for phrase in self._words:
            if " " in phrase:
                first, second, *_ = phrase.split(" ")
                nexts[first].add(second)
        self._nexts = {w: frozenset(after) for w, after in nexts.items()}
        # (may_hit_words: phrases' word sets by first word and by long word, built when first asked)
        self._word_sets: tuple[dict[str, list[frozenset[str]]], dict[str, list[frozenset[str]]]] | None = None
        self._empty = not self.keys
        self._automaton_empty = not len(self._automaton)
        if not self._automaton_empty:
            self._automaton.make_automaton()
        self._latin_empty = not len(self._latin)
        if not self._latin_empty:
            self._latin.make_automaton()
        self._windows: dict[str, list[_Window]] = defaultdict(list)  # long phrase word -> windows
        self._cutoff: dict[str, float] = {}
        self._buckets: dict[str, set[str]] = defaultdict(set)
        for slot, (key, threshold) in enumerate(zip(self.keys, thresholds, strict=True)):
            if threshold is None or slot in raw or not fuzzy_eligible(key):
                continue
            words = tuple(key.replace("-", " ").split(" "))
            for i, w in enumerate(words):
                if len(w) >= MIN_FUZZY_LETTERS:
                    self._windows[w].append(_Window(slot, i, words, " ".join(words), threshold))
                    self._cutoff[w] = min(self._cutoff.get(w, 100.0), threshold)
                    for b in _bucket_keys(w):
                        self._buckets[b].add(w)
        # Windows of each long phrase word: those of a one-word phrase, and the others filed under their first
        # word other than the anchor (by its offset from the anchor and the word as written): a window is
        # tried only where the text's word at that offset is that word or close to it.
        self._single: dict[str, list[_Window]] = {}
        self._keyed: dict[str, list[tuple[int, dict[str, list[_Window]]]]] = {}
        for v, windows in self._windows.items():
            by_offset: dict[int, dict[str, list[_Window]]] = {}
            for win in windows:
                if len(win.words) == 1:
                    self._single.setdefault(v, []).append(win)
                    continue
                k = 1 if win.index == 0 else 0
                by_offset.setdefault(k - win.index, {}).setdefault(win.words[k], []).append(win)
            if by_offset:
                self._keyed[v] = sorted(by_offset.items())
        # The caches depend only on the long phrase words and their cutoffs: scanners with the same ones
        # (a watchlist previewed again and again while edited, a reload that left them alone) share them.
        memo = _memo(frozenset(self._cutoff.items()))
        self._near: dict[str, tuple[str, ...]] = memo.near  # text word -> close phrase words (cache)
        self._plain: set[str] = memo.plain  # text chunks seen without a word close to a phrase word (cache)
        self._anchors: set[str] = memo.anchors  # text chunks seen with one
        self._close: set[str] = memo.close  # text words with close phrase words (the keys of _near that have some)
        self._info_cache: dict[str, _Info] = {}  # text word -> _info (its typo part depends on the windows too)

    def scan(self, text: str) -> dict[int, list[Occurrence]]:
        """Occurrences per slot in the viewed text ``text``, exact ones scoring 100."""
        found: dict[int, list[Occurrence]] = {}
        if self._empty or not text:
            return found
        latin = text.isascii() or _CJK.search(text) is None
        if not self._table:
            self._exact(text, found, latin)
            if self._windows:
                self._fuzzy(text, found, latin)
            return found
        # Every chat's own phrases: the text is split into words once, and each word is looked up in C loops (map,
        # compress): the one-word phrases it is, whether the next word may continue a longer phrase with it, and
        # (a cache, ``_info``) what it is close to. Only the positions found so are visited in Python.
        parts = self._split(text)
        words = parts[1::2]
        infos = self._infos_of(words)
        ones = list(compress(count(), map(_ONES, infos)))
        twos = list(compress(count(), map(contains, map(_NEXTS, infos[:-1]), words[1:])))
        close = list(compress(count(), map(_TYPOS, infos)))
        if not (ones or twos or close):
            self._exact(text, found, latin)
            return found
        ends = list(accumulate(map(len, parts)))  # where each part ends: a word starts where its separator ends
        self._whole(parts, words, ones, twos, ends, found)
        self._exact(text, found, latin)
        if close:
            self._typos(words, list(map(_TYPOS, infos)), close, ends, found)
        return found

    def _exact(self, text: str, found: dict[int, list[Occurrence]], latin: bool) -> None:
        """The automaton's hits, on word boundaries where their phrase needs them."""
        n = len(text)
        if latin:
            if not self._latin_empty:
                self._raw(text, self._latin.iter(text), found, wide=False)
        elif not self._units:
            if not self._automaton_empty:
                self._raw(text, self._automaton.iter(text), found, wide=False)
        else:
            units = _wide(text)
            if len(units) != 2 * n:  # a character beyond the BMP: stand-ins keep every character two units
                units = _wide(_ASTRAL.sub("\ufffd", text))
                if not self._astral_empty:
                    self._raw(text, self._astral.iter(text), found, wide=False)
            if not self._automaton_empty:
                self._raw(text, self._automaton.iter(units), found, wide=True)

    @staticmethod
    def _raw(text: str, hits: Iterator[tuple[int, tuple[tuple[int, int, bool, bool], ...]]],
             found: dict[int, list[Occurrence]], *, wide: bool) -> None:
        """Record the automaton's raw hits that stand on word boundaries where their phrase needs them;
        ``wide``: the automaton ran over UTF-16 units, where only a hit ending on a character's second unit
        is one (the others straddle two characters)."""
        n = len(text)
        for end, values in hits:
            if wide:
                if not end & 1:
                    continue
                end >>= 1
            for slot, length, left, right in values:
                start = end - length + 1
                # (is_word_char, inlined: this loop runs for every raw hit)
                if left and start > 0 and (c := text[start - 1]) < CJK_START and c.isalnum():
                    continue
                if right and end + 1 < n and (c := text[end + 1]) < CJK_START and c.isalnum():
                    continue
                found.setdefault(slot, []).append((start, end + 1, 100.0))

    @staticmethod
    def _split(text: str) -> list[str]:
        """Separator, word, separator, word, ..., separator (on ASCII text an ASCII class is the same, faster)."""
        return (_ASCII_WORD_SPLIT if text.isascii() else _WORD_SPLIT).split(text)

    def _infos_of(self, words: list[str]) -> list[_Info]:
        """``_info`` of each word (cached: a text's words are nearly all seen before)."""
        cache = self._info_cache
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        out = list(map(cache.get, words))
        if None in out:
            out = [info if info is not None else self._info(w) for w, info in zip(words, out, strict=True)]
        return out  # type: ignore[return-value]

    def _info(self, w: str) -> _Info:
        """What the text word ``w`` is or starts or is close to (see ``_Info``)."""
        slots = tuple(self._words.get(w, ())) if " " not in w else ()
        typo: _Typo = _NOTHING
        if self._windows:
            close = self._near_words(w)
            singles = tuple((win.slot, round(score, 1)) for v in close for win in self._single.get(v, ())
                            if (score := fuzz.ratio(w, win.phrase, score_cutoff=win.threshold)))
            keyed = _merged([self._keyed[v] for v in close if v in self._keyed])
            if singles or keyed:
                typo = (singles, keyed)
        info = (slots, self._nexts.get(w, _NONE), typo)
        self._info_cache[w] = info if slots or typo or info[1] else _BARE
        return info

    def _whole(self, parts: list[str], words: list[str], ones: list[int], twos: list[int], ends: list[int],
               found: dict[int, list[Occurrence]]) -> None:
        """Phrases of whole Latin words (see the docstring): ``ones``, where the text has a one-word phrase;
        ``twos``, where a word and the next one begin a longer phrase."""
        table, prefixes = self._words, self._prefixes
        for i in ones:
            for slot in table[words[i]]:
                found.setdefault(slot, []).append((ends[2 * i], ends[2 * i + 1], 100.0))
        n = len(words)
        for i in twos:
            j = i + 1
            if parts[2 * j] not in (" ", "-"):
                continue
            key = words[i] + " " + words[j]
            while True:
                for slot in table.get(key, ()):
                    found.setdefault(slot, []).append((ends[2 * i], ends[2 * j + 1], 100.0))
                if key not in prefixes or j + 1 >= n or parts[2 * j + 2] not in (" ", "-"):
                    break
                j += 1
                key += " " + words[j]

    def _fuzzy(self, text: str, found: dict[int, list[Occurrence]], latin: bool) -> None:
        """Typos, when the text is not split into words for the word table: most texts are ruled out first."""
        # Whitespace-separated chunks ("chips," "ASML's") are cached like words: str.split is
        # much cheaper than a regex, and a chunk with no near-miss in it rules the text out.
        plain, anchors = self._plain, self._anchors
        if len(plain) + len(anchors) >= _CACHE_LIMIT or len(self._near) >= _CACHE_LIMIT:
            for c in (plain, anchors, self._near, self._close):
                c.clear()  # the caches start over together, so they always agree
        # Chinese text has few spaces: its chunks would be whole clauses, never seen twice.
        if latin:
            chunks = text.split()
        elif _MAYBE_LONG_WORD.search(text) is None:
            return  # no Latin word long enough to be close to a phrase word (most Chinese text)
        else:
            chunks = WORD.findall(text)
        if plain.issuperset(chunks):  # the common case in one C loop: every chunk known, none close
            return
        for chunk in set(chunks).difference(plain, anchors):
            has_near_miss = any([self._near_words(w) for w in WORD.findall(chunk)])
            (anchors if has_near_miss else plain).add(chunk)
        if anchors.isdisjoint(chunks):
            return
        parts = self._split(text)
        words = parts[1::2]
        typos = list(map(_TYPOS, self._infos_of(words)))
        self._typos(words, typos, list(compress(count(), typos)), list(accumulate(map(len, parts))), found)

    def _typos(self, words: list[str], typos: list[_Typo], close: list[int], ends: list[int],
               found: dict[int, list[Occurrence]]) -> None:
        """The typo hits anchored on the ``close`` words (those close to a phrase word; ``ends``: where each part of the
        split text ends)."""
        near = self._near
        n = len(words)
        for j in close:
            singles, keyed_by = typos[j]
            for slot, score in singles:  # one-word phrases: the ratio is their only test
                if slot in found:
                    _found(found, slot, ends[2 * j], ends[2 * j + 1], score)
                else:
                    found[slot] = [(ends[2 * j], ends[2 * j + 1], score)]
            # A longer phrase is filed under its first word other than the close one, by that word's offset: it is
            # tried only where the text has that word, or one close to it, there ("export controls" after
            # "exports" only before "controls" or "controlls"; "export ban" only before "ban").
            for offset, keyed in keyed_by:
                k = j + offset
                if not 0 <= k < n:
                    continue
                u = words[k]
                similar = near.get(u)
                if similar is None:  # (not cached: a short word, or another thread just cleared the caches)
                    similar = self._near_words(u) if len(u) >= MIN_FUZZY_LETTERS - 1 else ()
                for key in (u, *similar):
                    for win in keyed.get(key, ()):
                        first = j - win.index
                        last = first + len(win.words)
                        if first < 0 or last > n:
                            continue
                        window = words[first:last]
                        if not _words_close(win.words, window, win.threshold):
                            continue
                        joined = " ".join(window)
                        if joined == win.phrase:
                            continue
                        score = fuzz.ratio(joined, win.phrase, score_cutoff=win.threshold)
                        if score:
                            _found(found, win.slot, ends[2 * first], ends[2 * last - 1], score)

    def _near_words(self, w: str) -> tuple[str, ...]:
        """Long phrase words close to (but not equal to) the text word ``w``; cached."""
        result: tuple[str, ...] = ()
        if len(w) >= MIN_FUZZY_LETTERS - 1:
            candidates: set[str] = set()
            for b in _bucket_keys(w):
                candidates |= self._buckets.get(b, set())
            close = []
            for v in candidates:
                if v == w:
                    continue
                cutoff = self._cutoff[v]
                if abs(len(v) - len(w)) > (1 - cutoff / 100) * (len(v) + len(w)):
                    continue
                if Indel.normalized_similarity(w, v) * 100 >= cutoff:
                    close.append(v)
            result = tuple(close)
        self._near[w] = result
        if result:
            self._close.add(w)
        return result

    # What batch.py asks to rule most texts out without scanning them (a superset of the texts with hits).

    def near_words(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Those of ``words`` close to (not equal to) long phrase words, with those phrase words."""
        if not self._windows:
            return {}
        near = self._near
        for w in [w for w in words if w not in near]:
            self._near_words(w)
        return {w: found for w in words if (found := near.get(w))}

    @property
    def first_words(self) -> frozenset[str]:
        """The first words of the whole-word phrases: a text without one has no whole-word hit."""
        return self._starts

    def may_hit_words(self, words: frozenset[str], near: dict[str, tuple[str, ...]]) -> bool:
        """Whether a text of these Latin words (``near``: ``near_words`` of them, or of more) may hold a
        whole-word hit (every word of a phrase in it) or a fuzzy one (each word of a phrase in it or,
        for a long word, close to one of it); False rules both out."""
        if self._word_sets is None:
            by_first: dict[str, list[frozenset[str]]] = defaultdict(list)
            for key in self._words:
                by_first[key.split(" ", 1)[0]].append(frozenset(key.split(" ")))
            by_long: dict[str, list[frozenset[str]]] = {
                v: list({frozenset(win.words) for win in windows}) for v, windows in self._windows.items()}
            self._word_sets = (dict(by_first), by_long)
        by_first, by_long = self._word_sets
        for first in self._starts.intersection(words):
            if any(phrase <= words for phrase in by_first[first]):
                return True
        close = near.keys() & words
        if not close:
            return False
        seen = words.union(*(near[w] for w in close))
        return any(phrase <= seen for v in seen.intersection(by_long) for phrase in by_long[v])

    def raw_hits(self, text: str) -> list[int]:
        """Where (start offsets) a phrase of the automaton hits ``text``: a text without one has no such hit."""
        found: dict[int, list[Occurrence]] = {}
        if text and not self._empty:
            self._exact(text, found, text.isascii() or _CJK.search(text) is None)
        return [occ[0] for occs in found.values() for occ in occs]


def _merged(keyed: list[list[tuple[int, dict[str, list[_Window]]]]]) -> tuple[tuple[int, dict[str, list[_Window]]], ...]:
    """The windows of several phrase words (``Scanner._keyed``), by offset: one lookup per offset for them all."""
    if len(keyed) <= 1:
        return tuple(keyed[0]) if keyed else ()
    merged: dict[int, dict[str, list[_Window]]] = {}
    for by_offset in keyed:
        for offset, by_word in by_offset:
            into = merged.setdefault(offset, {})
            for word, windows in by_word.items():
                into[word] = into.get(word, []) + windows
    return tuple(sorted(merged.items()))


def _found(found: dict[int, list[Occurrence]], slot: int, start: int, end: int, score: float) -> None:
    """Record a typo hit unless the slot already has a hit starting there."""
    slot_hits = found.setdefault(slot, [])
    if not slot_hits:
        slot_hits.append((start, end, round(score, 1)))
    elif all(h[0] != start for h in slot_hits):
        slot_hits.append((start, end, round(score, 1)))
        slot_hits.sort()


def _wide(text: str) -> str:
    """``text`` as UTF-16 code units, one character of 0-255 per byte (see Scanner.__init__)."""
    return text.encode("utf-16-be", "surrogatepass").decode("latin-1")


def latin_words(text: str) -> list[str]:
    """The Latin words of a viewed text, as the scanner splits them."""
    return Scanner._split(text)[1::2]


def _words_close(phrase: Sequence[str], window: Sequence[str], threshold: int) -> bool:
    """Short phrase words are equal to the window's; each long one is at least ``threshold`` similar."""
    for p, t in zip(phrase, window, strict=True):
        if p == t:
            continue
        if len(p) < MIN_FUZZY_LETTERS or abs(len(p) - len(t)) > (1 - threshold / 100) * (len(p) + len(t)):
            return False  # (the length bound: no similarity worth computing)
        if Indel.normalized_similarity(p, t) * 100 < threshold:
            return False
    return True


def _bucket_keys(w: str) -> tuple[str, str, str]:
    return ("^" + w[:2], "$" + w[-2:], "=" + w[0] + w[-1])


def separator_variants(key: str, limit: int = 3) -> list[str]:
    """``key`` with each space or hyphen between Latin words as either ("export-controlled")."""
    parts = re.split(r"(?<=[^\W_\u2e80-\U0010ffff])[ -](?=[^\W_\u2e80-\U0010ffff])", key)
    if len(parts) == 1:
        return [key]
    if len(parts) - 1 > limit:
        return list(dict.fromkeys([key, " ".join(parts), "-".join(parts)]))
    variants = [""]
    for i, part in enumerate(parts):
        variants = [v + part for v in variants] if i == 0 else [v + sep + part for v in variants for sep in " -"]
    return list(dict.fromkeys([key, *variants]))


def _whole_words(key: str) -> list[str] | None:
    """The words of a phrase of 1 to 4 whole Latin words joined by single spaces or hyphens; else None."""
    words = key.replace("-", " ").split(" ")
    if len(words) > 4 or not all(WORD.fullmatch(w) for w in words):
        return None
    return words


def fuzzy_eligible(key: str) -> bool:
    """A Latin phrase of whole words with 6+ letters, at least one word of 6+ letters."""
    key = key.replace("-", " ")
    words = key.split(" ")
    if " ".join(WORD.findall(key)) != key:
        return False
    return sum(len(w) for w in words) >= MIN_FUZZY_LETTERS and any(len(w) >= MIN_FUZZY_LETTERS for w in words)
