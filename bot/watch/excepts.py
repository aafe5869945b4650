"""Except phrases: which of them can hold a hit of a phrase, and those that never can. Pure.

A hit inside an except phrase does not count (``{term: chip, except: [potato chip]}``). A `near`'s
except list serves the words of both its lists, and most of those words appear in none of its
phrases (出口's excepts 出口处 and 安全出口 are nothing to "export"): the matcher gives each word only
the phrases that can hold it, so the rest stay on the fast path of a word without excepts.
An except phrase that holds none of its words is a mistake the author wants to hear about
(``watchbot rules check``): it never applies.
"""

from __future__ import annotations

import re
from dataclasses import replace

from rapidfuzz import fuzz

from bot.watch.model import Term, Watchlist, terms_of
from bot.watch.text import phrase_key
from bot.watch.typos import fuzzy_eligible

_LATIN = re.compile(r"[a-z]", re.IGNORECASE)


def can_hold(phrase: str, fuzzy: int | None, except_phrase: str) -> bool:
    """Whether a hit of ``phrase`` can lie inside ``except_phrase``: it contains the phrase, or a typo of the
    phrase may hit there (a Latin phrase with typo tolerance, and Latin letters in the except phrase)."""
    key = phrase_key(phrase)
    return key in phrase_key(except_phrase) or (
        fuzzy is not None and fuzzy_eligible(key) and bool(_LATIN.search(except_phrase)))


def relevant(t: Term) -> Term:
    """``t`` with only the except phrases that can hold its hit."""
    kept = tuple(e for e in t.excepts if can_hold(t.text, t.fuzzy, e))
    return t if kept == t.excepts else replace(t, excepts=kept)


def _may_hold(t: Term, except_phrase: str) -> bool:
    """``can_hold``, with the typo a Latin phrase may hit tested: a part of ``except_phrase`` as close to the phrase
    as its typo tolerance asks ('germanium exports' holds nothing like 'gallium', so it is no except of it)."""
    key, held = phrase_key(t.text), phrase_key(except_phrase)
    if key in held:
        return True
    return (t.fuzzy is not None and fuzzy_eligible(key) and bool(_LATIN.search(except_phrase))
            and fuzz.partial_ratio(key, held) >= t.fuzzy)


def except_warnings(watchlist: Watchlist) -> list[str]:
    """One line per except phrase of ``watchlist`` that holds none of its pattern's words (for ``rules check``)."""
    where = f"{watchlist.source}: " if watchlist.source else ""
    lines = []
    for part, patterns in watchlist.parts():
        for p in patterns:
            terms = terms_of(p)
            excepts = dict.fromkeys(e for t in terms for e in t.excepts)
            for e in excepts:
                if not any(_may_hold(t, e) for t in terms):
                    what = "its phrase" if isinstance(p, Term) else "a word of its lists"
                    lines.append(
                        f"{where}watchlist {watchlist.id!r}, {part}: except phrase '{e}' of {p.label!r} does not "
                        f"hold {what}, so it never applies; write the phrase around the word it should silence "
                        "('potato chip' for 'chip', 出口处 for 出口)"
                    )
    return lines
