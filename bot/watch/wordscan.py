"""The word pass of ``Scanner.scan`` (scan.py) over the word table of every chat's phrases. Pure.

A viewed text is split into its Latin words (``WORD``); each word is looked up once: the one-word phrases it is,
the words that may follow it in a longer phrase, and what it is close to (``typos.Typo``). The whole-word hits
are recorded in ``found`` (one-word phrases first, then longer ones, each slot's hits in text order), then the typo
hits anchored on the words close to a long phrase word (``typos.typo_hits``).

``whole_words`` is the compiled one (``bot/watch/_speedups.c``) where it was built (speedups.py), else
``whole_words_py``, the reference. They give the same results (tests/watch/test_speedups.py). The compiled one also
tests the typo windows itself (``Typos._window``'s steps, with rapidfuzz's Indel similarity computed in C), calling
``Typos._window`` only for strings longer than 64 characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from itertools import accumulate, compress, count
from operator import contains, itemgetter
from typing import Any

from bot.watch.packed import unpacked
from bot.watch.speedups import compiled
from bot.watch.text import split_words
from bot.watch.typos import Occurrence, Typing, typo_hits

# What a text word is: the slots of the one-word phrases it is (packed.py), the words that follow it in longer phrases
# (each with its ``Next``), and what it is close to (typos.Typo: false for most words).
Next = bytes  # ``packed((longer, *slots))``: whether a longer phrase starts with the two words, then their slots
Info = tuple[bytes, Mapping[str, Next], Any]
_ONES, _NEXTS, _TYPOS = itemgetter(0), itemgetter(1), itemgetter(2)
_MASK = (1 << 64) - 1
_MIX = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F)  # (the same constants in _speedups.c)


def next_bitmap(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The bitmap of the word pairs that begin a longer phrase (a word and a word of its ``Next``s), at about 16 bits
    a pair (a power of two bytes, at least 128), read by the compiled pass before it looks the next word up: with
    every chat's phrases a word's next words are a dict likely out of the CPU's caches, and most pairs of text words
    (a word that begins some phrase, then another word) begin none. The bits come from the words' ``hash()``, which
    is this process's (a forked worker shares it; a Scanner is never pickled), as the compiled pass reads it."""
    listed = list(pairs)
    size = 128
    while size * 8 < 16 * len(listed):
        size *= 2
    bits = bytearray(size)
    shift = 64 - (size * 8).bit_length() + 1
    for a, b in listed:
        bit = next_bit(hash(a), hash(b), shift)
        bits[bit >> 3] |= 1 << (bit & 7)
    return bytes(bits)


def next_bit(a: int, b: int, shift: int) -> int:
    """The bit of the words with hashes ``a`` and ``b`` in a bitmap of 2 ** (64 - shift) bits."""
    return (((a & _MASK) * _MIX[0] & _MASK) ^ ((b & _MASK) * _MIX[1] & _MASK)) >> shift


def whole_words_py(text: str, cache: dict[str, Info], info: Callable[[str], Info], table: dict[str, list[int]],
                   prefixes: set[str] | frozenset[str], found: dict[int, list[Occurrence]], typos: Typing,
                   next_bits: bytes = b"") -> None:
    """Record the whole-word phrase hits and the typo hits of ``text`` in ``found``.

    ``cache``: text word -> its ``Info``; ``info(word)`` for a word not in it; ``table``: phrase (words joined by one
    space) -> its slots (phrases of two words come with their first word's ``Info``: only those of three and more are
    looked up); ``prefixes``: the word sequences some longer phrase starts with; ``typos``: what the typo
    hits read besides the text (``Typos.typing``); ``next_bits``: ``next_bitmap`` of the word pairs that begin a longer
    phrase, which only the compiled pass reads (here the next words are looked up in C loops, a bitmap read in Python
    would cost more than it saves)."""
    parts = split_words(text)
    words = parts[1::2]
    cached = list(map(cache.get, words))  # (None where a word is not cached yet)
    infos: list[Info] = cached if None not in cached else [  # type: ignore[assignment]
        i if i is not None else info(w) for w, i in zip(words, cached, strict=True)]
    # Where each word is a one-word phrase, begins a longer one with the next word, or is close to a phrase word:
    # found in C loops (map, compress), so that only those positions are visited in Python.
    ones = list(compress(count(), map(_ONES, infos)))
    twos = list(compress(count(), map(contains, map(_NEXTS, infos[:-1]), words[1:])))
    close = list(compress(count(), map(_TYPOS, infos)))
    if not (ones or twos or close):
        return
    ends = list(accumulate(map(len, parts)))  # a word starts where its separator ends
    for i in ones:
        for slot in table[words[i]]:
            found.setdefault(slot, []).append((ends[2 * i], ends[2 * i + 1], 100.0))
    n = len(words)
    for i in twos:
        j = i + 1
        if parts[2 * j] not in (" ", "-"):
            continue
        longer, *slots = unpacked(infos[i][1][words[j]])
        for slot in slots:
            found.setdefault(slot, []).append((ends[2 * i], ends[2 * j + 1], 100.0))
        if not longer:
            continue
        key = words[i] + " " + words[j]
        while j + 1 < n and parts[2 * j + 2] in (" ", "-"):
            j += 1
            key += " " + words[j]
            for slot in table.get(key, ()):
                found.setdefault(slot, []).append((ends[2 * i], ends[2 * j + 1], 100.0))
            if key not in prefixes:
                break
    if close:
        typo_hits(words, list(map(_TYPOS, infos)), close, ends, found, *typos)


whole_words: Callable[..., None] = compiled.whole_words if compiled else whole_words_py
