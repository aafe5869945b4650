"""Suggest rule edits from 👍/👎 and write one back. Use-case: store reads; ``apply`` writes one rule file.

    judgments (store) | one verdict per item and watchlist | stored items since | bot.watch.suggest
        | report lines (`watchbot rules suggest`, /suggest) | --apply ID: bot.watch.rewrite, written atomically

Several people may judge one item (a group, several chats): the majority decides, a tie counts for
neither. Each suggestion's effect is measured by matching an edited copy of the watchlist over
the judged items and the items stored since ``since`` (the backtest's items): the judged 👎 it
removes, the 👍 it loses, the other stored matches it drops.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bot.errors import WatchbotError
from bot.i18n import DEFAULT, t
from bot.render.feedback import DOWN, UP
from bot.render.telegram import duration
from bot.store.protocols import Judgment, Store
from bot.watch import Watchlist
from bot.watch.rewrite import rewrite
from bot.watch.suggest import EXAMPLES, JudgedItem, Suggestion, suggest

LIMIT = 10  # suggestions listed


@dataclass(frozen=True, slots=True)
class Evidence:
    """What suggestions are made from: settled judgments and the stored items to measure on."""

    judged: list[JudgedItem]
    stored: list[tuple[str, str, str]]  # (identity, title, lede)
    judgments: int  # taps, before settling


def settle(judgments: Sequence[Judgment]) -> dict[tuple[str, str], str]:
    """(identity, watchlist) -> 'up' or 'down', by majority of the people who judged it; ties left out."""
    votes: dict[tuple[str, str], Counter[str]] = {}
    for j in judgments:
        for w in j.watchlists:
            votes.setdefault((j.identity, w), Counter())[j.verdict] += 1
    return {key: UP if c[UP] > c[DOWN] else DOWN for key, c in votes.items() if c[UP] != c[DOWN]}


def evidence(store: Store, since: datetime) -> Evidence:
    """The judgments and the stored items since ``since`` (in the store's thread, or directly from the CLI)."""
    judgments = store.judgments.all()
    verdicts = settle(judgments)
    items = store.items.get(sorted({identity for identity, _ in verdicts}))
    grouped: dict[tuple[str, str], list[str]] = {}
    for (identity, w), verdict in sorted(verdicts.items()):
        grouped.setdefault((identity, verdict), []).append(w)
    judged = [JudgedItem(identity, items[identity].item.title, items[identity].item.lede, verdict, tuple(ws))
              for (identity, verdict), ws in grouped.items() if identity in items]
    stored = [(s.item.identity, s.item.title, s.item.lede) for s in store.items.since(since)]
    return Evidence(judged, stored, len(judgments))


def suggestions(watchlists: Sequence[Watchlist], found: Evidence, *, limit: int | None = LIMIT) -> list[Suggestion]:
    return suggest(watchlists, found.judged, found.stored, limit=limit if limit is not None else 1_000_000)


def report_lines(found: Evidence, listed: Sequence[Suggestion], since: str, lang: str = DEFAULT) -> list[str]:
    """The suggestions, each on a line that starts with its id, and up to three example titles of each effect;
    in ``lang`` for /suggest (``bot.i18n``; the edits themselves are described as the rules are written)."""
    downs = sum(1 for j in found.judged if j.verdict == DOWN)
    lines = [t(lang, "suggest.summary", count=found.judgments, downs=downs, ups=len(found.judged) - downs,
               stored=len(found.stored), since=since)]
    if not downs:
        return [*lines, t(lang, "suggest.none_yet")]
    if not listed:
        return [*lines, t(lang, "suggest.none")]
    for s in listed:
        e = s.effect
        lines.append(t(lang, "suggest.line", id=s.id, edit=s.edit.describe(), removed=len(e.down_removed),
                       downs=e.down_total, lost=len(e.up_lost), ups=e.up_total, dropped=len(e.others_lost),
                       others=e.others_total))
        for label, titles in (("removes", e.down_removed), ("loses", e.up_lost), ("drops", e.others_lost)):
            lines += [t(lang, f"suggest.{label}", title=title[:90]) for title in titles[:EXAMPLES]]
    lines.append(t(lang, "suggest.apply"))
    return lines


@dataclass(frozen=True, slots=True)
class Applied:
    suggestion: Suggestion
    path: Path


def apply(watchlists: Sequence[Watchlist], found: Evidence, suggestion_id: str) -> Applied:
    """Write the suggestion ``suggestion_id`` into its watchlist's file (atomically: a reload never reads half)."""
    every = suggestions(watchlists, found, limit=None)
    chosen = next((s for s in every if s.id == suggestion_id), None)
    if chosen is None:
        known = ", ".join(s.id for s in every[:LIMIT]) or "none"
        raise WatchbotError(f"no suggestion {suggestion_id!r} (the judgments or rules changed?); now: {known}")
    owner = next(w for w in watchlists if w.id == chosen.edit.watchlist)
    if owner.source is None:
        raise WatchbotError(f"watchlist {owner.id!r} has no file to write to")
    path = owner.source
    text = rewrite(path.read_text(encoding="utf-8"), chosen.edit, path=path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise WatchbotError(f"{path}: cannot write the edit: {e.strerror or e}") from None
    return Applied(chosen, path)


class Suggestions:
    """/suggest for the service: the same report, computed off the event loop."""

    def __init__(self, store: Store, watchlists: Callable[[], Sequence[Watchlist]], *,
                 clock: Callable[[], datetime], since: float = 30 * 86400) -> None:
        self.store = store
        self.watchlists = watchlists
        self.clock = clock
        self.since = since

    async def report_lines(self, lang: str = DEFAULT) -> list[str]:
        found = await self.store.run(evidence, self.store, self.clock() - timedelta(seconds=self.since))
        listed = await asyncio.to_thread(suggestions, self.watchlists(), found)
        return report_lines(found, listed, duration(self.since, lang), lang)
