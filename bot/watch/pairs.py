"""Chinese phrases looked up by their first two characters: the automaton's job, done faster. Pure.

An automaton is slow on Chinese text (scan.py: its root has a child for each phrase's first character, searched in
turn for every character of the text), and every chat's own phrases (/watch) hold tens of thousands of Chinese ones;
where this pass is compiled it is faster from one phrase on (scan.py has the figures). A
phrase that hits as a substring (it starts and ends with CJK characters) and starts with two of them is filed
instead under those two characters; each pair of CJK characters in a text is looked up (``pair_hits``), first in a
bitmap of the pairs filed (64 KB: a text's pairs are mostly not filed, and a bitmap read is cheaper than a lookup),
then in the table of the pairs filed, and the phrases filed there are compared with the text at that place.

The table is packed (``Filed``), as the word pass's infos are (packed.py): with every chat's phrases a dict of pairs
and a tuple of phrase strings per pair are objects all over the heap, each likely a cache miss. Here a pair's bucket
holds its key and where its phrases' records are, and a record holds a phrase's slot, its length and its characters
after the first two, read in place by the compiled pass; a phrase of two characters (most of them) is found with no
object read at all.

``pair_hits`` is the compiled one when it was built (speedups.py), else ``pair_hits_py``, the reference.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable
from typing import NamedTuple

from bot.watch.speedups import compiled
from bot.watch.text import CJK_START
from bot.watch.typos import Occurrence

BITS = 19  # the bitmap's size: 2**19 bits, 64 KB
_CJK = ord(CJK_START)


class Filed(NamedTuple):
    """The phrases filed by their first two characters (``file_pairs``), as ``pair_hits`` reads them."""

    bits: bytes  # the bitmap of the pairs filed: bit ``pair_hash(a, b) >> (32 - BITS)``
    # Open addressing, a power of two of buckets, at most half of them used: per bucket two 64-bit ints, the pair's
    # ``pair_key`` (0: empty), then (start << 32) | count: its records from the ``start``-th int of ``records`` on.
    buckets: bytes
    records: bytes  # C ints: per phrase its slot, its length, then its characters from the third on (code points)


def pair_key(a: str, b: str) -> int:
    """The key of two characters (code points below 2**21; never 0 for CJK characters)."""
    return (ord(a) << 21) | ord(b)


def pair_hash(a: int, b: int) -> int:
    """32 bits mixed from the code points ``a``, ``b`` (the same arithmetic in _speedups.c): the bitmap takes its top
    ``BITS`` bits, a bucket's index its top bits too."""
    return ((a * 0x9E3779B1) ^ (b * 0x85EBCA6B)) & 0xFFFFFFFF


def filed(phrase: str) -> bool:
    """Whether a phrase that hits as a substring can be filed under its first two characters."""
    return len(phrase) >= 2 and phrase[0] >= CJK_START and phrase[1] >= CJK_START


def file_pairs(phrases: Iterable[tuple[int, str]]) -> Filed:
    """The phrases (slot, phrase), each ``filed``, by their first two characters."""
    by_pair: dict[int, list[tuple[int, str]]] = {}
    bits = bytearray(1 << (BITS - 3))
    for slot, phrase in phrases:
        by_pair.setdefault(pair_key(phrase[0], phrase[1]), []).append((slot, phrase))
        bit = pair_hash(ord(phrase[0]), ord(phrase[1])) >> (32 - BITS)
        bits[bit >> 3] |= 1 << (bit & 7)
    size = 8
    while size < 2 * len(by_pair):
        size *= 2
    shift = 33 - size.bit_length()
    buckets = array("Q", bytes(16 * size))
    records = array("i")
    for key, entries in by_pair.items():
        at = pair_hash(key >> 21, key & 0x1FFFFF) >> shift
        while buckets[2 * at]:
            at = (at + 1) & (size - 1)
        buckets[2 * at] = key
        buckets[2 * at + 1] = (len(records) << 32) | len(entries)
        for slot, phrase in entries:
            records.extend((slot, len(phrase), *map(ord, phrase[2:])))
    return Filed(bytes(bits), buckets.tobytes(), records.tobytes())


def pair_hits_py(text: str, bits: bytes, buckets: bytes, records: bytes, found: dict[int, list[Occurrence]]) -> None:
    """Record in ``found`` every hit of the filed phrases (``Filed``'s parts) in ``text`` (start, end, 100.0), in
    order of start."""
    table, ints = memoryview(buckets).cast("Q"), memoryview(records).cast("i")
    size = len(table) // 2
    shift = 33 - size.bit_length()
    n = len(text)
    for i in range(n - 1):
        a, b = ord(text[i]), ord(text[i + 1])
        if a < _CJK or b < _CJK:
            continue
        mixed = pair_hash(a, b)
        bit = mixed >> (32 - BITS)
        if not bits[bit >> 3] & (1 << (bit & 7)):
            continue
        key, at = (a << 21) | b, mixed >> shift
        while table[2 * at] not in (key, 0):
            at = (at + 1) & (size - 1)
        if not table[2 * at]:
            continue
        start, count = table[2 * at + 1] >> 32, table[2 * at + 1] & 0xFFFFFFFF
        for _ in range(count):
            slot, length = ints[start], ints[start + 1]
            if i + length <= n and all(ord(text[i + k]) == ints[start + k] for k in range(2, length)):
                found.setdefault(slot, []).append((i, i + length, 100.0))
            start += length


pair_hits: Callable[[str, bytes, bytes, bytes, dict[int, list[Occurrence]]], None] = (
    compiled.pair_hits if compiled else pair_hits_py)
