"""Chinese phrases looked up by their first two characters: the automaton's job, for every chat's own. Pure.

Every chat's own phrases (/watch) hold tens of thousands of Chinese ones, and an automaton with that many entries
is slow on Chinese text (scan.py: its root would have thousands of children, searched for every character). A
phrase that hits as a substring (it starts and ends with CJK characters) and starts with two of them is filed
instead under those two characters; each pair of CJK characters in a text is looked up (``pair_hits``), first in a
bitmap of the pairs filed (64 KB: a text's pairs are mostly not filed, and a bitmap read is cheaper than a dict
lookup), and the phrases filed there are compared with the text at that place.

``pair_hits`` is the compiled one when it was built (speedups.py), else ``pair_hits_py``, the reference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.watch.speedups import compiled
from bot.watch.text import CJK_START
from bot.watch.typos import Occurrence

# pair key (pair_key) -> the phrases filed there: (slot, phrase)
Pairs = dict[int, tuple[tuple[int, str], ...]]
BITS = 19  # the bitmap's size: 2**19 bits, 64 KB
_CJK = ord(CJK_START)


def pair_key(a: str, b: str) -> int:
    """The key of two characters (code points below 2**21)."""
    return (ord(a) << 21) | ord(b)


def pair_bit(a: int, b: int) -> int:
    """The bitmap's bit of the pair of code points ``a``, ``b`` (the same arithmetic in _speedups.c)."""
    return (((a * 0x9E3779B1) ^ (b * 0x85EBCA6B)) & 0xFFFFFFFF) >> (32 - BITS)


def filed(phrase: str) -> bool:
    """Whether a phrase that hits as a substring can be filed under its first two characters."""
    return len(phrase) >= 2 and phrase[0] >= CJK_START and phrase[1] >= CJK_START


def file_pairs(phrases: Iterable[tuple[int, str]]) -> tuple[Pairs, bytes]:
    """The phrases (slot, phrase), each ``filed``, by their first two characters, and the bitmap of those pairs."""
    by_pair: dict[int, list[tuple[int, str]]] = {}
    bits = bytearray(1 << (BITS - 3))
    for slot, phrase in phrases:
        by_pair.setdefault(pair_key(phrase[0], phrase[1]), []).append((slot, phrase))
        bit = pair_bit(ord(phrase[0]), ord(phrase[1]))
        bits[bit >> 3] |= 1 << (bit & 7)
    return {k: tuple(v) for k, v in by_pair.items()}, bytes(bits)


def pair_hits_py(text: str, bits: bytes, pairs: Pairs, found: dict[int, list[Occurrence]]) -> None:
    """Record in ``found`` every hit of the filed phrases in ``text`` (start, end, 100.0), in order of start."""
    for i in range(len(text) - 1):
        a, b = ord(text[i]), ord(text[i + 1])
        if a < _CJK or b < _CJK:
            continue
        bit = pair_bit(a, b)
        if not bits[bit >> 3] & (1 << (bit & 7)):
            continue
        for slot, phrase in pairs.get((a << 21) | b, ()):
            if text.startswith(phrase, i):
                found.setdefault(slot, []).append((i, i + len(phrase), 100.0))


pair_hits: Callable[[str, bytes, Pairs, dict[int, list[Occurrence]]], None] = (
    compiled.pair_hits if compiled else pair_hits_py)
