"""Hosts that never answer: what every feed host looks like from a machine cut off from the network.

``SilentHosts(addresses)`` listens on a port of each loopback address with an accept queue that is full and never
served: the kernel drops further connection requests, so a client's connect hangs until its own timeout, as it does
when packets go nowhere. (A port nothing listens on would refuse at once: that is an answer, from a dead host.)

    with SilentHosts(["127.0.0.2", "127.0.0.3"]) as hosts:
        hosts.url("127.0.0.2", "/feed.xml")     # http://127.0.0.2:<port>/feed.xml, never connecting
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from types import TracebackType


class SilentHosts:
    def __init__(self, addresses: Sequence[str]) -> None:
        self._listeners: dict[str, socket.socket] = {}
        self._fillers: list[socket.socket] = []
        for address in addresses:
            listener = socket.socket()
            listener.bind((address, 0))
            listener.listen(0)  # (an accept queue of one, never accepted from)
            filler = socket.socket()
            filler.connect(listener.getsockname())  # fills it: the kernel now drops what comes next
            self._listeners[address] = listener
            self._fillers.append(filler)

    def url(self, address: str, path: str = "/feed.xml") -> str:
        return f"http://{address}:{self._listeners[address].getsockname()[1]}{path}"

    def close(self) -> None:
        for s in [*self._fillers, *self._listeners.values()]:
            s.close()

    def __enter__(self) -> SilentHosts:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
