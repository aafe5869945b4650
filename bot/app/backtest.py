"""Backtest: the current rules over stored items, against what matched and was alerted then. Use-case: store reads.

`watchbot rules backtest` prints it; the web's watchlist editor shows the same difference before saving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.store.protocols import Store
from bot.watch import Matcher
from bot.watch.explain import short_terms, stored_terms
from bot.watch.personal import owner


@dataclass
class Backtest:
    """Counts and examples of the differences between then and now, per watchlist."""

    total: int = 0
    now: Counter[str] = field(default_factory=Counter)
    before: Counter[str] = field(default_factory=Counter)
    alerted: Counter[str] = field(default_factory=Counter)
    gained: dict[str, list[str]] = field(default_factory=dict)  # would match now, did not then
    lost: dict[str, list[str]] = field(default_factory=dict)  # matched then, would not now

    def add(self, title: str, where: str, now: set[str], before: set[str], alerted: set[str],
            why: Mapping[str, Sequence[str]] | None = None) -> None:
        """One item: the watchlists it matches now and matched then; ``why``, each watchlist's matched terms (now's
        for a gain, then's for a loss), so that a line says which words decide (it listed titles alone)."""
        self.now.update(now)
        self.before.update(before)
        self.alerted.update(alerted)
        why = why or {}
        for table, watchlists in ((self.gained, now - before), (self.lost, before - now)):
            for w in watchlists:
                terms = ", ".join(why.get(w, ())[:4])
                table.setdefault(w, []).append(f"{title[:80]}  <{where}>" + (f"  matched: {terms}" if terms else ""))


def backtest(store: Store, matcher: Matcher, since: datetime,
             progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Match every item stored since ``since`` again (in the store's thread, or directly from the CLI)."""
    report = Backtest(total=store.items.count_since(since))
    for n, stored in enumerate(store.items.since(since), 1):
        item = stored.item
        matches = {m.watchlist: m for m in matcher.match({"title": item.title, "lede": item.lede})}
        now = set(matches)
        # the chats' own phrases are not the rules tested: left out (every chat's list was reported "gone")
        before = {w for w in store.items.matched_watchlists(item.identity) if owner(w) is None}
        alerted = {w for w in store.outbox.alerted_watchlists(item.identity) if owner(w) is None}
        why: dict[str, list[str]] = {w: short_terms(matches[w]) for w in now - before}
        if before - now:
            hits = store.items.match_hits(item.identity)
            why.update({w: stored_terms(w, hits.get(w, [])) for w in before - now})
        report.add(item.title, item.url or item.identity, now, before, alerted, why)
        if progress is not None:
            progress(n, report.total)
    return report
