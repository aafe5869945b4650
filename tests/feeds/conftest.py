"""Fixtures for the feed tests: a live feed server on 127.0.0.1 and a fetcher with short limits."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from bot.feeds.fetch import HttpFetcher
from tests.doubles.feedserver import FeedServer


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def fetcher() -> AsyncIterator[HttpFetcher]:
    async with HttpFetcher(timeout=2.0, max_bytes=1_000_000, concurrency=8, per_host=2) as f:
        yield f
