"""Drain the outbox: claim due alerts, hand them to their sender, record each outcome. IO via the store.

An alert is marked sent only after its sender says the peer accepted it. Temporary failures go
back to 'pending' with exponential backoff (or the peer's retry_after); permanent ones go to
'dead' with the reason, never silently dropped. A crash leaves claimed alerts in 'sending';
`Store.release_in_flight` puts them back at start-up, so at most the in-flight sends repeat.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.deliver.alert import Alert, Outcome, Sender
from bot.errors import DeliveryError, TemporaryDeliveryError
from bot.store.base import OutboxRow
from bot.store.sqlite import SqliteStore

RETRY_BASE = 30.0  # seconds
RETRY_CAP = 3600.0
MAX_ATTEMPTS = 20  # about a day of retries at the cap, then dead


@dataclass
class DrainReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    errors: list[str] = field(default_factory=list)


def retry_delay(attempts: int, retry_after: float | None) -> float:
    """Seconds to wait before attempt ``attempts + 1``."""
    if retry_after is not None:  # the peer said how long; obey it
        return max(retry_after, 1.0)
    return min(RETRY_CAP, RETRY_BASE * 2 ** max(0, attempts - 1))


def build_alerts(store: SqliteStore, rows: Sequence[OutboxRow]) -> list[Alert]:
    """Join outbox rows with their items, matches and sightings."""
    items = store.get_items([r.identity for r in rows])
    alerts = []
    for r in rows:
        stored = items.get(r.identity)
        if stored is None:
            continue
        item = stored.item
        feeds = [name or url for url, name, _ in stored.sightings]
        source = feeds[0] if feeds else item.feed_url
        alerts.append(
            Alert(
                outbox_id=r.id, identity=r.identity, watchlists=r.watchlists, title=item.title, link=item.link,
                source=source, published=item.published, lede=item.lede, hits=store.match_hits(r.identity),
                also_in=tuple(dict.fromkeys(f for f in feeds[1:] if f != source)),
            )
        )
    return alerts


async def drain(store: SqliteStore, sender: Sender, *, clock: Callable[[], datetime], limit: int = 500) -> DrainReport:
    """Send every due alert of ``sender.channel`` once; return what happened."""
    report = DrainReport()
    rows = store.claim_due(sender.channel, now=clock(), limit=limit)
    if not rows:
        return report
    by_id = {r.id: r for r in rows}
    by_target: dict[str, list[OutboxRow]] = defaultdict(list)
    for r in rows:
        by_target[r.target].append(r)
    gate = asyncio.Semaphore(max(1, sender.concurrency))

    async def one(target: str, target_rows: list[OutboxRow]) -> None:
        settled: set[int] = set()

        def record(outcome: Outcome) -> None:
            """Mark alerts the moment their message is answered; later reports of them are ignored."""
            fresh = tuple(i for i in outcome.alert_ids if i in by_id and i not in settled)
            if fresh:
                settled.update(fresh)
                _record(store, Outcome(fresh, outcome.error), by_id, clock(), report)

        async with gate:
            # Built inside the gate: building every target's alerts up front stalls the loop
            # and bunches the paced sends that follow.
            alerts = build_alerts(store, target_rows)
            ids = tuple(a.outbox_id for a in alerts)
            try:
                outcomes = await sender.send(target, alerts, record)
            except DeliveryError as e:
                outcomes = [Outcome(ids, e)]
            except Exception as e:  # a sender bug must not lose alerts: retry them later
                outcomes = [Outcome(ids, TemporaryDeliveryError(target, f"unexpected {type(e).__name__}: {e}"))]
        for outcome in outcomes:
            record(outcome)
        missing = [r.id for r in target_rows if r.id not in settled]
        if missing:  # alerts a sender did not account for (or whose item vanished) stay deliverable
            store.mark_retry(missing, error="sender gave no outcome", next_attempt_at=clock())

    await asyncio.gather(*(one(t, rs) for t, rs in by_target.items()))
    return report


def _record(store: SqliteStore, outcome: Outcome, by_id: dict[int, OutboxRow], now: datetime,
            report: DrainReport) -> None:
    ids = list(outcome.alert_ids)
    error = outcome.error
    if error is None:
        store.mark_sent(ids, now=now)
        report.sent += len(ids)
        return
    report.errors.append(str(error))
    attempts = max(by_id[i].attempts for i in ids) if ids else 1
    if error.temporary and attempts < MAX_ATTEMPTS:
        delay = retry_delay(attempts, error.retry_after)
        store.mark_retry(ids, error=error.reason, next_attempt_at=now + timedelta(seconds=delay))
        report.retried += len(ids)
    else:
        reason = error.reason if not error.temporary else f"gave up after {attempts} attempts: {error.reason}"
        store.mark_dead(ids, error=reason)
        report.dead += len(ids)
