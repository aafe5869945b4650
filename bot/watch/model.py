"""Domain types of the watchlist engine: watchlists and their patterns, hits and matches. No IO."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.errors import RuleError

DEFAULT_FIELDS = ("title", "lede")
DEFAULT_FUZZY = 90


@dataclass(frozen=True, slots=True)
class Term:
    """A phrase. ``fuzzy`` is the resolved threshold (None: exact only)."""

    text: str
    fuzzy: int | None = DEFAULT_FUZZY
    case: bool = False
    excepts: tuple[str, ...] = ()
    # A word news uses in passing: its hit counts only in the title or the lede's first
    # sentence, or beside a hit of a pattern that is not weak (DESIGN.md, Evidence).
    weak: bool = False

    @property
    def label(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class Regex:
    """A regular expression run on the folded text."""

    source: str

    @property
    def label(self) -> str:
        return f"re:{self.source}"


@dataclass(frozen=True, slots=True)
class Near:
    """A hit of ``first`` and a hit of ``second`` with at most ``within`` tokens between them."""

    first: tuple[Term, ...]
    second: tuple[Term, ...]
    within: int

    @property
    def label(self) -> str:
        return f"near({self.first[0].text}…, {self.second[0].text}…)/{self.within}"


Pattern = Term | Regex | Near


def terms_of(p: Pattern) -> tuple[Term, ...]:
    """The phrases of a pattern: a term itself, both lists of a `near`, none for a regex."""
    return (p,) if isinstance(p, Term) else (p.first + p.second) if isinstance(p, Near) else ()


@dataclass(frozen=True, slots=True)
class Watchlist:
    """One watchlist: ``any`` must hit, one of each ``all`` group too, and no ``none`` pattern."""

    id: str
    name: str
    description: str = ""
    fields: tuple[str, ...] = DEFAULT_FIELDS
    any: tuple[Pattern, ...] = ()
    all: tuple[tuple[Pattern, ...], ...] = ()
    none: tuple[Pattern, ...] = ()
    fuzzy: int | None = DEFAULT_FUZZY
    source: Path | None = None

    def parts(self) -> list[tuple[str, tuple[Pattern, ...]]]:
        """Its pattern lists named as a rule author finds them: ``any``, ``all[0]``, ..., ``none``."""
        return [("any", self.any), *((f"all[{n}]", g) for n, g in enumerate(self.all)), ("none", self.none)]


@dataclass(frozen=True, slots=True)
class Hit:
    """Why a watchlist matched: ``span`` is ``[start, end)`` in the original field text."""

    pattern: str
    field: str
    span: tuple[int, int]
    text: str
    score: float


@dataclass(frozen=True, slots=True)
class Discounted:
    """A weak hit that did not count, and why (for explanations; never in ``hits``)."""

    hit: Hit
    reason: str


@dataclass(frozen=True, slots=True)
class Match:
    """A watchlist that matched an item; ``score`` is its best hit's score.

    ``hits`` are the hits that counted; ``discounted`` the weak hits that did not.
    """

    watchlist: str
    score: float
    hits: tuple[Hit, ...]
    discounted: tuple[Discounted, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The watchlists that loaded and the problems of those that did not."""

    watchlists: tuple[Watchlist, ...]
    errors: tuple[RuleError, ...] = ()


def to_json(m: Match) -> dict[str, object]:
    """One match in the ``watchbot match --format jsonl`` shape."""
    return {
        "watchlist": m.watchlist,
        "score": m.score,
        "hits": [
            {"pattern": h.pattern, "field": h.field, "span": list(h.span), "text": h.text, "score": h.score}
            for h in m.hits
        ],
    }
