"""Retention: forget items, sightings and matches older than ``storage.keep``. IO: the store.

Run daily by the service (and by `watchbot store prune`). What an alert still waits for, or a
digest recipient has not received yet, stays whatever its age (``ItemStore.prune``).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.store.protocols import Store

log = logging.getLogger("watchbot.retention")

PRUNE_EVERY = 86400.0  # seconds between prunes in `watchbot run`
FIRST_PRUNE = 300.0  # seconds after start: a restart loop does not prune on every start


async def prune(store: Store, *, keep: float, now: datetime) -> dict[str, int]:
    """Prune what was first seen more than ``keep`` seconds before ``now``; the counts of what went."""
    counts = await store.run(store.items.prune, now - timedelta(seconds=keep))
    if counts.get("items"):
        log.info("pruned %s (older than %s)", ", ".join(f"{n} {what}" for what, n in counts.items()),
                 describe(keep))
    return counts


def describe(seconds: float) -> str:
    days = seconds / 86400
    return f"{days:g} days" if days >= 1 else f"{seconds:g} s"
