"""The 👍/👎 keyboard under every Telegram alert, and its callback data. Pure: values in, values out.

A button's callback data names the alert's outbox row (``fb:down:1234``): short enough for
Telegram's 64-byte limit whatever the story's key, and the row leads to the chat, the story, the
item and the watchlists the judgment is about. The Bot API's own types are the sender's
(``bot.deliver.telegram.keyboard``); here a keyboard is rows of (label, data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

PREFIX = "fb"
UP, DOWN = "up", "down"
LABELS = {UP: "👍", DOWN: "👎"}
DATA = re.compile(rf"^{PREFIX}:({UP}|{DOWN}):(\d{{1,18}})$")
PATTERN = rf"^{PREFIX}:"  # for the handler: every feedback button, well-formed or not

Keyboard = list[list[tuple[str, str]]]


def feedback_keyboard(outbox_id: int, tally: Mapping[str, int] | None = None) -> Keyboard:
    """One row: 👍 and 👎, each naming the alert's outbox row; each with the number of people who chose it
    ("👍 2"), so that a tap leaves its mark on the alert (in a private chat: "👍 1", the reader's own)."""
    tally = tally or {}
    return [[(f"{LABELS[v]} {tally[v]}" if tally.get(v) else LABELS[v], f"{PREFIX}:{v}:{outbox_id}")
             for v in (UP, DOWN)]]


def parse_feedback(data: str) -> tuple[str, int] | None:
    """('down', 1234) from a button's data; None when it is not one of ours."""
    m = DATA.match(data)
    return (m.group(1), int(m.group(2))) if m else None

