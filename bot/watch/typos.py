"""Typo tolerance: the text words close to long phrase words, and the typo hits they anchor. Pure.

Only Latin phrases with 6+ letters have typos, and only the phrase's long words (6+
letters) may differ; short words must be exact ("export bar" is not "export ban"). Each distinct
word of the text is looked up once (then cached) against the long phrase words that share its
first two letters, last two letters or first and last letter, with a length filter and a
rapidfuzz cutoff (the phrase's threshold). Only a word that is close to, but not equal to, a
phrase word anchors a window of the phrase's length; that window is then scored against the
whole phrase. A window of several words is tried only where the text has another of its words, or a word
close to it, at the right place. So the cost grows with the text and the few near-misses in it, not with
phrases x text. Every word of the window that differs from the phrase's must itself be that
similar ("report curbs" is not "export curbs", although the two phrases as wholes score 92). Some words alike are
never close, however similar (``another_word``): a word that is the other with letters in front ("selection" is not
"election", "resident" not "president"), a text word shorter than a long word that does not begin the phrase's
("plant" is not "planet", "price" not "prince"; "world" is "worlds"), and an English word of its own that is not a
form of the phrase's ("county" is not "country"; "escalating" is "escalation", "color" is "colour": lexicon.py).

``Scanner`` (scan.py) finds the exact hits; it asks ``Typos`` which of a text's words are close to a phrase word
(``of_word``, cached per word) and for the hits those words anchor (``hits``).
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, count
from struct import iter_unpack
from typing import Any, NamedTuple

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from bot.watch.lexicon import american, english_words, forms_of_one_word
from bot.watch.packed import packed
from bot.watch.text import WORD, split_words

Occurrence = tuple[int, int, float]  # start, end (in the viewed text), score
MIN_FUZZY_LETTERS = 6
# A run of characters that may be a Latin word as long as the shortest word a phrase word can
# be close to (a wider class than WORD's, of plain ranges: the regex engine scans it quickly).
_MAYBE_LONG_WORD = re.compile(f"[0-9A-Za-z\u0080-\u2e7f]{{{MIN_FUZZY_LETTERS - 1}}}")
_WORDS = re.compile(r"[^\W_\u2e80-\U0010ffff]+(?: [^\W_\u2e80-\U0010ffff]+)*")  # WORDs joined by single spaces
_LONG_WORD = re.compile(f"[^\\W_\u2e80-\U0010ffff]{{{MIN_FUZZY_LETTERS}}}")  # (in such a key: a long word)
CACHE_LIMIT = 200_000
# What a text word is close to: the one-word phrases close to it, packed (packed.py) as slot, then score in tenths,
# for each, and the longer phrases' windows filed by offset (Typos._filed) of the phrase words close to it; NOTHING
# (false) for most words.
_Keyed = tuple[int, dict[str, list["_Window"]]]  # an offset from the anchor, the windows by the word there
Typo = tuple[bytes, tuple[_Keyed, ...]]
NOTHING: Any = ()
_Filed = tuple[tuple["_Window", ...], tuple[_Keyed, ...]]  # a long phrase word's windows (Typos._filed)
# What the typo hits of a text read besides the text: the cache of close_to, close_to for a word it lacks, the test of
# a window, and another_word (which the compiled pass's own window test calls) (Typos.typing).
Typing = tuple[dict[str, tuple[str, ...]], Callable[[str], tuple[str, ...]], Callable[..., None],
               Callable[[str, str], bool]]
_MEMOS = 4  # fuzzy caches kept for this many sets of long phrase words (each bounded by CACHE_LIMIT)


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


class _Window(NamedTuple):
    slot: int
    anchor: int  # which word of the phrase the anchor stands for
    words: tuple[str, ...]
    phrase: str  # the words joined by spaces
    threshold: int


class Typos:
    """The typo tolerance of one scanner's phrase keys (``thresholds``: each key's typo threshold, None for
    none; ``raw`` slots never have typos)."""

    def __init__(self, keys: Sequence[str], thresholds: Sequence[int | None], raw: frozenset[int]) -> None:
        self._keys, self._thresholds = tuple(keys), tuple(thresholds)
        self._slots: dict[str, list[int]] = defaultdict(list)  # long phrase word -> the slots of the phrases holding it
        self._cutoff: dict[str, float] = {}
        self._buckets: dict[str, set[str]] = defaultdict(set)
        for slot, (key, threshold) in enumerate(zip(keys, thresholds, strict=True)):
            if threshold is None or slot in raw or not fuzzy_eligible(key):
                continue
            for w in key.replace("-", " ").split(" "):
                if len(w) >= MIN_FUZZY_LETTERS:
                    self._slots[w].append(slot)
                    cutoff = self._cutoff.get(w)
                    if cutoff is None:
                        for b in _bucket_keys(w):
                            self._buckets[b].add(w)
                    if cutoff is None or threshold < cutoff:
                        self._cutoff[w] = threshold
        # Each long phrase word's windows, filed when a text word first comes close to it (``_filed``; most never do,
        # and 10,000 chats' phrases have tens of thousands).
        self._files: dict[str, _Filed] = {}
        # The caches depend only on the long phrase words and their cutoffs: scanners with the same ones
        # (a watchlist previewed again and again while edited, a reload that left them alone) share them.
        memo = _memo(frozenset(self._cutoff.items()))
        self._near: dict[str, tuple[str, ...]] = memo.near  # text word -> close phrase words (cache)
        self._plain: set[str] = memo.plain  # text chunks seen without a word close to a phrase word (cache)
        self._anchors: set[str] = memo.anchors  # text chunks seen with one
        self._close: set[str] = memo.close  # text words with close phrase words (the keys of _near that have some)
        self._of_word: dict[str, Typo] = {}  # text word -> of_word (cache; depends on the windows, not only the words)
        self.typing: Typing = (self._near, self._similar, self._window, another_word)  # (``hits`` reads them)

    def __bool__(self) -> bool:
        return bool(self._slots)

    def _filed(self, v: str) -> _Filed:
        """The windows of the long phrase word ``v``: those of one-word phrases, and the others filed under their
        first word other than the anchor (by its offset from the anchor and the word as written): a window is
        tried only where the text's word at that offset is that word or close to it."""
        filed = self._files.get(v)
        if filed is not None:
            return filed
        single: list[_Window] = []
        by_offset: dict[int, dict[str, list[_Window]]] = {}
        for slot in dict.fromkeys(self._slots.get(v, ())):
            phrase = self._keys[slot].replace("-", " ")
            words = tuple(phrase.split(" "))
            threshold = self._thresholds[slot]
            assert threshold is not None  # (only slots with a threshold have long words in _slots)
            for i, w in enumerate(words):
                if w != v:
                    continue
                win = _Window(slot, i, words, phrase, threshold)
                if len(words) == 1:
                    single.append(win)
                    continue
                k = 1 if i == 0 else 0
                by_offset.setdefault(k - i, {}).setdefault(words[k], []).append(win)
        filed = self._files[v] = (tuple(single), tuple(sorted(by_offset.items())))
        return filed

    def word_sets(self) -> dict[str, list[frozenset[str]]]:
        """Each long phrase word -> the word sets of the phrases holding it (batch.py rules texts out with them)."""
        return {v: list({frozenset(self._keys[slot].replace("-", " ").split(" ")) for slot in slots})
                for v, slots in self._slots.items()}

    def of_word(self, w: str) -> Typo:
        """What the text word ``w`` is close to (see ``Typo``); cached."""
        typo = self._of_word.get(w)
        if typo is not None:
            return typo
        if len(self._of_word) >= CACHE_LIMIT:
            self._of_word.clear()
        close = self.close_to(w)
        filed = [self._filed(v) for v in close]
        singles = packed(chain.from_iterable(
            (win.slot, round(round(score, 1) * 10)) for single, _ in filed for win in single
            if (score := fuzz.ratio(w, win.phrase, score_cutoff=win.threshold))))
        keyed = _merged([keyed for _, keyed in filed if keyed])
        typo = self._of_word[w] = (singles, keyed) if singles or keyed else NOTHING
        return typo

    def in_text(self, text: str, found: dict[int, list[Occurrence]], latin: bool) -> None:
        """Typos, when the text is not split into words for the word table: most texts are ruled out first."""
        # Whitespace-separated chunks ("chips," "ASML's") are cached like words: str.split is
        # much cheaper than a regex, and a chunk with no near-miss in it rules the text out.
        plain, anchors = self._plain, self._anchors
        if len(plain) + len(anchors) >= CACHE_LIMIT or len(self._near) >= CACHE_LIMIT:
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
            has_near_miss = any([self.close_to(w) for w in WORD.findall(chunk)])
            (anchors if has_near_miss else plain).add(chunk)
        if anchors.isdisjoint(chunks):
            return
        parts = split_words(text)
        words = parts[1::2]
        close = self._close
        typos = [self.of_word(w) if w in close else NOTHING for w in words]
        self.hits(words, typos, list(compress(count(), typos)), list(accumulate(map(len, parts))), found)

    def hits(self, words: list[str], typos: list[Typo], close: list[int], ends: list[int],
             found: dict[int, list[Occurrence]]) -> None:
        """The typo hits anchored on the ``close`` words (those close to a phrase word; ``ends``: where each part of the
        split text ends)."""
        typo_hits(words, typos, close, ends, found, *self.typing)

    def _similar(self, u: str) -> tuple[str, ...]:
        """``close_to`` for a word the cache does not hold (a short word, or another thread just cleared the caches)."""
        return self.close_to(u) if len(u) >= MIN_FUZZY_LETTERS - 1 else ()

    @staticmethod
    def _window(found: dict[int, list[Occurrence]], words: list[str], ends: list[int], j: int, win: _Window) -> None:
        """Record the hit of the phrase ``win`` in the window its close word ``j`` anchors, if the window is one."""
        first = j - win.anchor
        last = first + len(win.words)
        if first < 0 or last > len(words):
            return
        window = words[first:last]
        if not _words_close(win.words, window, win.threshold):
            return
        joined = " ".join(window)
        if joined == win.phrase:
            return
        score = fuzz.ratio(joined, win.phrase, score_cutoff=win.threshold)
        if score:
            _add(found, win.slot, ends[2 * first], ends[2 * last - 1], score)

    def close_to(self, w: str) -> tuple[str, ...]:
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
                if Indel.normalized_similarity(w, v) * 100 >= cutoff and not another_word(v, w):
                    close.append(v)
            result = tuple(close)
        self._near[w] = result
        if result:
            self._close.add(w)
        return result

    def near_words(self, words: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Those of ``words`` close to (not equal to) long phrase words, with those phrase words."""
        if not self._slots:
            return {}
        near = self._near
        for w in [w for w in words if w not in near]:
            self.close_to(w)
        return {w: found for w in words if (found := near.get(w))}


def typo_hits(words: list[str], typos: list[Typo], close: list[int], ends: list[int],
                 found: dict[int, list[Occurrence]], near: dict[str, tuple[str, ...]],
                 similar: Callable[[str], tuple[str, ...]], window: Callable[..., None],
                 another: Callable[[str, str], bool]) -> None:
    """``Typos.hits``: for each close word, its one-word phrases' hits, and the longer phrases it may anchor, each
    handed to ``window`` (``Typos._window``) to be tried; ``near``: the cache of ``close_to``, ``similar`` for a word
    it lacks; ``another``: ``another_word``, which ``window`` calls itself here and the compiled pass's own window test
    calls (speedups.py)."""
    n = len(words)
    for j in close:
        singles, keyed_by = typos[j]
        for slot, tenths in iter_unpack("ii", singles):  # one-word phrases (packed.py): the ratio is their only test
            score = tenths / 10
            if slot in found:
                _add(found, slot, ends[2 * j], ends[2 * j + 1], score)
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
            # A word whose own typo info is false is close to no phrase word (``of_word``): only it is looked up.
            others = near.get(u) if typos[k] else ()
            if others is None:
                others = similar(u)
            for key in (u, *others):
                for win in keyed.get(key, ()):
                    window(found, words, ends, j, win)



def _merged(keyed: list[tuple[_Keyed, ...]]) -> tuple[_Keyed, ...]:
    """The windows of several phrase words (``Typos._filed``), by offset: one lookup per offset for them all."""
    if len(keyed) <= 1:
        return tuple(keyed[0]) if keyed else ()
    merged: dict[int, dict[str, list[_Window]]] = {}
    for by_offset in keyed:
        for offset, by_word in by_offset:
            into = merged.setdefault(offset, {})
            for word, windows in by_word.items():
                into[word] = into.get(word, []) + windows
    return tuple(sorted(merged.items()))


def _add(found: dict[int, list[Occurrence]], slot: int, start: int, end: int, score: float) -> None:
    """Record a typo hit unless the slot already has a hit starting there."""
    slot_hits = found.setdefault(slot, [])
    if not slot_hits:
        slot_hits.append((start, end, round(score, 1)))
    elif all(h[0] != start for h in slot_hits):
        slot_hits.append((start, end, round(score, 1)))
        slot_hits.sort()


def _words_close(phrase: Sequence[str], window: Sequence[str], threshold: int) -> bool:
    """Short phrase words are equal to the window's; each long one is at least ``threshold`` similar."""
    for p, t in zip(phrase, window, strict=True):
        if p == t:
            continue
        if len(p) < MIN_FUZZY_LETTERS or abs(len(p) - len(t)) > (1 - threshold / 100) * (len(p) + len(t)):
            return False  # (the length bound: no similarity worth computing)
        if Indel.normalized_similarity(p, t) * 100 < threshold or another_word(p, t):
            return False
    return True


def another_word(phrase_word: str, word: str) -> bool:
    """The text's ``word`` is alike the long ``phrase_word`` but is another word, not a misspelling of it:
    - one is the other with letters in front ("selection" and "election", "unemployment" and "employment");
    - ``word`` is shorter than a long word and does not begin ``phrase_word`` ("plant" for "planet", "price" for
      "prince"; "world" for "worlds" is the same word, "color" for "colour" its American spelling);
    - ``word`` is an English word of its own, not a form of ``phrase_word`` ("county" for "country", "tracing" for
      "tracking"; "escalating" for "escalation" and "color" for "colour" are forms of it: lexicon.py);
    - one is the other with letters after it that make no ending of a form of it ("macro" for "Macron", "batter" for
      "battery", "magneto" for "magnet", "governo" for "governor"; "worlds" for "world", "sanctioned" for "sanction",
      and "Qualcom" for "Qualcomm", a doubled letter written once, are the same word)."""
    shorter, longer = (word, phrase_word) if len(word) < len(phrase_word) else (phrase_word, word)
    if shorter != longer and longer.startswith(shorter):
        tail = longer[len(shorter):]
        return tail not in _ENDINGS and tail != shorter[-1]
    if len(word) < MIN_FUZZY_LETTERS:
        return not phrase_word.startswith(word) and american(word) != american(phrase_word)
    if len(word) != len(phrase_word) and (word.endswith(phrase_word) or phrase_word.endswith(word)):
        return True
    return word in english_words() and not forms_of_one_word(phrase_word, word)


_ENDINGS = frozenset({"s", "es", "d", "ed", "ing", "er", "ers", "ly", "al"})  # of forms of a word, in news English


def _bucket_keys(w: str) -> tuple[str, str, str]:
    return ("^" + w[:2], "$" + w[-2:], "=" + w[0] + w[-1])


def fuzzy_eligible(key: str) -> bool:
    """A Latin phrase of whole words with 6+ letters, at least one word of 6+ letters."""
    key = key.replace("-", " ")
    return _WORDS.fullmatch(key) is not None and _LONG_WORD.search(key) is not None
