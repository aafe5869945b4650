"""Shingles of a text for near-duplicate detection: Latin words and CJK character pairs. Pure.

The text is folded like watchlists fold it (NFKC, case, Traditional to Simplified, in
``bot.watch.text``), so "半導體" and "半导体", "ＡＳＭＬ" and "asml" give the same shingles.
Latin text gives its words (stopwords dropped, a plural "s" cut); CJK text gives pairs of
neighbouring characters, since Chinese has no spaces and single characters say little.
"""

from __future__ import annotations

import re
import unicodedata

from bot.watch.text import ENGLISH_STOPWORDS, normalize

_LATIN = re.compile(r"[0-9a-z\u00c0-\u024f]+")
_MARKS = re.compile("[\u0300-\u036f]")  # the combining accents of Latin letters
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")
STOPWORDS = ENGLISH_STOPWORDS


def unaccented(folded: str) -> str:
    """Folded text without the accents of Latin letters: "José Jerí" and "Jose Jeri" are one name (curly quotes and
    CJK are left alone)."""
    if not folded.isascii() and not unicodedata.is_normalized("NFD", folded):
        folded = unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", folded)))
    return folded


def latin_words(folded: str) -> list[str]:
    """The Latin words of unaccented folded text in text order, as they are written (``words`` keeps some)."""
    return _LATIN.findall(folded)


def words(folded: str) -> set[str]:
    """The Latin words of folded text, without stopwords, a plural "s" cut ("'s" falls apart into
    the word and a stopword "s")."""
    folded = unaccented(folded)
    found = set(_LATIN.findall(folded))
    found -= STOPWORDS
    plural = {w for w in found if w[-1] == "s" and len(w) > 3 and w[-2] != "s"}
    if plural:
        found -= plural
        found.update(w[:-1] for w in plural)
    return found


def cjk_runs(folded: str) -> list[str]:
    """The runs of CJK characters in folded text."""
    return _CJK.findall(folded)


def cjk_pairs(folded: str) -> list[str]:
    """Neighbouring pairs of CJK characters in each run (a run of one is kept as it is)."""
    out = []
    for run in cjk_runs(folded):
        if len(run) == 1:
            out.append(run)
        else:
            out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


def shingles(text: str, *, folded: bool = False) -> frozenset[str]:
    """The shingle set of ``text`` (fold it first unless ``folded``)."""
    t = text if folded else normalize(text)
    return frozenset(words(t)).union(cjk_pairs(t))
