"""Why two reports are one story, in words people read: how alike they are and what they share. Pure.

``watchbot stories --reports`` shows it under each report after a story's first: the other report it is most
alike (the story index joined each report to the most similar one it had seen; listed by publication time, that one
may come later), the similarity the story index compares (``bot.stories.similarity``: Jaccard of the shingle sets in one
script, of the language-neutral facts across English and Chinese) and the names, amounts, dates and words they share,
names first. Shingles are made readable again: a Chinese phrase is the run of characters whose neighbouring pairs
are shared ("半导体", not "半导", "导体"); a fact is written as people write it (``e:asml`` is "ASML", ``n:6.5e+10``
is "65 billion").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from bot.stories.features import MONTHS
from bot.stories.names import ENTITIES
from bot.stories.similarity import (
    Profile,
    cross_language_similarity,
    profile,
    same_script_similarity,
    split_text,
)
from bot.stories.tokens import cjk_runs, latin_words, unaccented, words
from bot.watch.text import fold

_MONTHS = tuple(m[:3].capitalize() for m in MONTHS)  # "Jan", ...
_ORDER = "encdpq"  # facts by kind: names, amounts, codes, dates, percentages, quarters


@dataclass(frozen=True, slots=True)
class Likeness:
    """How alike two reports are, as the story index compares them."""

    similarity: float
    across: bool  # an English and a Chinese report: compared on shared facts alone
    shared: tuple[str, ...]  # readable: names, amounts, codes and dates first, then the title's words, then the rest


@dataclass(frozen=True, slots=True)
class Alike:
    """The other report a report is most alike (``index`` into the reports given), and how."""

    index: int
    likeness: Likeness


def likeness(text: str, language: str, other: str, other_language: str) -> Likeness:
    """How alike report ``text`` is to report ``other`` (both from ``story_text``; languages as ``Item.language``)."""
    a, b = profile(text, language), profile(other, other_language)
    return _likeness(text, a, b)


def most_alike(reports: Sequence[tuple[str, str]]) -> list[Alike | None]:
    """For each report (``story_text``, language) after the first, the other one it is most alike (the first of
    equals): the one that ties it to the story, whichever arrived first; None for the first and for a report alike
    to none of them."""
    profiles = [profile(text, language) for text, language in reports]
    out: list[Alike | None] = [None]
    for n in range(1, len(reports)):
        # (rounded as shown: of two reports shown equally alike, the first)
        scores = [round(_similarity(profiles[n], b), 2) if k != n else 0.0 for k, b in enumerate(profiles)]
        best = max(range(len(scores)), key=lambda k: (scores[k], -k))
        out.append(Alike(best, _likeness(reports[n][0], profiles[n], profiles[best])) if scores[best] > 0 else None)
    return out


def _similarity(a: Profile, b: Profile) -> float:
    return cross_language_similarity(a, b) if a.script != b.script else same_script_similarity(a, b)


def _likeness(text: str, a: Profile, b: Profile) -> Likeness:
    across = a.script != b.script
    similarity = _similarity(a, b)
    facts = sorted(a.facts & b.facts, key=lambda f: (_ORDER.index(f[0]) if f[0] in _ORDER else 9, f))
    days = {f"n:{int(f[-2:])}" for f in facts if f.startswith("d:")}  # "July 23" is a date, not the number 23
    shared = [readable_fact(f) for f in facts if f not in days]
    if not across:
        # The words and Chinese runs they share, less those a shared fact already says (its names, its month).
        said = {w for f in facts for w in _said(f)}
        common = a.shingles & b.shingles
        title, lede = split_text(text)
        for part in (title, lede):
            shared += [p for p in _phrases(part, common) if p not in said]
    shared = list(dict.fromkeys(s for s in shared if s))
    runs = [s for s in shared if cjk_runs(s) == [s]]
    return Likeness(round(similarity, 2), across,
                    tuple(s for s in shared if not any(s != r and s in r for r in runs)))  # the longest run only


def _phrases(text: str, common: frozenset[str] | set[str]) -> list[str]:
    """The words and Chinese runs of ``text`` (in text order) that the two reports share."""
    folded = fold(text).text
    out = [raw for raw, w in _in_order(folded) if w in common]
    for run in cjk_runs(folded):
        start = None
        for i in range(len(run) - 1):
            if run[i : i + 2] in common:
                start = i if start is None else start
                continue
            if start is not None:
                out.append(run[start : i + 1])
                start = None
        if start is not None:
            out.append(run[start:])
    return out


def _in_order(folded: str) -> list[tuple[str, str]]:
    """The Latin words of folded text in text order: each as written (folded) and as ``bot.stories.tokens.words``
    takes it (a plural "s" cut)."""
    plain = unaccented(folded)
    kept = words(plain)
    seen: dict[str, str] = {}
    for raw in latin_words(plain):
        for w in (raw, raw[:-1]):
            if w in kept and w not in seen:
                seen[w] = raw
                break
    return [(raw, w) for w, raw in seen.items()]


def _said(fact: str) -> set[str]:
    """The folded words and names a fact stands for in text: every name of an entity and each of its words; a date's
    month and day."""
    kind, _, value = fact.partition(":")
    if kind == "e":
        names = _all_names().get(value, ())
        return {w for name in names for w in (name, *name.split(" "))}
    if kind == "d" and value[:2].isdigit() and 1 <= int(value[:2]) <= 12:
        month = _MONTHS[int(value[:2]) - 1].lower()
        return {month, MONTHS[int(value[:2]) - 1], str(int(value[-2:]))}
    return {fact[2:]}


@cache
def _listed() -> dict[str, tuple[str, ...]]:
    """Entity id -> every name it is listed with, as written (``bot.stories.names``), in order."""
    out: dict[str, tuple[str, ...]] = {}
    for line in ENTITIES.strip().splitlines():
        entity, _, names = line.partition(":")
        out[entity.strip()] = out.get(entity.strip(), ()) + tuple(n.strip().lstrip("=") for n in names.split("|"))
    return out


@cache
def _all_names() -> dict[str, tuple[str, ...]]:
    """Entity id -> every name it is listed with, folded."""
    return {entity: tuple(fold(n).text for n in names) for entity, names in _listed().items()}


def readable_fact(fact: str) -> str:
    """A fact (``bot.stories.features``) as people write it."""
    kind, _, value = fact.partition(":")
    if kind == "e":
        return _listed().get(value, (value,))[0]
    if kind == "n":
        number = float(value)
        for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
            if number >= size:
                return f"{number / size:g} {word}"
        return f"{number:g}"
    if kind == "p":
        return f"{value}%"
    if kind == "d":
        month, _, day = value.partition("-")
        return f"{_MONTHS[int(month) - 1]} {int(day)}" if month.isdigit() and 1 <= int(month) <= 12 else value
    if kind == "q":
        return f"Q{value}"
    return value
