"""A match explained in words a rule author recognises, for people (not for ``match --format jsonl``). Pure.

    title: 'ASML' — phrase
    lede: 'semiconducter' ≈ 'semiconductor' (typo tolerance, 92%)
    title: 'export ban' — 'export' within 2 words of 'ban' (near rule)
    title: regex /ga(llium)? nitride/ matched 'gallium nitride'

Each distinct span of a field is explained once: when a phrase and a near rule hit the same
words, the phrase says it best; a phrase inside a longer phrase's span ("光刻" in "光刻机") is
left out. Lines are in English, or in the chat's language for Telegram (``lang``, bot.i18n: "why.*";
the matched text and the pattern stay as written). ``short_terms`` is the alert's "matched:" line: the
matched texts, a near hit as "export … ban" (it is no phrase of the list).

A hit carries only its pattern's label (``Hit.pattern``, fixed by DESIGN.md: the phrase,
``re:<source>`` or ``near(<a>…, <b>…)/N``). Given the watchlist, a near hit is resolved to the
phrases of each list that really hit; without it, the label's first phrases or the span's first
and last words stand in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.i18n import DEFAULT, t
from bot.watch.match import Matcher
from bot.watch.model import Hit, Match, Near, Pattern, Regex, Term, Watchlist
from bot.watch.text import phrase_key

_NEAR_LABEL = re.compile(r"^near\((.+)…, (.+)…\)/(\d+)$")
_CJK = re.compile(r"[\u2e80-\U0010ffff]")
_RANK = {"phrase": 0, "regex": 1, "near": 2}  # which explanation wins a span two patterns hit


@dataclass(frozen=True, slots=True)
class _Said:
    """One hit, understood: its kind and, for near, the two words it joined."""

    hit: Hit
    kind: str  # "phrase" | "regex" | "near"
    source: str = ""  # the regex source
    words: tuple[str, str] = ("", "")  # near: the two hits in text order
    within: int = 0


def explain(match: Match, watchlist: Watchlist | None = None, lang: str = DEFAULT) -> list[str]:
    """One line per distinct span of ``match``'s hits, in field and span order."""
    return [_line(s, lang) for s in _understood(match, watchlist)]


def short_terms(match: Match, watchlist: Watchlist | None = None) -> list[str]:
    """The matched texts for an alert's or a digest's "matched:" line, each once (``fewest``); a near hit as
    "export … ban"."""
    terms = (f"{s.words[0]} … {s.words[1]}" if s.kind == "near" and s.words[0] else s.hit.text.strip()
             for s in _understood(match, watchlist))
    return fewest(term for term in terms if term)


def stored_terms(watchlist: str, rows: object) -> list[str]:
    """``short_terms`` of a match as stored (its hits in DESIGN.md's JSON shape); a row the store holds in another
    shape gives its text, if any."""
    if not isinstance(rows, list):
        return []
    try:
        hits = hits_from_json(rows)
    except (KeyError, TypeError, ValueError, IndexError):
        return fewest(str(r["text"]) for r in rows if isinstance(r, dict) and r.get("text"))
    return short_terms(Match(watchlist, 0.0, hits)) if hits else []


def fewest(terms: Iterable[str]) -> list[str]:
    """Each term once, in order, without those another one holds: "memory chip" beside "memory chips", "ASML"
    beside "asml", 半导体 beside 半導體 say nothing more."""
    terms = list(dict.fromkeys(terms))
    folded = [phrase_key(term) or term.casefold() for term in terms]  # (半導體 beside 半导体 says nothing more either)
    return [term for n, term in enumerate(terms)
            if not any(_holds(f, folded[n]) and (f != folded[n] or m < n) for m, f in enumerate(folded) if m != n)]


def _holds(longer: str, shorter: str) -> bool:
    """Whether ``shorter`` is in ``longer`` as whole Latin words, a plural -s or -es allowed (or anywhere, for CJK
    text)."""
    return re.search(rf"(?<![a-z0-9]){re.escape(shorter)}(?:e?s)?(?![a-z0-9])", longer) is not None


def hits_from_json(rows: Iterable[Mapping[str, Any]]) -> tuple[Hit, ...]:
    """Hits back from their DESIGN.md JSON shape (as stored with alerts)."""
    return tuple(
        Hit(str(r.get("pattern", "")), str(r.get("field", "")), (int(r["span"][0]), int(r["span"][1])),
            str(r.get("text", "")), float(r.get("score", 100.0)))
        for r in rows
    )


def _line(s: _Said, lang: str) -> str:
    h = s.hit
    key = f"why.field.{h.field}"
    field = t(lang, key) if key in _FIELDS else h.field  # (a field a watchlist names itself stays as named)
    if s.kind == "regex":
        return t(lang, "why.regex", field=field, source=s.source, text=h.text)
    if s.kind == "near" and not s.words[0]:
        return t(lang, "why.near_span", field=field, text=h.text)
    if s.kind == "near":
        unit = ("why.character" if all(_CJK.search(w) for w in s.words) else "why.word") + (
            "s" if s.within != 1 else "")  # ("within 1 word")
        return t(lang, "why.near", field=field, text=h.text, a=s.words[0], b=s.words[1], within=s.within,
                 unit=t(lang, unit))
    if h.score < 100:
        return t(lang, "why.typo", field=field, text=h.text, pattern=h.pattern, score=f"{h.score:.0f}")
    if h.text == h.pattern:
        return t(lang, "why.phrase", field=field, text=h.text)
    return t(lang, "why.folded", field=field, text=h.text, pattern=h.pattern)  # case, width or Traditional script


_FIELDS = frozenset({"why.field.title", "why.field.lede"})


def _understood(match: Match, watchlist: Watchlist | None) -> list[_Said]:
    patterns = _patterns(watchlist)
    best: dict[tuple[str, tuple[int, int]], _Said] = {}
    for h in match.hits:
        said = _understand(h, patterns.get(h.pattern))
        key = (h.field, h.span)
        old = best.get(key)
        if old is None or _rank(said) < _rank(old):
            best[key] = said
    phrases = [s for s in best.values() if s.kind == "phrase"]
    return [  # hits come ordered by field then span (DESIGN.md); a phrase inside a longer phrase adds nothing
        s for s in best.values()
        if not any(p is not s and p.hit.field == s.hit.field and p.hit.span[0] <= s.hit.span[0]
                   and s.hit.span[1] <= p.hit.span[1] for p in phrases)
    ]


def _rank(s: _Said) -> tuple[int, bool, float]:
    """Which of two hits of one span says most: by kind, then a near hit whose two words were found, then score."""
    return _RANK[s.kind], s.kind == "near" and not s.words[0], -s.hit.score


def _patterns(watchlist: Watchlist | None) -> dict[str, Pattern]:
    if watchlist is None:
        return {}
    groups = [watchlist.any, *watchlist.all]
    return {p.label: p for group in groups for p in group}


def _understand(h: Hit, pattern: Pattern | None) -> _Said:
    if isinstance(pattern, Term):
        return _Said(h, "phrase")
    if isinstance(pattern, Regex) or (pattern is None and h.pattern.startswith("re:")):
        return _Said(h, "regex", source=h.pattern.removeprefix("re:"))
    if isinstance(pattern, Near):
        return _Said(h, "near", words=_near_words(h.text, pattern.first, pattern.second), within=pattern.within)
    m = _NEAR_LABEL.match(h.pattern)
    if m is None:
        return _Said(h, "phrase")
    first, second = (Term(m[1]),), (Term(m[2]),)
    return _Said(h, "near", words=_near_words(h.text, first, second), within=int(m[3]))


def _near_words(text: str, first: tuple[Term, ...], second: tuple[Term, ...]) -> tuple[str, str]:
    """The hit of each list inside a near span, in text order: one starts the span, the other ends it."""
    a, b = _side(text, first), _side(text, second)
    if a and b:
        if a[0] > b[0]:
            a, b = b, a
        return text[a[0]:a[1]], text[b[0]:b[1]]
    words = text.split()  # (the rule not at hand: a stored hit): the span's first and last words ...
    return (words[0], words[-1]) if len(words) > 1 else ("", "")  # ... none in Chinese, where a character is no word


def _side(text: str, terms: tuple[Term, ...]) -> tuple[int, int] | None:
    """The span of the hit of ``terms`` nearest an end of ``text`` (the near span starts or ends with it)."""
    usable = tuple(t for t in terms if phrase_key(t.text))
    if not usable:
        return None
    probe = Watchlist(id="side", name="side", fields=("text",), any=usable)
    spans = [h.span for m in Matcher([probe]).match({"text": text}) for h in m.hits]
    if not spans:
        return None
    return min(spans, key=lambda s: min(s[0], len(text) - s[1]))
