"""Judgments: a 👍 or 👎 tapped under an alert, stored for `watchbot rules suggest`. Use-case: the store.

A tap names the alert's outbox row; the judgment records what that alert was about (chat, story,
item, watchlists, the hits that made it) and who judged it. In a group anyone may judge (it is
their view of the alert), one judgment per person: a later tap replaces the earlier one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.deliver.telegram import CHANNEL as TELEGRAM
from bot.render.feedback import DOWN, UP
from bot.store.protocols import Judgment, Store


@dataclass(frozen=True, slots=True)
class Judged:
    """What a tap did, for the answer shown at once (the front door words it: ``bot.i18n``'s
    ``feedback.<outcome>``), and the judgment stored (None when refused).

    Outcomes: ``up`` or ``down`` (noted), ``up_changed`` or ``down_changed`` (replaced an earlier
    tap the other way), ``unknown_button``, ``stale`` (an alert this chat does not have)."""

    outcome: str
    judgment: Judgment | None = None
    tally: dict[str, int] | None = None  # the alert's verdicts now (verdict -> people), for its buttons


class Judgments:
    def __init__(self, store: Store, *, clock: Callable[[], datetime]) -> None:
        self.store = store
        self.clock = clock

    async def judge(self, outbox_id: int, *, chat_id: int, user_id: int, verdict: str) -> Judged:
        """Store ``verdict`` ('up' or 'down') by ``user_id`` on the alert ``outbox_id`` seen in ``chat_id``."""
        return await self.store.run(self._judge, outbox_id, chat_id, user_id, verdict, self.clock())

    def _judge(self, outbox_id: int, chat_id: int, user_id: int, verdict: str, now: datetime) -> Judged:
        if verdict not in (UP, DOWN):
            return Judged("unknown_button")
        row = self.store.outbox.get(outbox_id)
        if row is None or row.channel != TELEGRAM or not self._same_chat(row.target, chat_id):
            # a forged or stale button: never let one chat judge another chat's alert
            return Judged("stale")
        hits = self.store.items.match_hits(row.identity)
        judgment = Judgment(chat_id=int(row.target), story=row.story, user_id=user_id, verdict=verdict,
                            identity=row.identity, watchlists=row.watchlists,
                            hits={w: hits[w] for w in row.watchlists if w in hits}, at=now)
        old = self.store.judgments.record(judgment)
        changed = old is not None and old.verdict != verdict
        return Judged(f"{verdict}_changed" if changed else verdict, judgment,
                      self.store.judgments.tally(judgment.chat_id, judgment.story))

    def _same_chat(self, target: str, chat_id: int) -> bool:
        """The alert went to this chat, or to the group this supergroup was before it moved."""
        if target == str(chat_id):
            return True
        try:
            chat = self.store.chats.get(int(target))
        except ValueError:
            return False
        return chat is not None and chat.migrated_to == chat_id

    async def all(self, since: datetime | None = None) -> list[Judgment]:
        return await self.store.run(self.store.judgments.all, since=since)


def tally(store: Store, outbox_id: int) -> dict[str, int]:
    """The verdicts on the alert ``outbox_id`` (verdict -> people), for its buttons when it is edited; in the
    store's thread."""
    row = store.outbox.get(outbox_id)
    if row is None or row.channel != TELEGRAM or not row.target.lstrip("-").isdigit():
        return {}
    return store.judgments.tally(int(row.target), row.story)
