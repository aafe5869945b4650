"""Text to a stream: the console channel's sender. IO: writes text."""

from __future__ import annotations

import sys
from typing import TextIO


class ConsoleSender:
    """Prints each message followed by a blank line; never fails."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream

    def post(self, text: str) -> None:
        print(text + "\n", file=self.stream or sys.stdout, flush=True)
