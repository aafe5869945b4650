"""The store under contract: one fixture per implementation (``tests/store/contract.py`` runs on each)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    s = SqliteStore(tmp_path / "watchbot.db")
    yield s
    s.close()
