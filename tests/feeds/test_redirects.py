"""Redirects into non-public addresses (issue #11.10, DESIGN.md): the decision as a table, then end to end.

End to end the feed server listens on 127.0.0.1 and 127.0.0.2, and ``localhost`` resolves to
127.0.0.1: three hosts, two addresses. A feed configured on one loopback address may redirect
within it, never to another; a name is judged by what it resolves to. (``localhost`` is only a
redirect target here: the offline guard in tests/conftest.py refuses httpx's b"localhost".)
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.errors import FetchError
from bot.feeds.address import redirect_refusal
from bot.feeds.fetch import FetchRequest, HttpFetcher
from tests.doubles.feedserver import FeedServer, rss

PUBLIC = ["93.184.215.14"]


@pytest.mark.parametrize(
    ("origin", "origin_addresses", "target", "target_addresses", "refused"),
    [
        # public targets are always fine
        ("feeds.example.com", PUBLIC, "cdn.example.net", ["151.101.1.1", "2a04:4e42::1"], None),
        ("127.0.0.1", ["127.0.0.1"], "example.org", PUBLIC, None),
        # into the cloud metadata service, loopback, private networks, "this host"
        ("feeds.example.com", PUBLIC, "169.254.169.254", ["169.254.169.254"], "link-local address 169.254.169.254"),
        ("feeds.example.com", PUBLIC, "127.0.0.1", ["127.0.0.1"], "loopback address 127.0.0.1"),
        ("feeds.example.com", PUBLIC, "[::1]", ["::1"], "loopback address [::1]"),
        ("feeds.example.com", PUBLIC, "0.0.0.0", ["0.0.0.0"], "unspecified address 0.0.0.0"),
        ("feeds.example.com", PUBLIC, "10.1.2.3", ["10.1.2.3"], "private address 10.1.2.3"),
        ("feeds.example.com", PUBLIC, "172.16.0.9", ["172.16.0.9"], "private address 172.16.0.9"),
        ("feeds.example.com", PUBLIC, "192.168.1.1", ["192.168.1.1"], "private address 192.168.1.1"),
        ("feeds.example.com", PUBLIC, "[fd12::1]", ["fd12::1"], "private address [fd12::1]"),
        ("feeds.example.com", PUBLIC, "[fe80::1]", ["fe80::1"], "link-local address [fe80::1]"),
        ("feeds.example.com", PUBLIC, "[::ffff:127.0.0.1]", ["::ffff:127.0.0.1"], "loopback address"),
        # a name is judged by its addresses: one private address among public ones is enough
        ("feeds.example.com", PUBLIC, "intranet.example.com", ["93.184.215.15", "10.0.0.5"],
         "private address intranet.example.com (10.0.0.5)"),
        ("feeds.example.com", PUBLIC, "metadata.google.internal", ["169.254.169.254"], "link-local address"),
        # a feed configured on a non-public address may move around that address only
        ("127.0.0.1", ["127.0.0.1"], "127.0.0.1", ["127.0.0.1"], None),
        ("localhost", ["127.0.0.1"], "127.0.0.1", ["127.0.0.1"], None),
        ("127.0.0.1", ["127.0.0.1"], "localhost", ["127.0.0.1"], None),
        ("127.0.0.1", ["127.0.0.1"], "localhost", ["127.0.0.1", "::1"], "loopback address localhost (::1)"),
        ("127.0.0.1", ["127.0.0.1"], "127.0.0.2", ["127.0.0.2"], "loopback address 127.0.0.2"),
        ("localhost", ["127.0.0.1"], "127.0.0.2", ["127.0.0.2"], "loopback address 127.0.0.2"),
        ("10.0.0.5", ["10.0.0.5"], "10.0.0.6", ["10.0.0.6"], "private address 10.0.0.6"),
        ("10.0.0.5", ["10.0.0.5"], "169.254.169.254", ["169.254.169.254"], "link-local address"),
        ("intranet", ["10.0.0.5"], "INTRANET.", [], None),  # the same host, however spelled
        # a target that did not resolve is left to the connection to fail
        ("feeds.example.com", PUBLIC, "gone.example.com", [], None),
    ],
)
def test_redirect_decision(origin: str, origin_addresses: list[str], target: str, target_addresses: list[str],
                           refused: str | None) -> None:
    reason = redirect_refusal(origin_host=origin, origin_addresses=origin_addresses, target_host=target,
                              target_addresses=target_addresses)
    if refused is None:
        assert reason is None
    else:
        assert reason is not None and f"redirect to {refused}" in reason
        assert reason.endswith("refused: only a feed configured on that address may be fetched from it")


@pytest.fixture
def two_hosts() -> Iterator[FeedServer]:
    with FeedServer(hosts=["127.0.0.1", "127.0.0.2"]) as server:
        yield server


FEED = rss([("Chip export rules", "https://example.org/1")])


def feed_everywhere(server: FeedServer) -> None:
    server.feed("/feed.xml", FEED)


async def test_a_redirect_within_the_configured_address_is_followed(two_hosts: FeedServer,
                                                                    fetcher: HttpFetcher) -> None:
    feed_everywhere(two_hosts)
    two_hosts.redirect("/old.xml", two_hosts.url("/feed.xml", "127.0.0.1"))
    fetched = await fetcher.fetch(FetchRequest(two_hosts.url("/old.xml", "127.0.0.1")))
    assert fetched.body == FEED


@pytest.mark.parametrize(
    ("origin", "target", "reason"),
    [
        ("127.0.0.1", "127.0.0.2", "redirect to loopback address 127.0.0.2 refused"),
        ("127.0.0.2", "localhost", "redirect to loopback address localhost (127.0.0.1) refused"),
        ("127.0.0.2", "0.0.0.0", "redirect to unspecified address 0.0.0.0 refused"),
        ("127.0.0.1", "169.254.169.254", "redirect to link-local address 169.254.169.254 refused"),
    ],
)
async def test_a_redirect_to_another_non_public_address_is_refused(
    two_hosts: FeedServer, fetcher: HttpFetcher, origin: str, target: str, reason: str
) -> None:
    feed_everywhere(two_hosts)
    port = two_hosts.ports["127.0.0.1"]
    two_hosts.redirect("/moved.xml", f"http://{target}:{port}/feed.xml")
    configured = two_hosts.url("/moved.xml", origin)
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(configured))
    assert caught.value.url == configured and caught.value.reason.startswith(reason)
    assert caught.value.temporary is False
    assert two_hosts.requests_for("/feed.xml") == []  # nothing was asked of the target


async def test_the_check_applies_at_every_hop(two_hosts: FeedServer, fetcher: HttpFetcher) -> None:
    feed_everywhere(two_hosts)
    two_hosts.redirect("/a.xml", "/b.xml")
    two_hosts.redirect("/b.xml", two_hosts.url("/feed.xml", "127.0.0.2"))
    with pytest.raises(FetchError, match="redirect to loopback address 127.0.0.2 refused"):
        await fetcher.fetch(FetchRequest(two_hosts.url("/a.xml", "127.0.0.1")))
