"""The store: feeds and their fetch state, items and sightings, matches, the outbox.

`Store` is the small interface the rest of watchbot uses; `SqliteStore` implements it on SQLite
in WAL mode. PostgreSQL can implement the same interface later (DESIGN.md, Beyond one machine).
"""

from bot.store.base import FeedState, OutboxRow, Store, StoredItem
from bot.store.sqlite import SqliteStore, open_store

__all__ = ["FeedState", "OutboxRow", "SqliteStore", "Store", "StoredItem", "open_store"]
