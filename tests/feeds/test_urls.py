"""check_feed_url: which feed locations are accepted, and what a refusal says (issue #12)."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError, FetchError
from bot.feeds.fetch import FetchRequest, HttpFetcher
from bot.feeds.urls import check_feed_url


@pytest.mark.parametrize(
    ("text", "location"),
    [
        ("https://example.com/feed.xml", "https://example.com/feed.xml"),
        ("  http://Example.com:8080/rss?x=1  ", "http://Example.com:8080/rss?x=1"),  # the store key stays as typed
        ("http://127.0.0.1:8000/a.xml", "http://127.0.0.1:8000/a.xml"),
        ("http://[::1]:8000/a.xml", "http://[::1]:8000/a.xml"),
        ("/srv/feeds/a.xml", "/srv/feeds/a.xml"),
        ("seeds/rfi-feedx.xml", "seeds/rfi-feedx.xml"),
        ("./example.com/feed.xml", "./example.com/feed.xml"),
        ("feed.xml", "feed.xml"),
        ("~/feeds/a.xml", "~/feeds/a.xml"),
        ("C:\\feeds\\a.xml", "C:\\feeds\\a.xml"),
        ("file:///srv/feeds/a%20b.xml", "/srv/feeds/a b.xml"),
        ("file://localhost/srv/a.xml", "/srv/a.xml"),
    ],
)
def test_accepted(text: str, location: str) -> None:
    assert check_feed_url(text) == location


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ftp://example.org/feed.xml",
         "unsupported scheme 'ftp' in feed URL 'ftp://example.org/feed.xml': use http(s):// or a local file path"),
        ("gopher://example.org/1/feed", "unsupported scheme 'gopher' in feed URL"),
        ("example.com:8080/feed",
         "no scheme in feed URL 'example.com:8080/feed': did you mean 'http://example.com:8080/feed'? "
         "(use http(s):// or a local file path)"),
        ("localhost:8000", "no scheme in feed URL 'localhost:8000': did you mean 'http://localhost:8000'?"),
        ("127.0.0.1:8000/a.xml", "did you mean 'http://127.0.0.1:8000/a.xml'?"),
        ("example.com/feed.xml",
         "no scheme in feed URL 'example.com/feed.xml': did you mean 'https://example.com/feed.xml'? "
         "(for a local file, write './example.com/feed.xml')"),
        ("www.example.com", "did you mean 'https://www.example.com'?"),
        ("news.bbc.co.uk/world/rss.xml", "did you mean 'https://news.bbc.co.uk/world/rss.xml'?"),
        ("http:///feed.xml", "no host in feed URL 'http:///feed.xml': write it as http://HOST/PATH"),
        ("https://", "no host in feed URL 'https://'"),
        ("http://[::1/feed", "not a valid URL 'http://[::1/feed' (Invalid IPv6 URL)"),
        ("http://example.com:99999/feed", "not a valid URL 'http://example.com:99999/feed'"),
        ("file://fileserver/share/a.xml", "file URL 'file://fileserver/share/a.xml' names another host"),
        ("", "empty feed URL: use http(s):// or a local file path"),
        ("   ", "empty feed URL"),
    ],
)
def test_refused_with_a_line_that_says_what_to_write(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_feed_url(text, source="config.toml: feeds[2].url")
    (problem,) = caught.value.problems
    assert message in problem
    assert str(caught.value) == f"config.toml: feeds[2].url: {problem}" and "\n" not in str(caught.value)


@pytest.mark.parametrize("text", ["ftp://example.org/feed.xml", "example.com:8080/feed", "example.com/feed.xml"])
async def test_the_fetcher_refuses_what_the_check_refuses(text: str, fetcher: HttpFetcher) -> None:
    with pytest.raises(ConfigError) as expected:
        check_feed_url(text)
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(FetchRequest(text))  # never read as a local file path
    assert caught.value.reason == expected.value.problems[0] and caught.value.temporary is False
