"""Fixtures for digest tests: SMTP servers on loopback, TLS certificates, a store with stories in it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore, _iso
from tests.doubles.smtp import SmtpServer, TlsCerts


@pytest.fixture(scope="session")
def certs() -> TlsCerts:
    return TlsCerts()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "watchbot.db")
    yield s
    s.close()


def seed(store: SqliteStore, identity: str, *, watchlists: list[str], at: datetime, title: str = "",
         feeds: tuple[str, ...] = ("Reuters",), lede: str = "", published: datetime | None = None) -> None:
    """One story seen in ``feeds`` and matched by ``watchlists`` at ``at`` (as the pipeline would store it)."""
    for n, feed in enumerate(feeds):  # seen in this order, a second apart
        link = f"https://news.example/{identity}"
        item = Item(identity=identity, url=link, link=link, guid=None, title=title or f"story {identity}",
                    lede=lede, language="en", published=published or at,
                    feed_url=f"https://{feed.lower().replace(' ', '-')}.example/rss", feed_title=feed)
        store.add_items([item], feed_name=feed, now=at + timedelta(seconds=n))
    for w in watchlists:
        hits = [{"pattern": w, "field": "title", "span": [0, 1], "text": w.upper(), "score": 100.0}]
        store.execute("INSERT INTO matches (identity, watchlist, score, hits, matched_at) VALUES (?, ?, ?, ?, ?)",
                      (identity, w, 100.0, json.dumps(hits), _iso(at)))
