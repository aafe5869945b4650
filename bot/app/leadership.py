"""Which `watchbot run` leads a shared store: the holder of its lease. IO: the store.

    Leadership(store).wait(stopping)   follower until the lease is free, then leader (at once on SQLite)
    await leadership.still()           False when the lease was lost (the connection dropped)
    await leadership.release()         at shutdown, so a follower takes over at once

The leader reads Telegram updates, sends alerts and digests and tells the admins; followers poll
(bot.app.spread) and try for the lease every ``TICK`` seconds, so when the leader dies one of them
takes over within ``TICK`` seconds of its session ending.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from bot.config import is_postgres
from bot.store.protocols import Store

log = logging.getLogger("watchbot.service")

TICK = 5.0  # seconds between a follower's tries for the lease, and the leader's checks that it holds it


class Leadership:
    def __init__(self, store: Store, name: str = "leader") -> None:
        self.store = store
        self.lease = store.lease(name)
        self.role = "starting"  # then "leader", or "follower" while another process leads the store

    async def wait(self, stopping: asyncio.Event) -> bool:
        """Wait for the lease; True when this process leads, False when asked to stop first."""
        while not stopping.is_set():
            if await self.store.run(self.lease.acquire):
                if self.role == "follower":
                    log.warning("taking over: this process now leads the store %s", self.store.location)
                elif is_postgres(self.store.location):  # (shared by several processes: say which this one is)
                    log.info("leader: this process leads the store %s (reads Telegram, sends); others that "
                             "start on it follow and poll", self.store.location)
                self.role = "leader"
                return True
            if self.role != "follower":
                log.info("follower: another `watchbot run` leads the store %s (sends, reads Telegram); this one "
                         "polls and takes over when the leader stops", self.store.location)
                self.role = "follower"
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=TICK)
        return False

    async def still(self) -> bool:
        """Whether this process still holds the lease (False: stop, so another takes over)."""
        if await self.store.run(self.lease.held):
            return True
        log.error("lost the lead of the store %s (the connection to it dropped): stopping, so that another "
                  "process takes over; restart this one", self.store.location)
        return False

    async def release(self) -> None:
        await self.store.run(self.lease.release)
