"""A watchlist's id changed: the lists and maps of ids that stores keep in JSON (an alert's watchlists, a judgment's
hits), with the new id in the old one's place. Pure; both stores use it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def renamed_ids(ids: Sequence[str], old: str, new: str) -> list[str]:
    """``ids`` with ``old`` as ``new``, each once, in their order."""
    return list(dict.fromkeys(new if w == old else w for w in ids))


def renamed_keys(by_id: Mapping[str, Any], old: str, new: str) -> dict[str, Any]:
    """``by_id`` with ``old``'s entry under ``new`` (an entry ``new`` already has is kept)."""
    moved = {(new if w == old else w): v for w, v in by_id.items() if w != old}
    if old in by_id:
        moved.setdefault(new, by_id[old])
    return moved
