"""Find every phrase of every watchlist in a text in one pass, exact and fuzzy. Pure.

Exact, whole Latin words: a phrase of 1 to 4 Latin words (joined by spaces or hyphens) is looked up
in a table of word sequences, walking the text's words once (wordscan.py, compiled where it could be
built: speedups.py); a sequence is extended only while it is the prefix of some phrase. Word runs are
maximal, so these hits are on word boundaries by construction, and tens of thousands of such phrases
(every chat's own: /watch) cost the text's words, not raw substring hits inside longer words ("port" in
"export"). Without the compiled pass, a few such phrases (the shipped lists) ride in the automaton instead.

Exact, the rest: one Aho-Corasick automaton (pyahocorasick) over the other phrase keys; a raw hit of a phrase
that starts or ends with a Latin letter or digit counts only on a word boundary, and CJK
characters count as boundaries ("chip" hits "芯片chip行业" but not "Chipotle"); a phrase that
starts and ends with CJK characters hits as a substring. Where the pairs' pass is compiled, those
Chinese phrases are filed by their first two characters instead (pairs.py): pyahocorasick searches a node's
children in turn, and CJK phrases give its root one child each. With many phrases left in the automaton
(every chat's own, without the compiled pass), text with CJK characters is scanned as UTF-16 code units.

Typos: typos.py (``Typos``), asked per text word (in the word pass where there is one).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

import ahocorasick

from bot.watch.packed import packed
from bot.watch.pairs import Filed, file_pairs, filed, pair_hits
from bot.watch.speedups import compiled
from bot.watch.text import CJK_START, WORD, is_word_char, split_words
from bot.watch.typos import CACHE_LIMIT, NOTHING, Occurrence, Typos
from bot.watch.wordscan import Info, Next, next_bitmap, whole_words

__all__ = ["WORD", "Occurrence", "Scanner", "latin_words", "separator_variants"]

_CJK = re.compile("[\u2e80-\U0010ffff]")
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # beyond the BMP: two UTF-16 units
_WIDE_FROM = 1_000  # automaton entries from which CJK text is scanned as UTF-16 units (Scanner.__init__)
_TABLE_FROM = 2_000  # whole-word phrases from which they are looked up in a word table (Scanner.__init__)

_NO_NEXTS: dict[str, Next] = {}  # the next words of a word that starts no longer phrase (shared: never changed)
_BARE: Info = (b"", _NO_NEXTS, NOTHING)  # the _info of most words (wordscan.Info): one shared tuple


class Scanner:
    """All occurrences of a fixed set of phrase keys (already folded with ``phrase_key``)."""

    def __init__(
        self, keys: Sequence[str], thresholds: Sequence[int | None], raw: frozenset[int] = frozenset(),
        *, table: bool | None = None,
    ) -> None:
        """``raw`` slots hit anywhere, without word boundaries (the literals that gate regexes). ``table``: whether
        whole-word phrases are looked up in the word table (True) or found by the automaton (False); by default the
        faster way for these phrases on this machine (see below)."""
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
                if len(whole) > 1:
                    self._prefixes.update(" ".join(whole[:n]) for n in range(1, len(whole)))
                wholes.append((slot, key))
                continue
            for variant in separator_variants(key):
                entries[variant].append((slot, len(variant), is_word_char(variant[0]), is_word_char(variant[-1])))
        # Whole-word phrases are looked up in the word table (wordscan.py) where its word pass is compiled
        # (speedups.py; the shipped lists alone then match 1.29x faster than with the automaton, bench/README.md), and
        # in Python from _TABLE_FROM of them on (every chat's own phrases); fewer then ride in the automaton, which
        # costs a C scan instead of a word split per text. The table is kept either way: batch.py asks it which texts
        # may hit.
        self._table = table if table is not None else compiled is not None or len(self._words) >= _TABLE_FROM
        # Chinese phrases that hit as substrings are filed by their first two characters instead (pairs.py), and the
        # automaton keeps the rest: where the pairs' pass is compiled it is the faster one however few they are (on the
        # bench's Chinese texts 0.010 s for 1 to 300 phrases, against 0.012 s for one phrase in the automaton, 0.038 s
        # for 100 and 0.127 s for 1,000: its root's children are searched in turn, for every character). Where it is
        # not compiled, a Python loop over the characters costs more than the automaton scanning UTF-16 units.
        self._pairs: Filed | None = None
        if compiled is not None:
            moved = [s for s, values in entries.items() if filed(s) and not any(v[2] or v[3] for v in values)]
            if moved:
                self._pairs = file_pairs((v[0], s) for s in moved for v in entries.pop(s))
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
        # A longer phrase's first word -> each word after it -> whether some longer phrase starts with the two, then
        # their slots as a phrase (wordscan.Next): most phrases of two words are found with no key built or looked up.
        nexts: dict[str, dict[str, Next]] = defaultdict(dict)
        for phrase in self._words:
            if " " in phrase:
                first, second, *_ = phrase.split(" ")
                two = first + " " + second
                nexts[first][second] = packed((two in self._prefixes, *self._words.get(two, ())))
        self._nexts = dict(nexts)
        self._next_bits = next_bitmap((first, second) for first, seconds in self._nexts.items() for second in seconds)
        # (may_hit_words: phrases' word sets by first word and by long word, built when first asked)
        self._word_sets: tuple[dict[str, list[frozenset[str]]], dict[str, list[frozenset[str]]]] | None = None
        self._empty = not self.keys
        self._automaton_empty = not len(self._automaton)
        if not self._automaton_empty:
            self._automaton.make_automaton()
        self._latin_empty = not len(self._latin)
        if not self._latin_empty:
            self._latin.make_automaton()
        self._typos = Typos(self.keys, thresholds, raw)
        self._info_cache: dict[str, Info] = {}  # text word -> _info (its typo part depends on the windows too)

    def scan(self, text: str) -> dict[int, list[Occurrence]]:
        """Occurrences per slot in the viewed text ``text``, exact ones scoring 100."""
        found: dict[int, list[Occurrence]] = {}
        if self._empty or not text:
            return found
        latin = text.isascii() or _CJK.search(text) is None
        if not self._table:
            self._exact(text, found, latin)
            if self._typos:
                self._typos.in_text(text, found, latin)
            return found
        # Every chat's own phrases: the text is split into words once and each word looked up once (wordscan.py).
        if len(self._info_cache) >= CACHE_LIMIT:
            self._info_cache.clear()
        whole_words(text, self._info_cache, self._info, self._words, self._prefixes, found, self._typos.typing,
                    self._next_bits)
        self._exact(text, found, latin)
        return found

    def _exact(self, text: str, found: dict[int, list[Occurrence]], latin: bool) -> None:
        """The automaton's hits, on word boundaries where their phrase needs them."""
        n = len(text)
        if latin:
            if not self._latin_empty:
                self._raw(text, self._latin.iter(text), found, wide=False)
            return
        if self._pairs is not None:
            pair_hits(text, *self._pairs, found)
        if not self._units:
            if not self._automaton_empty:
                self._raw(text, self._automaton.iter(text), found, wide=False)
            return
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

    def _info(self, w: str) -> Info:
        """What the text word ``w`` is or starts or is close to (see ``Info``)."""
        ones = self._words.get(w)  # (a text word has no space: only one-word phrases)
        slots = packed(ones) if ones else b""  # (most text words are none: no array made for them)
        typo = self._typos.of_word(w) if self._typos else NOTHING
        info = (slots, self._nexts.get(w, _NO_NEXTS), typo)
        self._info_cache[w] = info if slots or typo or info[1] else _BARE
        return info

    # What batch.py asks to rule most texts out without scanning them (a superset of the texts with hits).

    def near_words(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Those of ``words`` close to (not equal to) long phrase words, with those phrase words."""
        return self._typos.near_words(words)

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
            by_long = self._typos.word_sets()
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


def _wide(text: str) -> str:
    """``text`` as UTF-16 code units, one character of 0-255 per byte (see Scanner.__init__)."""
    return text.encode("utf-16-be", "surrogatepass").decode("latin-1")


def latin_words(text: str) -> list[str]:
    """The Latin words of a viewed text, as the scanner splits them."""
    return split_words(text)[1::2]


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


_WHOLE_WORDS = re.compile(r"[^\W_\u2e80-\U0010ffff]+(?:[ -][^\W_\u2e80-\U0010ffff]+){0,3}")


def _whole_words(key: str) -> list[str] | None:
    """The words of a phrase of 1 to 4 whole Latin words joined by single spaces or hyphens; else None."""
    if _WHOLE_WORDS.fullmatch(key) is None:
        return None
    return key.replace("-", " ").split(" ")
