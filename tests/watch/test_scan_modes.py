"""The scanner finds whole-word phrases in a word table (where its word pass is compiled, or from scan._TABLE_FROM
of them on: every chat's own phrases), else in its automaton: both ways find the same occurrences."""

from __future__ import annotations

import random

from bot.watch import scan
from bot.watch.scan import Scanner
from bot.watch.text import fold, phrase_key, view
from tests.watch.test_plain import texts, vocabulary


def occurrences(scanner: Scanner, keys: list[str], text: str) -> dict[str, list[tuple[int, int, float]]]:
    return {keys[slot]: sorted(occs) for slot, occs in scanner.scan(text).items()}


def test_the_word_table_and_the_automaton_find_the_same_phrases() -> None:
    items = texts()
    rng = random.Random(5)
    words = vocabulary(items)
    big = sorted({phrase_key(w) for w in rng.sample(words, min(len(words), 3 * scan._TABLE_FROM))})
    latin = [k for k in big if k.isascii()]
    assert len(latin) >= scan._TABLE_FROM  # enough whole-word phrases for the table
    small = rng.sample(latin, 300) + [k for k in big if not k.isascii()][:200]
    typo = [90 if len(k) >= 6 else None for k in big]
    table = Scanner(big, typo)
    automaton = Scanner(small, [90 if len(k) >= 6 else None for k in small], table=False)
    assert table._table and not automaton._table
    compared = 0
    for it in items:
        for field in (it["title"], it["lede"]):
            text = view(fold(field).text)
            everything = occurrences(table, big, text)
            wanted = {k: v for k, v in everything.items() if k in set(small)}
            assert occurrences(automaton, small, text) == wanted
            compared += len(wanted)
    assert compared > 200
