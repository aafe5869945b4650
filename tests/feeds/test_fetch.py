"""HttpFetcher against a real feed server on 127.0.0.1: every way a server misbehaves."""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import tracemalloc
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path

import pytest

from bot.errors import FetchError
from bot.feeds.fetch import DEFAULT_USER_AGENT, FetchRequest, HttpFetcher
from tests.doubles.feedserver import FeedServer, Route, rss
from tests.doubles.silent import SilentHosts

FEED = rss([("ASML ships a new scanner", "https://example.org/1")])
NEWER = rss([("ASML ships a new scanner", "https://example.org/1"), ("Second", "https://example.org/2")])


async def test_etag_gives_200_then_304_without_body(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/a.xml", FEED)
    first = await fetcher.fetch(FetchRequest(url))
    assert (first.status, first.body, first.not_modified) == (200, FEED, False)
    assert first.etag and first.last_modified

    second = await fetcher.fetch(FetchRequest(url, etag=first.etag))
    assert second.not_modified and second.status == 304 and second.body == b""
    assert second.etag == first.etag
    assert feed_server.requests_for("/a.xml")[1].headers["if-none-match"] == first.etag


async def test_last_modified_gives_200_then_304(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    stamp = formatdate(1_700_000_000, usegmt=True)
    url = feed_server.route("/lm.xml", Route(body=FEED, last_modified=stamp))
    first = await fetcher.fetch(FetchRequest(url))
    assert first.status == 200 and first.etag is None and first.last_modified == stamp

    second = await fetcher.fetch(FetchRequest(url, last_modified=first.last_modified))
    assert second.not_modified and second.body == b""
    assert second.last_modified == stamp
    assert feed_server.requests_for("/lm.xml")[1].headers["if-modified-since"] == stamp


async def test_changed_feed_comes_back_with_200_and_new_validators(
    feed_server: FeedServer, fetcher: HttpFetcher
) -> None:
    url = feed_server.feed("/a.xml", FEED)
    first = await fetcher.fetch(FetchRequest(url))
    feed_server.update("/a.xml", NEWER)
    second = await fetcher.fetch(FetchRequest(url, etag=first.etag, last_modified=first.last_modified))
    assert second.status == 200 and second.body == NEWER
    assert second.etag != first.etag and second.last_modified != first.last_modified


async def test_user_agent_names_the_project(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    await fetcher.fetch(FetchRequest(feed_server.feed("/a.xml", FEED)))
    agent = feed_server.requests[0].headers["user-agent"]
    assert agent == DEFAULT_USER_AGENT
    assert agent.startswith("watchbot/") and "https://github.com/watchbot/watchbot" in agent


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds", "words"),
    [(429, "120", 120.0, "2 min"), (503, "7", 7.0, "7 s")],
)
async def test_retry_after_seconds(
    feed_server: FeedServer, fetcher: HttpFetcher, status: int, retry_after: str, seconds: float, words: str
) -> None:
    url = feed_server.status("/busy", status, headers={"Retry-After": retry_after})
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(url))
    assert caught.value.retry_after == seconds
    assert caught.value.reason == f"HTTP {status} (retry after {words})"
    assert caught.value.temporary


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_http_date(feed_server: FeedServer, fetcher: HttpFetcher, status: int) -> None:
    import time

    when = formatdate(time.time() + 3600, usegmt=True)
    url = feed_server.status("/busy", status, headers={"Retry-After": when})
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(url))
    assert caught.value.retry_after is not None
    assert 3500 <= caught.value.retry_after <= 3601
    assert caught.value.temporary


async def test_server_error_is_temporary(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.status("/broken", 500, b"oops")
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(url))
    assert caught.value.reason == "HTTP 500"
    assert caught.value.temporary and caught.value.retry_after is None
    assert str(caught.value) == f"{url}: HTTP 500"


@pytest.mark.parametrize("status", [404, 410, 403])
async def test_missing_or_forbidden_is_permanent(
    feed_server: FeedServer, fetcher: HttpFetcher, status: int
) -> None:
    url = feed_server.status("/gone", status)
    with pytest.raises(FetchError, match=f"HTTP {status}") as caught:
        await fetcher.fetch(FetchRequest(url))
    assert not caught.value.temporary


async def test_slow_server_times_out(feed_server: FeedServer) -> None:
    url = feed_server.slow("/slow", FEED, delay=30)
    async with HttpFetcher(timeout=0.5) as fetcher:
        with pytest.raises(FetchError) as caught:
            await fetcher.fetch(FetchRequest(url))
    assert caught.value.reason == "timed out after 0.5 s"
    assert caught.value.temporary
    assert not caught.value.silent  # (connected: the server is slow, the network works)


async def test_dribbling_server_is_cut_off_by_the_whole_request_timeout(feed_server: FeedServer) -> None:
    # A byte every 50 ms never trips a per-read timeout; only a deadline on the whole request helps.
    url = feed_server.dribble("/drip", FEED, interval=0.05)
    async with HttpFetcher(timeout=0.6) as fetcher:
        with pytest.raises(FetchError, match="timed out after 0.6 s"):
            await fetcher.fetch(FetchRequest(url))


async def test_endless_body_is_cut_off(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.endless("/endless")
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(url))
    assert caught.value.reason == "body over 1 MB (poll.max_bytes)"


async def test_declared_oversized_body_is_refused(feed_server: FeedServer) -> None:
    url = feed_server.feed("/big.xml", b"x" * 2_000)
    async with HttpFetcher(max_bytes=1_000) as fetcher:
        with pytest.raises(FetchError, match="body over 1 kB"):
            await fetcher.fetch(FetchRequest(url))
        exact = feed_server.feed("/exact.xml", b"x" * 1_000)
        assert len((await fetcher.fetch(FetchRequest(exact))).body) == 1_000


@pytest.mark.parametrize(
    ("chain", "expected"),
    [
        ({"/a": "/a"}, "redirect loop"),
        ({"/a": "/b", "/b": "/c", "/c": "/a"}, "redirect loop"),
        ({f"/r{i}": f"/r{i + 1}" for i in range(6)}, "too many redirects (more than 5)"),
    ],
)
async def test_redirect_loops_and_chains_fail(
    feed_server: FeedServer, fetcher: HttpFetcher, chain: dict[str, str], expected: str
) -> None:
    for source, target in chain.items():
        feed_server.redirect(source, target)
    feed_server.feed("/r6", FEED)
    first = next(iter(chain))
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(feed_server.url(first)))
    assert caught.value.reason == expected
    assert len(feed_server.requests) <= 6


async def test_five_redirects_are_followed(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    for i in range(5):
        feed_server.redirect(f"/r{i}", f"/r{i + 1}", status=301 if i % 2 else 307)
    final = feed_server.feed("/r5", FEED)
    fetched = await fetcher.fetch(FetchRequest(feed_server.url("/r0"), etag='"old"'))
    assert fetched.body == FEED and fetched.url == final
    # The stored validators go along on every hop.
    assert all(r.headers.get("if-none-match") == '"old"' for r in feed_server.requests)


async def test_redirect_without_location_is_an_error(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.route("/bad", Route(status=302))
    with pytest.raises(FetchError, match="without a Location"):
        await fetcher.fetch(FetchRequest(url))


async def test_gzip_body_is_decoded(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/gz.xml", FEED, gzip=True)
    fetched = await fetcher.fetch(FetchRequest(url))
    assert fetched.body == FEED
    assert "content-encoding" not in fetched.headers
    assert fetched.headers["content-type"] == "application/rss+xml; charset=utf-8"
    assert "gzip" in feed_server.requests[0].headers["accept-encoding"]


async def test_gzip_bomb_never_inflates(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    bomb = gzip.compress(b"\0" * 200_000_000, compresslevel=9)  # 200 MB in about 200 kB
    url = feed_server.route("/bomb.xml", Route(body=bomb, headers={"Content-Encoding": "gzip"}))
    tracemalloc.start()
    try:
        with pytest.raises(FetchError, match="body over 1 MB"):
            await fetcher.fetch(FetchRequest(url))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


async def test_broken_gzip_is_an_error(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.route("/bad.gz", Route(body=b"not gzip at all", headers={"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="broken gzip"):
        await fetcher.fetch(FetchRequest(url))


async def test_empty_200_reaches_the_parser_as_empty_bytes(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    fetched = await fetcher.fetch(FetchRequest(feed_server.feed("/empty.xml", b"")))
    assert fetched.status == 200 and fetched.body == b"" and not fetched.not_modified


async def test_connection_refused(fetcher: HttpFetcher) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(f"http://127.0.0.1:{port}/feed.xml"))
    assert caught.value.reason == "connection refused"
    assert caught.value.temporary
    assert not caught.value.silent  # (a refusal is an answer: that host is down, not this machine's network)


async def test_a_host_that_never_answers_is_a_silent_failure() -> None:
    """No connection is ever made (what a machine offline sees of every host): the pipeline tells an outage here
    from dead feeds there by it."""
    with SilentHosts(["127.0.0.2"]) as hosts:
        async with HttpFetcher(timeout=0.5) as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(FetchRequest(hosts.url("127.0.0.2")))
    assert caught.value.reason == "timed out after 0.5 s without a connection"
    assert caught.value.temporary and caught.value.silent


async def test_per_host_limit_is_observed_at_the_server() -> None:
    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3"]
    with FeedServer(hosts=hosts) as server:
        for i in range(6):
            server.route(f"/f{i}.xml", replace(Route(body=FEED), delay=0.15))
        urls = [server.url(f"/f{i}.xml", host) for host in hosts for i in range(6)]
        async with HttpFetcher(concurrency=32, per_host=2) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(FetchRequest(u)) for u in urls))
        assert all(r.body == FEED for r in results)
        assert server.max_concurrent_by_host() == dict.fromkeys(hosts, 2)
        assert server.max_concurrent_total() > 2  # hosts do not wait for each other


async def test_concurrency_limit_is_observed_at_the_server() -> None:
    hosts = ["127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"]
    with FeedServer(hosts=hosts) as server:
        for i in range(4):
            server.route(f"/f{i}.xml", replace(Route(body=FEED), delay=0.1))
        urls = [server.url(f"/f{i}.xml", host) for host in hosts for i in range(4)]
        async with HttpFetcher(concurrency=3, per_host=2) as fetcher:
            await asyncio.gather(*(fetcher.fetch(FetchRequest(u)) for u in urls))
        assert server.max_concurrent_total() == 3
        assert len(server.requests) == 16


async def test_local_file_and_file_url(tmp_path: Path, fetcher: HttpFetcher) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    for location in (str(path), path.as_uri()):
        fetched = await fetcher.fetch(FetchRequest(location))
        assert (fetched.status, fetched.body, fetched.url) == (None, FEED, location)
        assert fetched.status_text == "file"  # a file has no HTTP status: logs must not say 200


@pytest.mark.parametrize(
    ("make", "reason", "temporary"),
    [
        (lambda p: p / "missing.xml", "file not found", False),
        (lambda p: p, "is a folder, not a feed file", False),
    ],
)
async def test_local_file_failures(
    tmp_path: Path, fetcher: HttpFetcher, make, reason: str, temporary: bool  # type: ignore[no-untyped-def]
) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(str(make(tmp_path))))
    assert caught.value.reason == reason
    assert caught.value.temporary is temporary


async def test_local_file_has_the_same_size_cap(tmp_path: Path) -> None:
    path = tmp_path / "big.xml"
    path.write_bytes(b"x" * 5_000)
    async with HttpFetcher(max_bytes=4_000) as fetcher:
        with pytest.raises(FetchError, match="body over 4 kB"):
            await fetcher.fetch(FetchRequest(str(path)))
        with pytest.raises(FetchError, match="body over 4 kB"):
            await fetcher.fetch(FetchRequest("/dev/zero"))


async def test_unsupported_scheme_is_permanent(fetcher: HttpFetcher) -> None:
    reason = "unsupported scheme 'ftp' in feed URL 'ftp://example.org/feed.xml': use http(s):// or a local file path"
    with pytest.raises(FetchError, match=re.escape(reason)) as caught:
        await fetcher.fetch(FetchRequest("ftp://example.org/feed.xml"))
    assert not caught.value.temporary


async def test_conditional_polls_reuse_one_connection(feed_server: FeedServer) -> None:
    url = feed_server.feed("/a.xml", FEED)
    async with HttpFetcher() as fetcher:
        first = await fetcher.fetch(FetchRequest(url))
        for _ in range(10):
            assert (await fetcher.fetch(FetchRequest(url, etag=first.etag))).not_modified
    assert feed_server.connections == 1  # a 304 left unread would cost a new connection each time


async def test_a_timed_out_or_cancelled_request_frees_its_slot(feed_server: FeedServer) -> None:
    slow = feed_server.slow("/slow.xml", FEED, delay=30)
    fast = feed_server.feed("/fast.xml", FEED)
    async with HttpFetcher(timeout=0.3, concurrency=1, per_host=1) as fetcher, asyncio.timeout(10):
        blocker = asyncio.ensure_future(fetcher.fetch(FetchRequest(slow)))
        await asyncio.sleep(0.05)
        waiting = asyncio.ensure_future(fetcher.fetch(FetchRequest(fast)))  # queued behind the slow one
        cancelled = asyncio.ensure_future(fetcher.fetch(FetchRequest(fast)))
        await asyncio.sleep(0.05)
        assert not waiting.done()
        cancelled.cancel()
        with pytest.raises(FetchError, match="timed out"):
            await blocker
        assert (await waiting).body == FEED
        assert (await fetcher.fetch(FetchRequest(fast))).body == FEED  # nothing leaked
    assert [r.path for r in feed_server.requests] == ["/slow.xml", "/fast.xml", "/fast.xml"]


async def test_https_trusted_and_untrusted_certificates() -> None:
    import ssl

    import trustme

    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    with FeedServer(ssl_context=server_context) as server:
        url = server.feed("/a.xml", FEED)
        assert url.startswith("https://127.0.0.1:")
        trusting = ssl.create_default_context()
        ca.configure_trust(trusting)
        async with HttpFetcher(verify=trusting) as fetcher:
            assert (await fetcher.fetch(FetchRequest(url))).body == FEED
        async with HttpFetcher() as fetcher:
            with pytest.raises(FetchError) as caught:
                await fetcher.fetch(FetchRequest(url))
    assert caught.value.reason == "TLS certificate not accepted (unable to get local issuer certificate)"
    assert caught.value.temporary


async def test_a_remote_feed_cannot_redirect_to_a_local_file(
    feed_server: FeedServer, fetcher: HttpFetcher, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.xml"
    secret.write_bytes(FEED)
    url = feed_server.redirect("/sneaky.xml", secret.as_uri())
    with pytest.raises(FetchError, match="redirect to an unsupported URL scheme 'file'") as caught:
        await fetcher.fetch(FetchRequest(url))
    assert not caught.value.temporary
