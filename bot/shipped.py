"""Where the files shipped with watchbot live: the watchlists in rules/ and the sample feeds in seeds/.

In a wheel they are copied into the package (bot/_shipped/...); in a source checkout or an
editable install they are the top-level folders beside bot/. No IO beyond checking folders.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def shipped_path(name: str) -> Path:
    """The shipped folder ``name`` ("rules" or "seeds"), inside the package or beside it."""
    inside = _PACKAGE / "_shipped" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def default_rules_dir(cwd: Path | None = None) -> Path:
    """``./rules`` when it exists, otherwise the watchlists shipped with the package."""
    local = (cwd or Path.cwd()) / "rules"
    return local if local.is_dir() else shipped_path("rules")
