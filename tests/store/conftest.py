"""The store under contract: one fixture per implementation (``tests/store/contract.py`` runs on each).

PostgreSQL runs where a server answers at ``WATCHBOT_TEST_POSTGRES`` (default the local one);
each test gets a fresh schema. Without a server those tests skip, unless
``WATCHBOT_REQUIRE_POSTGRES=1`` (CI) makes that a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.store.protocols import Store
from bot.store.sqlite import SqliteStore
from tests.postgres import postgres_schema


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "postgres":
        from bot.store.postgres import PostgresStore

        with postgres_schema() as url:
            s: Store = PostgresStore(url)
            yield s
            s.close()
        return
    s = SqliteStore(tmp_path / "watchbot.db")
    yield s
    s.close()
