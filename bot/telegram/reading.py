"""Reading updates: one update python-telegram-bot cannot read is skipped, not read again forever.

PTB reads a whole getUpdates answer at once; an update it cannot read (a field it requires that Telegram left out
after an API change, or an odd one) fails the whole answer, the offset never moves past it, and the same answer is
fetched again in a tight loop: no command was answered again, and the log grew by 30,000 lines a second. Here each
update of the answer is read on its own first; one that cannot be read is replaced by its bare ``update_id`` (which
no handler takes, and which moves the offset on), and said once in the log with its kind and why.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from telegram import Update
from telegram.request import HTTPXRequest

log = logging.getLogger("watchbot.telegram")


class ReadableUpdates(HTTPXRequest):
    """The getUpdates request: its answer's unreadable updates made bare (see the module's docstring)."""

    async def do_request(self, url: str, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await super().do_request(url, *args, **kwargs)
        if code != 200 or not url.endswith("/getUpdates"):
            return code, payload
        try:
            answer = json.loads(payload)
        except ValueError:
            return code, payload  # (PTB says what it got)
        if not isinstance(answer, dict) or not isinstance(answer.get("result"), list):
            return code, payload
        read = [readable(update) for update in answer["result"]]
        if read == answer["result"]:
            return code, payload
        return code, json.dumps({**answer, "result": read}).encode()


def readable(update: Any) -> Any:
    """``update`` when PTB can read it; else only its ``update_id`` (said in the log), or as it was when it has none
    (PTB's own error then says what came)."""
    try:
        Update.de_json(dict(update), None)
        return update
    except Exception as e:  # (PTB's TypeError, KeyError, AttributeError... of a field it did not get as it wants)
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            return update
        kinds = [k for k in update if k != "update_id"] if isinstance(update, dict) else []
        log.warning("telegram: skipped update %s (%s) that python-telegram-bot cannot read: %s: %s", update_id,
                    ", ".join(kinds) or "empty", type(e).__name__, str(e)[:200])
        return {"update_id": update_id}
