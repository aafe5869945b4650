"""Feed discovery from a site's HTML page: the pure finder as a table, then through the feed server."""

from __future__ import annotations

import pytest

from bot.app.feeds import find_feeds
from bot.errors import FetchError, ParseError
from bot.feeds.discover import discover_feeds
from bot.feeds.fetch import HttpFetcher
from tests.doubles.feedserver import FeedServer, html_page, rss

BASE = "https://example.com/blog/post.html"


def page(head: str) -> bytes:
    return f"<!DOCTYPE html><html><head><title>Site</title>{head}</head><body><p>Hi</p></body></html>".encode()


@pytest.mark.parametrize(
    ("head", "found"),
    [
        ('<link rel="alternate" type="application/rss+xml" title="All posts" href="/feed.xml">',
         [("https://example.com/feed.xml", "All posts")]),
        ('<link rel="alternate" type="application/atom+xml" href="atom.xml">',
         [("https://example.com/blog/atom.xml", "")]),
        ('<link rel="alternate" type="application/feed+json" href="//cdn.example.net/feed.json">',
         [("https://cdn.example.net/feed.json", "")]),
        ('<LINK REL="Alternate" TYPE="Application/RSS+XML; charset=utf-8" HREF="https://other.org/rss">',
         [("https://other.org/rss", "")]),
        ('<link rel="alternate home" type="application/rss+xml" href="/a.xml">'
         '<link rel="alternate" type="application/atom+xml" href="/b.xml" title=" Comments\n feed ">'
         '<link rel="alternate" type="application/rss+xml" href="/a.xml#dup">',
         [("https://example.com/a.xml", ""), ("https://example.com/b.xml", "Comments feed")]),
        ('<base href="https://static.example.com/site/"><link rel="alternate" type="application/rss+xml" '
         'href="rss.xml">', [("https://static.example.com/site/rss.xml", "")]),
        # not feeds, or not links a feed reader could follow
        ('<link rel="alternate" hreflang="fr" href="/fr/">', []),
        ('<link rel="stylesheet" type="application/rss+xml" href="/x.xml">', []),
        ('<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">', []),
        ('<link rel="alternate" type="application/rss+xml" href="">', []),
        ('<link rel="alternate" type="application/rss+xml" href="http://[::1">', []),
    ],
)
def test_discover_feeds(head: str, found: list[tuple[str, str]]) -> None:
    assert discover_feeds(page(head), BASE) == found


@pytest.mark.parametrize("body", [b"", b"\x00\x01binary", b"<rss><channel></channel></rss>", "é".encode() * 10])
def test_no_html_no_feeds(body: bytes) -> None:
    assert discover_feeds(body, BASE) == []


FEED = rss([("Chip export rules", "https://example.org/1")], title="The Feed")


async def test_find_feeds_on_a_site_page(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    feed_server.feed("/blog/feed.xml", FEED)
    feed_server.feed("/", page('<link rel="alternate" type="application/rss+xml" title="Posts" href="blog/feed.xml">'
                               '<link rel="alternate" type="application/atom+xml" href="/comments.atom">'),
                     content_type="text/html; charset=utf-8")
    assert await find_feeds(fetcher, feed_server.url("/")) == [
        (feed_server.url("/blog/feed.xml"), "Posts"), (feed_server.url("/comments.atom"), "")]


async def test_relative_links_resolve_against_the_page_redirected_to(feed_server: FeedServer,
                                                                     fetcher: HttpFetcher) -> None:
    feed_server.redirect("/", "/en/")
    feed_server.feed("/en/", page('<link rel="alternate" type="application/rss+xml" href="feed.xml">'),
                     content_type="text/html")
    assert await find_feeds(fetcher, feed_server.url("/")) == [(feed_server.url("/en/feed.xml"), "")]


async def test_a_feed_url_is_its_own_answer(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/feed.xml", FEED)
    assert await find_feeds(fetcher, url) == [(url, "The Feed")]


async def test_a_page_without_feed_links(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/", html_page(), content_type="text/html")
    with pytest.raises(ParseError, match="a web page that offers no feed") as caught:
        await find_feeds(fetcher, url)
    assert caught.value.url == url


async def test_neither_page_nor_feed(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/data.json", b'{"hello": "world"}', content_type="application/json")
    with pytest.raises(ParseError, match="JSON that is not a JSON Feed"):
        await find_feeds(fetcher, url)


async def test_fetch_failures_pass_through(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    with pytest.raises(FetchError, match="HTTP 404"):
        await find_feeds(fetcher, feed_server.url("/missing"))


def test_a_pages_titles_are_read_in_its_charset() -> None:
    """A page without <meta charset> was read as Latin-1: "科技 Tech" became "ç§æ Tech", and the feed got that name."""
    page = '<html><head><link rel=alternate type=application/rss+xml href=/f.xml title="科技 Tech"></head></html>'
    want = [("https://a.example/f.xml", "科技 Tech")]
    assert discover_feeds(page.encode(), "https://a.example/") == want  # (UTF-8 bytes, no charset said)
    assert discover_feeds(page.encode("gbk"), "https://a.example/", "text/html; charset=GBK") == want
    assert discover_feeds(('<meta charset="gb2312">' + page).encode("gbk"), "https://a.example/") == want
