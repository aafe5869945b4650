"""What two reports have in common: profiles of items and the similarity of two profiles. Pure.

A profile holds an item's shingles (``bot.stories.tokens``) and its language-neutral facts
(``bot.stories.features``). Two reports in one script (both Latin, or both Chinese, Traditional
or Simplified) are compared on shingles, the title's shingles counted twice (as ``t:`` tokens,
since a headline says what the story is) and the facts counted once: plain Jaccard on those sets.
An English and a Chinese report are compared on facts alone, and only when they share at least
two that are not commonplace (a country or "AI chips" ties nothing together).

Both refuse a pair whose hard facts disagree: when each names amounts, codes or dates and they
share none, they report different things ("$5.5 billion charge on H20" is not "$800 million on
MI308", however alike the sentences around them).
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from bot.stories.features import features
from bot.stories.previews import looks_ahead
from bot.stories.tokens import cjk_pairs, words
from bot.watch.text import fold

LEDE_CHARS = 300  # the lede's opening: later sentences drift to background that other stories share
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Facts that many unrelated reports share: they count in the Jaccard, but not as proof across languages.
_COMMONPLACE_TEXT = (
    "e:us e:china e:taiwan e:netherlands e:japan e:south-korea e:germany e:france e:uk e:india e:russia "
    "e:ukraine e:iran e:israel e:malaysia e:singapore e:vietnam e:hong-kong e:eu e:ai-chips e:export-controls "
    "e:export-licence e:lithography e:subsidies e:stake e:ipo e:layoffs e:smuggling"
)
COMMONPLACE = frozenset(_COMMONPLACE_TEXT.split())


class Comparable(Protocol):
    """What a comparison reads: a Profile, or the index's stored form of one (tuples of distinct strings)."""

    @property
    def shingles(self) -> Collection[str]: ...
    @property
    def facts(self) -> Collection[str]: ...
    @property
    def hard(self) -> Collection[str]: ...


@dataclass(frozen=True, slots=True)
class Profile:
    """The comparable parts of one report."""

    shingles: frozenset[str]  # words / CJK pairs of title and lede, ``t:`` title tokens, facts
    facts: frozenset[str]  # language-neutral features
    hard: frozenset[str]  # the facts that must agree: amounts, percentages, codes, dates
    script: str  # "zh" (mostly Han characters) or "latin"
    ahead: bool = False  # the title announces an event to come (bot.stories.previews)


def split_text(text: str) -> tuple[str, str]:
    """``text`` as (title, lede): the title is the first line (see ``story_text``)."""
    title, _, lede = text.partition("\n")
    return title, lede


def story_text(title: str, lede: str) -> str:
    """The text an item is clustered on: the title, a newline, the lede's opening."""
    return " ".join(title.split()) + "\n" + lede[:LEDE_CHARS]


def script_of(text: str, language: str = "") -> str:
    """"zh" for Chinese text, else "latin"; ``language`` ("zh", "en", "other") wins when given."""
    if language:
        return "zh" if language == "zh" else "latin"
    return "zh" if len(_HAN.findall(text)) >= len(_LATIN.findall(text)) / 4 and _HAN.search(text) else "latin"


def profile(text: str, language: str = "") -> Profile:
    """The profile of ``text`` (built with ``story_text``)."""
    title, lede = split_text(text)
    folded = fold(title + "\n" + lede[:LEDE_CHARS])  # once: folding keeps the line break
    ftitle, _, flede = folded.text.partition("\n")
    title_words, lede_words = words(ftitle), words(flede)
    title_tokens = title_words.union(cjk_pairs(ftitle))
    facts = features(folded, title_words | lede_words)
    shingles = {"t:" + t for t in title_tokens}
    shingles.update(title_tokens, lede_words, cjk_pairs(flede), facts)
    hard = frozenset(f for f in facts if f[0] in "npcdq")
    return Profile(frozenset(shingles), facts, hard, script_of(folded.original, language), looks_ahead(ftitle))


def jaccard(a: frozenset[str], b: Collection[str]) -> float:
    """|a & b| / |a | b| for a set and a collection of distinct strings (0 when either is empty)."""
    if not a or not b:
        return 0.0
    inter = len(a.intersection(b))  # iterates b: no set is built for it
    return inter / (len(a) + len(b) - inter)


def facts_disagree(a: Profile, b: Comparable) -> bool:
    """Both name amounts, codes or dates, and not one of them in common."""
    return bool(a.hard) and bool(b.hard) and a.hard.isdisjoint(b.hard)


def same_script_similarity(a: Profile, b: Comparable) -> float:
    """Jaccard of the shingle sets, 0 when the hard facts disagree."""
    if facts_disagree(a, b):
        return 0.0
    return jaccard(a.shingles, b.shingles)


def cross_language_similarity(a: Profile, b: Comparable) -> float:
    """Jaccard of the facts, 0 unless at least two shared facts are not commonplace (and none disagree)."""
    shared = a.facts.intersection(b.facts)
    if len(shared) < 3 or len(shared - COMMONPLACE) < 2 or facts_disagree(a, b):
        return 0.0
    return jaccard(a.facts, b.facts)
