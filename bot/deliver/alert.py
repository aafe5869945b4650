"""What a sender is handed and what it answers. No IO.

An Alert is one story for one target, with everything a formatter needs; senders format and
send, and answer with Outcomes so that a batch split over several messages can succeed in part.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.errors import DeliveryError


@dataclass(frozen=True, slots=True)
class Alert:
    """One matched story for one target."""

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
        """The matched texts, each once, in the order the watchlists explain them."""
        seen: dict[str, None] = {}
        for wl in self.watchlists:
            for hit in self.hits.get(wl, []):
                seen.setdefault(str(hit.get("text", "")).strip(), None)
        return [t for t in seen if t]


@dataclass(frozen=True, slots=True)
class Outcome:
    """The fate of some alerts: delivered (error None) or failed with a DeliveryError."""

    alert_ids: tuple[int, ...]
    error: DeliveryError | None = None


Report = Callable[[Outcome], None]
"""Told of each message's fate as soon as the peer answered, before the rest of a batch goes out."""


class Sender(Protocol):
    """Sends alerts to one kind of target. Formatting lives beside it, not inside the IO.

    ``send`` returns the outcome of every alert; a sender that splits a batch over several
    messages also calls ``report`` after each, so the outbox marks it at once and a crash
    repeats at most the message in flight.
    """

    channel: str
    concurrency: int

    async def send(self, target: str, alerts: Sequence[Alert], report: Report | None = None) -> list[Outcome]: ...
