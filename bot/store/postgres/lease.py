"""Leadership among the processes sharing a PostgreSQL store: a session advisory lock. IO: PostgreSQL.

The lock lives as long as the session holding it: a process that dies (even by kill -9) closes
its connection and the server frees the lock at once; a machine that vanishes is noticed by TCP
keepalives within ~20 s. The lock's key is hashed from the schema and the lease's name, so
stores in different schemas of one database do not contend.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3,
              "tcp_user_timeout": 15000}
# The server's side of the lease's session too: it is the server that frees the lock of a machine gone (its own
# defaults wait 2 hours before they look). Added to the URL's own options (a schema's search_path).
SERVER_KEEPALIVES = ("-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3 "
                     "-c tcp_user_timeout=15000")


class PostgresLease:
    """``acquire`` / ``held`` / ``release`` on a connection of its own, outside the pool."""

    def __init__(self, url: str, name: str) -> None:
        self.url = url
        self.name = name
        self._conn: psycopg.Connection[Any] | None = None
        self._holding = False
        self._lock = threading.Lock()  # store.run may call from different worker threads

    def acquire(self) -> bool:
        with self._lock:
            if self._holding and self._alive():
                return True
            self._holding = False
            try:
                if self._conn is None or self._conn.closed:
                    given = conninfo_to_dict(self.url).get("options") or ""
                    self._conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5, **KEEPALIVES,
                                                 options=f"{given} {SERVER_KEEPALIVES}".strip())
                row = self._conn.execute(
                    "SELECT pg_try_advisory_lock(hashtextextended(current_schema() || ':' || %s, 0))",
                    (self.name,)).fetchone()
            except psycopg.Error:
                self._drop()
                return False
            self._holding = bool(row and row[0])
            return self._holding

    def held(self) -> bool:
        with self._lock:
            if not self._holding:
                return False
            if not self._alive():
                self._holding = False
            return self._holding

    def release(self) -> None:
        with self._lock:
            if self._holding and self._conn is not None:
                with contextlib.suppress(psycopg.Error):  # at once: a closing session frees it a little later
                    self._conn.execute("SELECT pg_advisory_unlock_all()")
            self._holding = False
            self._drop()

    def _alive(self) -> bool:
        try:
            assert self._conn is not None
            row = self._conn.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() "
                "AND granted").fetchone()
        except (psycopg.Error, AssertionError):
            self._drop()
            return False
        return bool(row and row[0])

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
        self._conn = None
