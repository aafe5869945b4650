"""Domain values shared across rooms. No IO.

Each stage keeps its own types beside it (``feeds.model.Entry``, ``items.normalize.Item``,
``watch.model.Match``, ``digest.build.Digest``); what lives here crosses rooms: an ``Alert`` is
built by the alert use-case from the store and rendered by ``bot/render`` for each channel.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Alert:
    """One matched story for one target, with everything a formatter needs."""

    outbox_id: int
    identity: str
    watchlists: tuple[str, ...]
    title: str
    link: str | None
    source: str  # the feed's name or title
    published: datetime | None
    lede: str
    hits: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # watchlist -> hits (DESIGN.md shape)
    also_in: tuple[str, ...] = ()  # other feeds that carried the story

    def terms(self) -> list[str]:
        """The matched texts, each once, in the order the watchlists explain them; a near() hit as
        "export … ban" (its two words), never as if it were a phrase."""
        from bot.watch.explain import fewest, stored_terms

        return fewest(term for wl in self.watchlists for term in stored_terms(wl, self.hits.get(wl, [])))
