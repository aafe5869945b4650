"""Ints packed as C ints in bytes: the slots a text word's info holds (wordscan.py, typos.py). Pure.

With every chat's phrases the matcher holds tens of thousands of words' infos, more than the CPU's caches, and the word
pass is bound by reading them: a tuple of slots is a tuple and an int object a slot, each likely a cache miss. Bytes are
one object with the ints inline, read in place by the compiled word pass (``bot/watch/_speedups.c``), which makes a
slot's int where it records a hit.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable


def packed(values: Iterable[int]) -> bytes:
    """``values`` as C ints in bytes (each fits in 32 bits)."""
    return array("i", values).tobytes()


def unpacked(data: bytes) -> memoryview:
    """The ints of ``packed`` bytes."""
    return memoryview(data).cast("i")
