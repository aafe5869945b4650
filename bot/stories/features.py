"""Language-neutral features of a text: entities, amounts, product codes and dates. Pure.

An English and a Chinese report of one event share few words but the same facts: "ASML" and
"阿斯麦" become ``e:asml``; "$5.5 billion" and "55亿美元" become ``n:5.5e+09``; "July 23" and
"7月23日" become ``d:07-23``; "H20" stays ``c:h20``. Two reports are then compared on these
feature sets (see ``bot.stories.index``).

Entities come from the bilingual list in ``bot.stories.names``, found with one Aho-Corasick
automaton over the folded text (longest match wins, Latin names on word boundaries).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

import ahocorasick

from bot.stories.names import ENTITIES
from bot.stories.tokens import words
from bot.watch.text import Folded, fold, is_word_char, phrase_key

_CASED = re.compile(r"[A-Z][A-Z.]{0,3}")  # an acronym of up to four capitals: matched with its case

_SCALE_EN = {"thousand": 1e3, "million": 1e6, "mn": 1e6, "m": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
             "trillion": 1e12, "tn": 1e12}
_SCALE_ZH = {"千": 1e3, "万": 1e4, "亿": 1e8, "万亿": 1e12}
# A number not glued to Latin letters (those are codes: H20, MI308), with an optional scale.
_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,])(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?"
    r"(?:\s*(percent|per cent|%)|\s?(万亿|亿|万|千)|\s?(thousand|million|billion|trillion|mn|bn|tn|m|b)(?![a-z]))?"
    r"(?![A-Za-z0-9])"
)
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december")
_MONTH_WORDS = frozenset([m for m in MONTHS] + [m[:3] for m in MONTHS] + ["sept"])
_DATE_EN = re.compile(r"\b(" + "|".join(sorted(_MONTH_WORDS, key=len, reverse=True)) + r")\.? (\d{1,2})(?![\d.,]\d|\d)")
_QUARTER_WORDS = frozenset(("quarter", "q1", "q2", "q3", "q4"))
_DATE_ZH = re.compile(r"(\d{1,2})月(\d{1,2})日")
_QUARTER = re.compile(r"\b(first|second|third|fourth)[- ]quarter\b|\bq([1-4])\b|第?([一二三四])季")
_DIGIT = re.compile(r"\d")
_ORDINAL = {"first": "1", "second": "2", "third": "3", "fourth": "4", "一": "1", "二": "2", "三": "3", "四": "4"}


@cache
def _automaton() -> ahocorasick.Automaton:
    """The entity names, folded, in one automaton: name -> (entity id, length, spelling if cased else "")."""
    automaton = ahocorasick.Automaton()
    for line in ENTITIES.strip().splitlines():
        entity, _, names = line.partition(":")
        for raw in names.split("|"):
            name = raw.strip()
            cased = name.startswith("=") or bool(_CASED.fullmatch(name))
            name = name.lstrip("=")
            key = phrase_key(name)
            automaton.add_word(key, (entity.strip(), len(key), name if cased else ""))
    automaton.make_automaton()
    return automaton


def entities(folded: Folded) -> set[str]:
    """Entity ids named in ``folded`` (the text folded with ``bot.watch.text.fold``)."""
    automaton = _automaton()
    text = folded.text
    found: list[tuple[int, int, str, str]] = []
    for end, (entity, length, cased) in automaton.iter(text):
        start = end + 1 - length
        if is_word_char(text[start]) and (
            (start > 0 and is_word_char(text[start - 1])) or (end + 1 < len(text) and is_word_char(text[end + 1]))
        ):
            continue  # a Latin name inside a longer word
        if cased:
            a, b = folded.span(start, end + 1)
            if folded.original[a:b] != cased:
                continue
        found.append((start, end + 1, entity, cased))
    # Longest match wins where names overlap (美国商务部 over 商务部, "US Commerce" over "US").
    found.sort(key=lambda f: (f[0], f[0] - f[1]))
    out: set[str] = set()
    reach = 0
    for start, end, entity, _ in found:
        if start >= reach:
            out.add("e:" + entity)
            reach = end
    return out


def amounts(text: str) -> set[str]:
    """Numbers as values across notations: ``$65 billion`` / ``650亿美元`` -> ``n:6.5e+10``; ``9.9%`` -> ``p:9.9``.

    ``text`` is NFKC-folded (full-width digits are ASCII). Years and numbers below 10 are left out:
    they tie unrelated reports together (every story of 2026, every "2 people").
    """
    out: set[str] = set()
    for m in _NUMBER.finditer(text):
        whole, frac, percent, zh, en = m.groups()
        value = float(whole.replace(",", "") + (frac or ""))
        if percent:
            out.add(f"p:{value:g}")
            continue
        scale = _SCALE_ZH.get(zh or "") or _SCALE_EN.get(en or "") or 1.0
        if scale == 1.0 and (value < 10 or (1900 <= value <= 2100 and not frac)):
            continue
        out.add(f"n:{value * scale:.3g}")
    return out


def codes(latin_words: Iterable[str]) -> set[str]:
    """Product and model codes among the words (``bot.stories.tokens.words``): letters and digits
    together (H20, MI308, NXT:2050i's 2050i)."""
    return {"c:" + w for w in latin_words if not w.isalpha() and not w.isdigit() and w.isalnum()}


def dates(folded_text: str, latin_words: set[str] | None = None) -> set[str]:
    """Calendar dates and quarters: ``July 23`` / ``7月23日`` -> ``d:07-23``; ``Q1`` / ``第一季度`` -> ``q:1``.
    The words (``bot.stories.tokens.words``) say cheaply whether a month or a quarter is named."""
    ws = words(folded_text) if latin_words is None else latin_words
    out: set[str] = set()
    if not ws.isdisjoint(_MONTH_WORDS):
        for m in _DATE_EN.finditer(folded_text):
            month = next(i for i, name in enumerate(MONTHS, 1) if name.startswith(m.group(1)[:3]))
            out.add(f"d:{month:02d}-{int(m.group(2)):02d}")
    if "月" in folded_text:
        for m in _DATE_ZH.finditer(folded_text):
            out.add(f"d:{int(m.group(1)):02d}-{int(m.group(2)):02d}")
    if "季" in folded_text or not ws.isdisjoint(_QUARTER_WORDS):
        for m in _QUARTER.finditer(folded_text):
            word = m.group(1) or m.group(3)
            out.add("q:" + (_ORDINAL[word] if word else m.group(2)))
    return out


def features(text: str | Folded, latin_words: set[str] | None = None) -> frozenset[str]:
    """Every language-neutral feature of ``text`` (title and lede; or that text folded already,
    with its words when the caller has them)."""
    folded = text if isinstance(text, Folded) else fold(text)
    ws = words(folded.text) if latin_words is None else latin_words
    found = entities(folded) | dates(folded.text, ws)
    if _DIGIT.search(folded.text):  # amounts and codes need a digit
        found |= amounts(folded.text) | codes(ws)
    return frozenset(found)
