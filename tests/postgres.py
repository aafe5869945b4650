"""A fresh PostgreSQL schema per test, on the server at ``WATCHBOT_TEST_POSTGRES``. IO: PostgreSQL.

Default: the local server (``postgresql://postgres@127.0.0.1:5432/test``). Where none answers,
the test skips with one line on how to run it; ``WATCHBOT_REQUIRE_POSTGRES=1`` (set by .ci/run)
turns that skip into a failure, so CI cannot pass without having run them.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest

DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"


def server_url() -> str:
    """The test server's URL; skips (or fails, when required) where no server answers."""
    import psycopg

    url = os.environ.get("WATCHBOT_TEST_POSTGRES", DEFAULT)
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.Error as e:
        why = (str(e).strip().splitlines() or ["no answer"])[0]
        message = (f"PostgreSQL tests need a server at {url} ({why}): start one or set WATCHBOT_TEST_POSTGRES "
                   "to postgresql://USER@HOST:PORT/DB")
        if os.environ.get("WATCHBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(message + " (WATCHBOT_REQUIRE_POSTGRES=1)")
        pytest.skip(message)
    return url


def with_schema(url: str, schema: str) -> str:
    """``url`` with ``search_path`` set to ``schema`` for every connection."""
    joiner = "&" if "?" in url else "?"
    return f"{url}{joiner}options={quote(f'-csearch_path={schema}')}"


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A URL whose connections see only a new, empty schema; dropped afterwards."""
    import psycopg

    url = server_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}".encode())
    try:
        yield with_schema(url, schema)
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE".encode())
