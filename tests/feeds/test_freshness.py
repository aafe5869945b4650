"""How long a server says its answer stays fresh (Cache-Control, Expires, Age): a table. Pure, no IO."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.feeds.freshness import freshness

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
DATE = "Tue, 24 Nov 2026 08:00:00 GMT"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"cache-control": "max-age=1800"}, (1800.0, "Cache-Control max-age=1800")),
        ({"cache-control": "public, Max-Age=\"600\", must-revalidate"}, (600.0, "Cache-Control max-age=600")),
        ({"cache-control": "max-age=1800", "age": "600"}, (1200.0, "Cache-Control max-age=1800")),  # used up
        ({"cache-control": "max-age=60", "age": "600"}, None),  # already stale
        ({"cache-control": "max-age=0"}, None),
        ({"cache-control": "no-cache, max-age=3600"}, None),  # revalidate every time: no pause asked
        ({"cache-control": "no-store"}, None),
        ({"cache-control": "max-age=soon"}, None),
        ({"cache-control": "s-maxage=3600"}, None),  # for shared caches, not for us
        ({"expires": "Tue, 24 Nov 2026 09:00:00 GMT", "date": DATE}, (3600.0, "Expires (in 60 min)")),
        ({"expires": "Tue, 24 Nov 2026 09:00:00 GMT"}, (3600.0, "Expires (in 60 min)")),  # no Date: our clock
        # the server's clock is 10 minutes behind ours: Expires counts from its Date, not from our now
        ({"expires": "Tue, 24 Nov 2026 08:20:00 GMT", "date": "Tue, 24 Nov 2026 07:50:00 GMT"},
         (1800.0, "Expires (in 30 min)")),
        ({"expires": "Tue, 24 Nov 2026 07:00:00 GMT", "date": DATE}, None),  # in the past
        ({"expires": "0"}, None),  # "already expired"
        ({"expires": "-1"}, None),
        ({"cache-control": "max-age=300", "expires": "Tue, 24 Nov 2026 09:00:00 GMT", "date": DATE},
         (300.0, "Cache-Control max-age=300")),  # max-age wins over Expires
    ],
    ids=["none", "max-age", "directives", "age", "stale", "zero", "no-cache", "no-store", "not-a-number",
         "s-maxage", "expires", "expires-no-date", "server-clock", "expired", "expires-0", "expires--1",
         "max-age-wins"],
)
def test_freshness(headers: dict[str, str], expected: tuple[float, str] | None) -> None:
    assert freshness(headers, NOW) == expected
