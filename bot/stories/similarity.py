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
from dataclasses import dataclass

from bot.stories.features import features
from bot.stories.tokens import cjk_pairs, words
from bot.watch.text import fold

LEDE_CHARS = 400  # the lede's opening: later sentences drift to background that other stories share
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
# Facts that many unrelated reports share: they count in the Jaccard, but not as proof across languages.
_COMMONPLACE_TEXT = (
    "e:us e:china e:taiwan e:netherlands e:japan e:south-korea e:germany e:france e:uk e:india e:russia "
    "e:ukraine e:iran e:israel e:malaysia e:singapore e:vietnam e:hong-kong e:eu e:ai-chips e:export-controls "
    "e:export-licence e:lithography e:subsidies e:stake e:ipo e:layoffs e:smuggling"
)
COMMONPLACE = frozenset(_COMMONPLACE_TEXT.split())


@dataclass(frozen=True, slots=True)
class Profile:
    """The comparable parts of one report."""

    shingles: frozenset[str]  # words / CJK pairs of title and lede, ``t:`` title tokens, facts
    facts: frozenset[str]  # language-neutral features
    script: str  # "zh" (mostly Han characters) or "latin"

    @property
    def hard_facts(self) -> frozenset[str]:
        """Amounts, percentages, codes and dates: the facts that must agree."""
        return frozenset(f for f in self.facts if f[0] in "npcdq")


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
    title_tokens = words(ftitle) + cjk_pairs(ftitle)
    facts = features(folded)
    shingles = {"t:" + t for t in title_tokens}
    shingles.update(title_tokens, words(flede), cjk_pairs(flede), facts)
    return Profile(frozenset(shingles), facts, script_of(folded.original, language))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """|a & b| / |a | b| (0 for two empty sets)."""
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def facts_disagree(a: Profile, b: Profile) -> bool:
    """Both name amounts, codes or dates, and not one of them in common."""
    ha, hb = a.hard_facts, b.hard_facts
    return bool(ha) and bool(hb) and not (ha & hb)


def same_script_similarity(a: Profile, b: Profile) -> float:
    """Jaccard of the shingle sets, 0 when the hard facts disagree."""
    if facts_disagree(a, b):
        return 0.0
    return jaccard(a.shingles, b.shingles)


def cross_language_similarity(a: Profile, b: Profile) -> float:
    """Jaccard of the facts, 0 unless at least two shared facts are not commonplace (and none disagree)."""
    shared = a.facts & b.facts
    if len(shared - COMMONPLACE) < 2 or len(shared) < 3 or facts_disagree(a, b):
        return 0.0
    return jaccard(a.facts, b.facts)
