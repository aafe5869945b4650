"""Backtest: the current rules over stored items, against what matched and was alerted then. Use-case: store reads.

`watchbot rules backtest` prints it; the web's watchlist editor shows the same difference before saving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot.store.protocols import Store
from bot.watch import Matcher


@dataclass
class Backtest:
    """Counts and examples of the differences between then and now, per watchlist."""

    total: int = 0
    now: Counter[str] = field(default_factory=Counter)
    before: Counter[str] = field(default_factory=Counter)
    alerted: Counter[str] = field(default_factory=Counter)
    gained: dict[str, list[str]] = field(default_factory=dict)  # would match now, did not then
    lost: dict[str, list[str]] = field(default_factory=dict)  # matched then, would not now

    def add(self, title: str, where: str, now: set[str], before: set[str], alerted: set[str]) -> None:
        self.now.update(now)
        self.before.update(before)
        self.alerted.update(alerted)
        for w in now - before:
            self.gained.setdefault(w, []).append(f"{title[:80]}  <{where}>")
        for w in before - now:
            self.lost.setdefault(w, []).append(f"{title[:80]}  <{where}>")


def backtest(store: Store, matcher: Matcher, since: datetime,
             progress: Callable[[int, int], None] | None = None) -> Backtest:
    """Match every item stored since ``since`` again (in the store's thread, or directly from the CLI)."""
    report = Backtest(total=store.items.count_since(since))
    for n, stored in enumerate(store.items.since(since), 1):
        item = stored.item
        now = {m.watchlist for m in matcher.match({"title": item.title, "lede": item.lede})}
        before = set(store.items.matched_watchlists(item.identity))
        alerted = store.outbox.alerted_watchlists(item.identity)
        report.add(item.title, item.url or item.identity, now, before, alerted)
        if progress is not None:
            progress(n, report.total)
    return report
