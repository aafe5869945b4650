"""SQLite implementation of the Store, in WAL mode. IO: one database file.

Transactions are short and run on the caller's thread; the service calls them from its event
loop between awaits, which SQLite answers in microseconds for these row counts. Migrations are
the numbered .sql files in ``migrations/``, applied in order inside one transaction each, and
recorded in ``PRAGMA user_version``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.errors import StoreError
from bot.items.normalize import Item
from bot.store.base import FeedState, OutboxRow, StoredItem

if TYPE_CHECKING:
    from bot.watch import Match


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store; pass timezone-aware times")
    return value.astimezone(UTC).isoformat(timespec="seconds")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _at(value: str) -> datetime:
    """A NOT NULL time column."""
    return datetime.fromisoformat(value)


def migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration, in order."""
    folder = resources.files("bot.store") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def open_store(path: Path) -> SqliteStore:
    """Open (creating and migrating as needed) the SQLite store at ``path``."""
    return SqliteStore(path)


class SqliteStore:
    """The Store on one SQLite file."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path) if str(path) != ":memory:" else None
        try:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self.db.execute("PRAGMA busy_timeout=5000")
            self.migrate()
        except (sqlite3.Error, OSError) as e:
            raise StoreError(f"cannot open the store at {path}: {e} (check the folder exists and is writable)") from e

    # --- plumbing ----------------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the migrations this database has not seen; return the schema version."""
        current = self.db.execute("PRAGMA user_version").fetchone()[0]
        known = migrations()
        newest = known[-1][0] if known else 0
        if current > newest:
            raise StoreError(f"the store at {self.path} has schema version {current}, newer than this "
                             f"watchbot knows ({newest}): upgrade watchbot")
        for version, name, sql in known:
            if version <= current:
                continue
            try:
                self.db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {version};\nCOMMIT;")
            except sqlite3.Error as e:
                self.db.execute("ROLLBACK") if self.db.in_transaction else None
                raise StoreError(f"migration {name} failed: {e}") from e
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @property
    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def transaction(self) -> _Transaction:
        return _Transaction(self.db)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> sqlite3.Cursor:
        return self.db.execute(sql, params)

    def close(self) -> None:
        self.db.close()

    def writable(self) -> bool:
        """True when a write goes through (for /healthz)."""
        try:
            with self.transaction():
                self.db.execute("PRAGMA user_version = " + str(self.schema_version))
            return True
        except sqlite3.Error:
            return False

    # --- feeds -------------------------------------------------------------------------------------

    def sync_feeds(self, feeds: Iterable[tuple[str, str]]) -> None:
        """Make sure each configured (url, name) has a row; names follow the config."""
        with self.transaction():
            for url, name in feeds:
                self.db.execute(
                    "INSERT INTO feeds (url, name) VALUES (?, ?) ON CONFLICT (url) DO UPDATE SET name = excluded.name",
                    (url, name),
                )

    def feeds(self, urls: Sequence[str] | None = None) -> list[FeedState]:
        if urls is None:
            rows = self.db.execute("SELECT * FROM feeds ORDER BY url").fetchall()
        else:
            marks = ",".join("?" * len(urls))
            rows = self.db.execute(f"SELECT * FROM feeds WHERE url IN ({marks}) ORDER BY url", list(urls)).fetchall()
        return [_feed(r) for r in rows]

    def record_fetch(self, url: str, *, now: datetime, status: int | None, etag: str | None,
                     last_modified: str | None, title: str | None, next_poll_at: datetime) -> None:
        """A successful poll (200 or 304): keep validators, clear the failure streak."""
        self.db.execute(
            """UPDATE feeds SET last_status = ?, last_polled_at = ?, last_success_at = ?,
                   etag = COALESCE(?, etag), last_modified = COALESCE(?, last_modified),
                   title = COALESCE(?, title), consecutive_failures = 0, failure_notified = 0,
                   next_poll_at = ? WHERE url = ?""",
            (status, _iso(now), _iso(now), etag, last_modified, title or None, _iso(next_poll_at), url),
        )

    def record_fetch_failure(self, url: str, *, now: datetime, status: int | None, error: str,
                             next_poll_at: datetime) -> int:
        """A failed poll; returns the failure streak."""
        self.db.execute(
            """UPDATE feeds SET last_status = ?, last_polled_at = ?, last_error = ?, last_error_at = ?,
                   consecutive_failures = consecutive_failures + 1, next_poll_at = ? WHERE url = ?""",
            (status, _iso(now), error, _iso(now), _iso(next_poll_at), url),
        )
        row = self.db.execute("SELECT consecutive_failures FROM feeds WHERE url = ?", (url,)).fetchone()
        return int(row[0]) if row else 0

    def mark_failure_notified(self, url: str) -> None:
        self.db.execute("UPDATE feeds SET failure_notified = 1 WHERE url = ?", (url,))

    # --- items -------------------------------------------------------------------------------------

    def add_items(self, items: Sequence[Item], *, feed_name: str, now: datetime) -> list[Item]:
        """Store items and their sightings; return the ones never seen before, in order."""
        new: list[Item] = []
        seen_now: set[str] = set()
        with self.transaction():
            for item in items:
                cur = self.db.execute(
                    """INSERT INTO items (identity, url, link, guid, title, lede, language, published_at,
                                          first_seen_at, feed_url)
                       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (identity) DO NOTHING""",
                    (item.identity, item.url, item.link, item.guid, item.title, item.lede, item.language,
                     _iso(item.published), _iso(now), item.feed_url),
                )
                if cur.rowcount and item.identity not in seen_now:
                    new.append(item)
                    seen_now.add(item.identity)
                self.db.execute(
                    """INSERT INTO sightings (identity, feed_url, feed_name, link, seen_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (identity, feed_url) DO NOTHING""",
                    (item.identity, item.feed_url, feed_name, item.link, _iso(now)),
                )
            if new:
                self.db.execute("UPDATE feeds SET items_total = items_total + ? WHERE url = ?",
                                (len(new), items[0].feed_url))
        return new

    def record_matches(self, identity: str, matches: Sequence[Match], *, now: datetime) -> None:
        from bot.watch import to_json

        with self.transaction():
            for m in matches:
                self.db.execute(
                    """INSERT INTO matches (identity, watchlist, score, hits, matched_at) VALUES (?, ?, ?, ?, ?)
                       ON CONFLICT (identity, watchlist) DO NOTHING""",
                    (identity, m.watchlist, m.score, json.dumps(to_json(m)["hits"], ensure_ascii=False), _iso(now)),
                )

    def matched_watchlists(self, identity: str) -> dict[str, float]:
        rows = self.db.execute("SELECT watchlist, score FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: r["score"] for r in rows}

    def match_hits(self, identity: str) -> dict[str, list[dict[str, Any]]]:
        rows = self.db.execute("SELECT watchlist, hits FROM matches WHERE identity = ?", (identity,))
        return {r["watchlist"]: json.loads(r["hits"]) for r in rows}

    def alerted_watchlists(self, identity: str) -> set[str]:
        rows = self.db.execute("SELECT watchlists FROM outbox WHERE identity = ?", (identity,))
        return {w for r in rows for w in json.loads(r["watchlists"])}

    def items_since(self, since: datetime) -> Iterator[StoredItem]:
        rows = self.db.execute(
            "SELECT * FROM items WHERE first_seen_at >= ? ORDER BY first_seen_at, identity", (_iso(since),)
        ).fetchall()
        for chunk_start in range(0, len(rows), 500):
            chunk = rows[chunk_start: chunk_start + 500]
            sightings = self._sightings([r["identity"] for r in chunk])
            for r in chunk:
                yield _stored(r, sightings.get(r["identity"], ()))

    def count_items_since(self, since: datetime) -> int:
        return int(self.db.execute("SELECT count(*) FROM items WHERE first_seen_at >= ?", (_iso(since),)).fetchone()[0])

    def get_items(self, identities: Sequence[str]) -> dict[str, StoredItem]:
        out: dict[str, StoredItem] = {}
        for start in range(0, len(identities), 500):
            chunk = list(identities[start: start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(f"SELECT * FROM items WHERE identity IN ({marks})", chunk).fetchall()
            sightings = self._sightings(chunk)
            for r in rows:
                out[r["identity"]] = _stored(r, sightings.get(r["identity"], ()))
        return out

    def _sightings(self, identities: Sequence[str]) -> dict[str, tuple[tuple[str, str, datetime], ...]]:
        if not identities:
            return {}
        marks = ",".join("?" * len(identities))
        rows = self.db.execute(
            f"SELECT identity, feed_url, feed_name, seen_at FROM sightings WHERE identity IN ({marks}) "
            "ORDER BY seen_at, feed_url",
            list(identities),
        )
        grouped: dict[str, list[tuple[str, str, datetime]]] = {}
        for r in rows:
            grouped.setdefault(r["identity"], []).append((r["feed_url"], r["feed_name"], _at(r["seen_at"])))
        return {k: tuple(v) for k, v in grouped.items()}

    # --- outbox ------------------------------------------------------------------------------------

    def enqueue(self, identity: str, channel: str, target: str, watchlists: Sequence[str], *,
                now: datetime) -> bool:
        """Write one alert; a second alert for the same (item, channel, target) is ignored."""
        cur = self.db.execute(
            """INSERT INTO outbox (identity, channel, target, watchlists, next_attempt_at, created_at)
               VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (identity, channel, target) DO NOTHING""",
            (identity, channel, target, json.dumps(sorted(watchlists)), _iso(now), _iso(now)),
        )
        return bool(cur.rowcount)

    def claim_due(self, channel: str, *, now: datetime, limit: int = 100,
                  targets: Sequence[str] | None = None) -> list[OutboxRow]:
        """Move due pending alerts to 'sending' and return them, oldest first."""
        with self.transaction():
            sql = "SELECT * FROM outbox WHERE state = 'pending' AND channel = ? AND next_attempt_at <= ?"
            params: list[Any] = [channel, _iso(now)]
            if targets is not None:
                sql += f" AND target IN ({','.join('?' * len(targets))})"
                params += list(targets)
            rows = self.db.execute(sql + " ORDER BY id LIMIT ?", [*params, limit]).fetchall()
            if rows:
                ids = [r["id"] for r in rows]
                self.db.execute(
                    f"UPDATE outbox SET state = 'sending', attempts = attempts + 1 "
                    f"WHERE id IN ({','.join('?' * len(ids))})", ids)
        return [_outbox(r, state="sending", attempts=r["attempts"] + 1) for r in rows]

    def mark_sent(self, ids: Sequence[int], *, now: datetime) -> None:
        self._update(ids, "state = 'sent', sent_at = ?, last_error = NULL", [_iso(now)])

    def mark_retry(self, ids: Sequence[int], *, error: str, next_attempt_at: datetime) -> None:
        self._update(ids, "state = 'pending', last_error = ?, next_attempt_at = ?", [error, _iso(next_attempt_at)])

    def mark_dead(self, ids: Sequence[int], *, error: str) -> None:
        self._update(ids, "state = 'dead', last_error = ?", [error])

    def retarget(self, channel: str, old: str, new: str) -> int:
        """Move pending alerts of one target to another (a group migrated to a supergroup)."""
        cur = self.db.execute(
            "UPDATE OR IGNORE outbox SET target = ? "
            "WHERE channel = ? AND target = ? AND state IN ('pending', 'sending')",
            (new, channel, old))
        return cur.rowcount

    def release_in_flight(self) -> int:
        """After a crash: alerts left in 'sending' go back to 'pending' (they may be sent twice)."""
        return self.db.execute("UPDATE outbox SET state = 'pending' WHERE state = 'sending'").rowcount

    def outbox_counts(self) -> dict[str, int]:
        rows = self.db.execute("SELECT state, count(*) AS n FROM outbox GROUP BY state")
        return {r["state"]: r["n"] for r in rows}

    def outbox_rows(self, *, state: str | None = None, channel: str | None = None) -> list[OutboxRow]:
        sql, params = "SELECT * FROM outbox WHERE 1 = 1", list[Any]()
        if state:
            sql, params = sql + " AND state = ?", [*params, state]
        if channel:
            sql, params = sql + " AND channel = ?", [*params, channel]
        return [_outbox(r) for r in self.db.execute(sql + " ORDER BY id", params)]

    def _update(self, ids: Sequence[int], assignments: str, params: list[Any]) -> None:
        if not ids:
            return
        marks = ",".join("?" * len(ids))
        self.db.execute(f"UPDATE outbox SET {assignments} WHERE id IN ({marks})", [*params, *ids])


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; nested use joins the outer one."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        if not self.db.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.outer:
            return
        self.db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def _feed(r: sqlite3.Row) -> FeedState:
    return FeedState(
        url=r["url"], name=r["name"], title=r["title"], etag=r["etag"], last_modified=r["last_modified"],
        last_status=r["last_status"], last_polled_at=_dt(r["last_polled_at"]),
        last_success_at=_dt(r["last_success_at"]), last_error=r["last_error"],
        last_error_at=_dt(r["last_error_at"]), consecutive_failures=r["consecutive_failures"],
        next_poll_at=_dt(r["next_poll_at"]), items_total=r["items_total"],
        failure_notified=bool(r["failure_notified"]),
    )


def _stored(r: sqlite3.Row, sightings: tuple[tuple[str, str, datetime], ...]) -> StoredItem:
    item = Item(
        identity=r["identity"], url=r["url"], link=r["link"], guid=r["guid"], title=r["title"], lede=r["lede"],
        language=r["language"], published=_dt(r["published_at"]), feed_url=r["feed_url"],
        feed_title=sightings[0][1] if sightings else "",
    )
    return StoredItem(item=item, first_seen_at=_at(r["first_seen_at"]), sightings=sightings)


def _outbox(r: sqlite3.Row, *, state: str | None = None, attempts: int | None = None) -> OutboxRow:
    return OutboxRow(
        id=r["id"], identity=r["identity"], channel=r["channel"], target=r["target"],
        watchlists=tuple(json.loads(r["watchlists"])), state=state or r["state"],
        attempts=r["attempts"] if attempts is None else attempts,
        next_attempt_at=_at(r["next_attempt_at"]), last_error=r["last_error"],
        created_at=_at(r["created_at"]),
    )
