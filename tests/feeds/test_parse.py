"""parse_feed: real corpus feeds, non-feeds, JSON Feed, DTD stripping."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.feeds.parse import parse_feed, strip_dtd
from bot.items.normalize import normalize

RSS = b"""<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>
<item><title>One &amp; two</title><link>https://example.com/1</link><guid>g1</guid>
<pubDate>Wed, 27 Mar 2024 15:17:00 +0100</pubDate><description>&lt;p&gt;Lede here&lt;/p&gt;</description></item>
</channel></rss>"""


def test_every_corpus_feed_parses_or_fails_as_a_clean_feed_error(corpus_dir: Path) -> None:
    entries = failures = 0
    for path in sorted(corpus_dir.iterdir()):
        try:
            parsed = parse_feed(path.read_bytes(), url=path.name)
        except ParseError as e:
            failures += 1
            assert e.reason and "\n" not in str(e)
            continue
        for entry in parsed.entries:
            item = normalize(entry, feed_url=path.name)
            assert item.title and item.identity.startswith("v1:")
            assert len(item.lede) <= 401
        entries += len(parsed.entries)
    assert entries >= 6500
    assert failures <= 5


def test_rss_entry_fields() -> None:
    parsed = parse_feed(RSS, url="https://example.com/feed")
    (entry,) = parsed.entries
    assert parsed.title == "T"
    assert entry.title == "One & two"
    assert entry.link == "https://example.com/1"
    assert entry.guid is not None and entry.guid.endswith("g1")
    assert entry.published is not None and entry.published.isoformat() == "2024-03-27T14:17:00+00:00"
    assert "Lede here" in entry.content_html


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty body"),
        (b"   \n  ", "empty body"),
        (b"<!DOCTYPE html><html><head><title>Home</title></head><body><p>Hi</p></body></html>", "HTML page"),
        (b"<html><body>nothing</body></html>", "HTML page"),
        (b'{"hello": "world"}', "JSON that is not a JSON Feed"),
        (b"{broken json", "broken JSON"),
        (b"just some text", "not a feed"),
        (b"garbage\n\x00 not xml <<<", "not a feed: not well-formed XML, line 2, column 1: "),  # (not "<unknown>:2:0")
        (b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml" href="/rss.xml"></head></html>',
         "not a feed: got an HTML page that links to the feed https://example.com/rss.xml: give it as the feed's url"),
    ],
)
def test_non_feeds_are_clean_errors(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_feed(body, url="https://example.com/x")


def test_json_feed() -> None:
    body = (b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": [{"id": "1", '
            b'"url": "https://example.com/a", "title": "A", "content_html": "<p>Body</p>", '
            b'"date_published": "2024-03-27T15:17:00Z"}]}')
    parsed = parse_feed(body, url="https://example.com/feed.json")
    (entry,) = parsed.entries
    assert (entry.title, entry.link, entry.guid) == ("A", "https://example.com/a", "1")
    assert entry.published is not None and entry.published.hour == 15


def test_dtd_and_entities_are_stripped_before_parsing() -> None:
    bomb = (b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
            b"<rss version=\"2.0\"><channel><title>&b;</title><item><title>x &b;</title></item></channel></rss>")
    stripped = strip_dtd(bomb)
    assert b"<!ENTITY" not in stripped and b"<!DOCTYPE" not in stripped
    parsed = parse_feed(bomb, url="bomb")
    assert "aaaaaaaaaa" not in parsed.title
    assert all("aaaaaaaaaa" not in e.title for e in parsed.entries)


def test_a_feed_without_a_content_type_parses_without_a_warning() -> None:
    """A local file (or a server naming no type) is read as application/xml: no "no Content-type
    specified" on a feed that reads fine; a feed whose bytes are wrong is still warned about."""
    latin1 = RSS.replace(b"utf-8", b"iso-8859-1").replace(b"Lede here", "Lède ici".encode("latin-1"))
    parsed = parse_feed(latin1, url="feeds/local.xml")  # (not UTF-8: read by feedparser, not the fast path)
    assert parsed.entries[0].content_html == "<p>Lède ici</p>"
    assert parsed.warning is None
    broken = latin1.replace(b"</channel>", b"<item><title>cut")
    assert "mismatched tag" in (parse_feed(broken, url="feeds/local.xml").warning or "")


def test_xml_that_is_not_well_formed_is_warned_about_with_where_and_what() -> None:
    """As one of the captured feeds has it: an HTML entity XML does not define, read leniently all the same."""
    rss = (b"<?xml version='1.0' encoding='utf-8'?>\n<rss version='2.0'><channel><title>T</title>\n"
           b"<item><title>Ledger&colon; Double-entry accounting</title><link>https://a.org/1</link></item>\n"
           b"<item><title>Second</title><link>https://a.org/2</link></item></channel></rss>")
    parsed = parse_feed(rss, url="feeds/ledger.xml")
    assert [e.link for e in parsed.entries] == ["https://a.org/1", "https://a.org/2"]
    assert parsed.warning == ("not well-formed XML, line 3, column 20: undefined entity at '&colon; Double-entry "
                              "acc'; read leniently")


def test_character_references_to_control_characters_do_not_reach_the_items() -> None:
    """XML forbids &#0; and feedparser's lenient reading keeps it; PostgreSQL would refuse the NUL."""
    rss = (b"<?xml version='1.0'?><rss version='2.0'><channel><title>T&#0;</title>"
           b"<item><title>A&#0;B &#1;C</title><link>https://a.org/1&#27;</link><guid>g&#0;1</guid></item>"
           b"</channel></rss>")
    parsed = parse_feed(rss, url="feeds/refs.xml")
    (entry,) = parsed.entries
    assert (parsed.title, entry.title, entry.link) == ("T", "AB C", "https://a.org/1")
    assert entry.guid is not None and entry.guid.endswith("g1")  # (feedparser reads it against the feed's URL)
