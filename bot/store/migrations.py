"""The SQL migrations a store package ships in its ``migrations/`` folder, read in order. Reads package files."""

from __future__ import annotations

from importlib import resources


def read(package: str) -> list[tuple[int, str, str]]:
    """(version, name, sql) of every ``NNNN_name.sql`` in ``package``'s migrations folder, by version."""
    found = []
    for entry in (resources.files(package) / "migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def behind(location: str, current: int, newest: int) -> str:
    """Why a command that only reads does not upgrade an older store (a release before cannot open it after)."""
    return (f"the store at {location} has schema version {current}, older than this watchbot's ({newest}): "
            "`watchbot run` (or `watchbot poll`) upgrades it, after which an older release cannot open it; back it "
            "up first (`watchbot store backup`, with the release that runs now)")
