"""lxml parsers, one per thread. Pure.

A poll reads feeds in a pool of threads (bot/app/pipeline.py): each parses a feed's XML (fastpath.py) and its
items' HTML (the ledes, bot/items/lede.py), while the event loop's thread may read a site's page (discover.py) or an
OPML file. lxml asks that one parser not be used by several threads. Kept module-wide and shared, ours crashed
`watchbot poll` of the 200 captured feeds 3 times in about 340 runs: glibc aborting on a corrupt heap ("free(): invalid
pointer" in lxml's HTML parser, "realloc(): invalid next size" in its XML parser) while the other parse thread ran.
With a parser per thread: none in 720 runs. So each thread makes its own, the first time it needs one.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class PerThread(Generic[T]):
    """``make()`` once in each thread that calls for it: ``etree.fromstring(body, PARSER())``."""

    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make
        self._mine = threading.local()

    def __call__(self) -> T:
        try:
            return self._mine.made
        except AttributeError:
            made = self._mine.made = self._make()
            return made
