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
