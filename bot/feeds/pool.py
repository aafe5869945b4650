"""Connection slots and pools for the fetcher: fairness per host and connection reuse. Does IO (sockets).

Split from fetch.py: fetch.py decides what a request means; this module only decides when a request
may start and which pooled connection it uses.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable

import httpx

POOLS_KEPT = 256  # per-host connection pools kept open for reuse


class Slots:
    """At most ``total`` requests in flight and ``per_host`` per host name.

    A freed slot goes to a waiting request for the same host first, so that it reuses the
    connection just released instead of opening one (a TCP and often a TLS handshake) while the
    old one idles; otherwise waiting hosts are served in the order they arrived. A host keeps
    at most ``per_host`` slots, so the others always have the rest.
    """

    def __init__(self, total: int, per_host: int) -> None:
        self._total = total
        self._per_host = per_host
        self._busy = 0
        self._by_host: dict[str, int] = {}
        self._waiting: dict[str, deque[asyncio.Future[None]]] = {}  # hosts in order of arrival

    @contextlib.asynccontextmanager
    async def slot(self, host: str) -> AsyncIterator[None]:
        await self._acquire(host)
        try:
            yield
        finally:
            self._release(host)

    def busy(self, host: str) -> bool:
        """Whether a request to this host is in flight or waiting."""
        return host in self._by_host or host in self._waiting

    def _free_for(self, host: str) -> bool:
        return self._busy < self._total and self._by_host.get(host, 0) < self._per_host

    def _take(self, host: str) -> None:
        self._busy += 1
        self._by_host[host] = self._by_host.get(host, 0) + 1

    async def _acquire(self, host: str) -> None:
        if host not in self._waiting and self._free_for(host):
            self._take(host)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(host, deque()).append(future)
        try:
            await future  # the slot is taken on our behalf before the future is resolved
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release(host)
            else:
                queue = self._waiting.get(host)
                if queue is not None and future in queue:
                    queue.remove(future)
                    if not queue:
                        del self._waiting[host]
            raise

    def _release(self, host: str) -> None:
        queue = self._waiting.get(host)
        while queue:
            future = queue.popleft()
            if not queue:
                del self._waiting[host]
            if not future.done():
                future.set_result(None)  # the slot passes on as it is: same host, same counts
                return
        self._busy -= 1
        self._by_host[host] -= 1
        if not self._by_host[host]:
            del self._by_host[host]
        for waiting_host in list(self._waiting):
            if self._busy >= self._total:
                return
            queue = self._waiting[waiting_host]
            while queue and self._free_for(waiting_host):
                future = queue.popleft()
                if not future.done():
                    self._take(waiting_host)
                    future.set_result(None)
            if not queue:
                del self._waiting[waiting_host]


class PoolPerHost(httpx.AsyncBaseTransport):
    """One small httpcore pool per host name instead of one big one.

    httpcore's pool scans all its connections several times for every request (quadratic in its
    size): with 100 connections over 50 hosts that was most of the poller's CPU. Pools of at most
    ``per_host`` idle connections stay cheap; the least recently used idle ones are closed.
    """

    def __init__(self, per_host: int, *, busy: Callable[[str], bool], verify: ssl.SSLContext | None) -> None:
        self._per_host = per_host
        self._busy = busy
        self._ssl = verify or httpx.create_ssl_context()  # the CA bundle loaded once, not once per host
        self._pools: OrderedDict[str, httpx.AsyncHTTPTransport] = OrderedDict()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        pool = self._pools.get(host)
        if pool is None:
            limits = httpx.Limits(max_connections=None, max_keepalive_connections=self._per_host)
            pool = self._pools[host] = httpx.AsyncHTTPTransport(verify=self._ssl, limits=limits)
            await self._close_idle_pools()
        self._pools.move_to_end(host)
        return await pool.handle_async_request(request)

    async def _close_idle_pools(self) -> None:
        for host in list(self._pools)[: max(0, len(self._pools) - POOLS_KEPT)]:
            if not self._busy(host):
                await self._pools.pop(host).aclose()

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
        self._pools.clear()
