"""The store's worker threads, with two lanes: work someone waits for goes before queued background work.

A store is synchronous; the event loop hands it calls through ``Store.run`` and they run here, on
``threads`` threads (one for SQLite: one connection). Polling hands over a call per feed it stored
(``Store.run_background``); with 200 feeds in flight those queue up, and a Telegram command or a web
page queued behind them would wait for all of them. Here a call from ``run`` is taken before any
queued background call, and calls of one lane keep their order. A call already running is never
interrupted: the wait for a person is at most one background call per thread.
"""

from __future__ import annotations

import asyncio
import itertools
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

PERSON = 0
BACKGROUND = 1
_STOP = 2


class Lanes:
    """``threads`` worker threads taking calls from two lanes, person first."""

    def __init__(self, threads: int, name: str = "store") -> None:
        self.threads = threads
        self._name = name
        self._queue: queue.PriorityQueue[tuple[int, int, Callable[[], Any] | None, Future[Any] | None]] = (
            queue.PriorityQueue())
        self._order = itertools.count()
        self._workers: list[threading.Thread] = []
        self._lock = threading.Lock()

    def submit(self, call: Callable[[], T], *, lane: int = PERSON) -> asyncio.Future[T]:
        """Queue ``call`` in ``lane``; its result (or exception) on the running event loop."""
        future: Future[T] = Future()
        self._start()
        self._queue.put((lane, next(self._order), call, future))
        return asyncio.wrap_future(future)

    def shutdown(self) -> None:
        """Finish what is queued, then stop the threads (they are started again on the next call)."""
        with self._lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put((_STOP, next(self._order), None, None))
        for w in workers:
            w.join()

    def _start(self) -> None:
        if len(self._workers) == self.threads:
            return
        with self._lock:
            while len(self._workers) < self.threads:
                worker = threading.Thread(target=self._work, name=f"{self._name}_{len(self._workers)}", daemon=True)
                worker.start()
                self._workers.append(worker)

    def _work(self) -> None:
        while True:
            _, _, call, future = self._queue.get()
            if call is None or future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                result = call()
            except BaseException as e:  # (handed to the caller, as an executor does)
                future.set_exception(e)
            else:
                future.set_result(result)
