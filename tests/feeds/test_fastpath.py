"""The lxml fast path agrees with feedparser where it takes a feed, and declines what it cannot read exactly."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from bot.feeds.fastpath import parse_fast
from bot.feeds.model import Entry
from bot.feeds.parse import strip_dtd
from bot.items.normalize import normalize


def _feedparser_entries(body: bytes, url: str) -> list[Entry]:
    """feedparser's reading of a body, through the slow path of parse_feed."""
    from bot.feeds import parse as parse_module

    parsed = feedparser.parse(body, response_headers={"content-location": url}, sanitize_html=False,
                              resolve_relative_uris=False)
    return [parse_module._entry(e) for e in parsed.entries]


def test_fast_path_agrees_with_feedparser_on_the_corpus(corpus_dir: Path) -> None:
    taken = entries = same_title = same_identity = same_date = 0
    for path in sorted(corpus_dir.iterdir()):
        url = f"https://corpus.invalid/{path.name}"
        body = strip_dtd(path.read_bytes())
        fast = parse_fast(body, url=url)
        if fast is None:
            continue
        taken += 1
        slow = _feedparser_entries(body, url)
        assert len(fast.entries) == len(slow), path.name
        for a, b in zip(fast.entries, slow, strict=True):
            ia, ib = normalize(a, feed_url=url), normalize(b, feed_url=url)
            entries += 1
            same_title += ia.title == ib.title
            same_identity += ia.identity == ib.identity
            same_date += ia.published == ib.published
    assert taken >= 150  # most real feeds are plain UTF-8
    assert same_title / entries >= 0.999
    assert same_identity / entries >= 0.99
    assert same_date / entries >= 0.99


RSS_HEAD = b'<?xml version="1.0" encoding="%s"?><rss version="2.0"><channel><title>t</title>'


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (RSS_HEAD % b"gbk" + b"<item><title>x</title></item></channel></rss>", {}),
        (RSS_HEAD % b"utf-8" + b"<item><title>x</title></item></channel></rss>", {"content-type": "text/xml; charset=big5"}),
        (RSS_HEAD % b"utf-8" + b"<item><title>&nbsp;x</title></item></channel></rss>", {}),
        (RSS_HEAD % b"utf-8" + b"<item><title>unclosed</item></channel></rss>", {}),
        (b"<html><body>page</body></html>", {}),
        (b"\xff\xfe<\x00r\x00s\x00s\x00", {}),
    ],
    ids=["gbk-declared", "big5-header", "undefined-entity", "broken", "html", "utf16-bom"],
)
def test_fast_path_declines_what_feedparser_should_read(body: bytes, headers: dict[str, str]) -> None:
    assert parse_fast(body, url="https://example.com/f", headers=headers) is None


def test_fast_path_reads_atom_with_relative_links_and_xhtml() -> None:
    body = b"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://ex.com/blog/">
<title>Blog</title><entry><title type="html">A &lt;b&gt;bold&lt;/b&gt; move</title><id>tag:ex.com,2024:1</id>
<link rel="alternate" href="posts/1"/><updated>2024-03-27T16:17:00+01:00</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Opening paragraph of the post, long enough.</p></div></content>
</entry></feed>"""
    parsed = parse_fast(body, url="https://ex.com/feed.xml")
    assert parsed is not None
    (entry,) = parsed.entries
    item = normalize(entry, feed_url="https://ex.com/feed.xml")
    assert item.link == "https://ex.com/blog/posts/1"
    assert item.title == "A bold move"
    assert item.lede == "Opening paragraph of the post, long enough."
    assert item.published is not None and item.published.isoformat() == "2024-03-27T15:17:00+00:00"
