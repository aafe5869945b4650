"""The noise report: which patterns fire alone most often over stored items. Use-case: store reads.

A match whose only hit is one pattern rests on one word; when that word is common in news for
other reasons ("Intel" in laptop reviews, 芯片 in a TV's spec sheet), those matches are where the
false alerts are. `watchbot rules lint` lists the patterns that fire alone most often, how often,
and a few example titles, so a rule author sees the risky ones before users do (and can mark
them ``weak: true``, add an ``except`` or a ``none`` veto).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.store.protocols import Store
from bot.watch import Matcher, Term, Watchlist

EXAMPLES = 3


@dataclass
class Lone:
    """One pattern of one watchlist and the matches it made on its own."""

    watchlist: str
    pattern: str
    alone: int = 0
    weak: bool = False
    examples: list[str] = field(default_factory=list)


@dataclass
class NoiseReport:
    items: int = 0
    matches: Counter[str] = field(default_factory=Counter)  # watchlist -> matches
    lone: dict[tuple[str, str], Lone] = field(default_factory=dict)

    def worst(self, limit: int) -> list[Lone]:
        """The patterns that fire alone most often, most first."""
        return sorted(self.lone.values(), key=lambda x: (-x.alone, x.watchlist, x.pattern))[:limit]


def noise(watchlists: Sequence[Watchlist], items: Iterable[tuple[str, str]]) -> NoiseReport:
    """Count, over (title, lede) pairs, each watchlist's matches and the patterns that were their only hit. Pure."""
    matcher = Matcher(watchlists)
    weak = {(w.id, p.text) for w in watchlists for ps in (w.any, *w.all) for p in ps if isinstance(p, Term) and p.weak}
    # A match rests on its `any` hits: an `all` group's hit (China, in a list of China's export rules) is in every
    # match, and counted, it left no `any` pattern ever alone, however many matches one common word made.
    anys = {w.id: {p.label for p in w.any} for w in watchlists}
    report = NoiseReport()
    for title, lede in items:
        report.items += 1
        for m in matcher.match({"title": title, "lede": lede}):
            report.matches[m.watchlist] += 1
            patterns = {h.pattern for h in m.hits if h.pattern in anys.get(m.watchlist, ())}
            if len(patterns) != 1:
                continue
            key = (m.watchlist, patterns.pop())
            lone = report.lone.setdefault(key, Lone(*key, weak=key in weak))
            lone.alone += 1
            if len(lone.examples) < EXAMPLES:
                lone.examples.append(title)
    return report


def lint(store: Store, watchlists: Sequence[Watchlist], since: datetime,
         progress: Callable[[int], None] | None = None) -> NoiseReport:
    """The noise report over the items stored since ``since`` (in the store's thread, or from the CLI)."""

    def items() -> Iterable[tuple[str, str]]:
        for n, stored in enumerate(store.items.since(since), 1):
            if progress is not None:
                progress(n)
            yield stored.item.title, stored.item.lede

    return noise(watchlists, items())


def report_lines(report: NoiseReport, since: str, limit: int) -> list[str]:
    lines = [f"{report.items} item{'s' * (report.items != 1)} stored in the last {since}; matches: "
             + (", ".join(f"{w} {n}" for w, n in sorted(report.matches.items())) or "none")]
    if not report.items:
        return [*lines, "Nothing to look at yet: poll some feeds first (`watchbot poll`)."]
    if not report.matches:
        return [*lines, "No stored item matched a watchlist: no pattern fires at all."]
    worst = report.worst(limit)
    if not worst:
        return [*lines, "No pattern fires alone: every match has at least two `any` patterns' hits."]
    lines.append("Patterns that fire alone (the only hit of a match), most often first:")
    for lone in worst:
        share = lone.alone / max(1, report.matches[lone.watchlist])
        mark = " (weak)" if lone.weak else ""
        lines.append(f"  {lone.alone:5}  {lone.watchlist}: {lone.pattern!r}{mark}, the only hit in {share:.0%} of "
                     f"the matches of {lone.watchlist}")
        lines += [f"         e.g. {title[:100]}" for title in lone.examples]
    return lines
