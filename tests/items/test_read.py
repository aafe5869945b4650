"""read_items: one bad entry is skipped with its reason, never fatal to its feed (issue #11.1)."""

from __future__ import annotations

import json

import pytest

from bot.errors import ParseError
from bot.feeds.parse import parse_feed
from bot.items.read import read_items

GOOD = [("Chip export rules tighten", "https://example.com/a"), ("Fab opens", "https://example.com/c")]


def rss(links: list[tuple[str, str]], encoding: str = "utf-8") -> bytes:
    items = "".join(f"<item><title>{t}</title><link>{link}</link><guid>{link}#g</guid></item>" for t, link in links)
    return (f'<?xml version="1.0" encoding="{encoding}"?><rss version="2.0"><channel><title>T</title>'
            f"{items}</channel></rss>").encode(encoding)


def atom(links: list[tuple[str, str]]) -> bytes:
    entries = "".join(f'<entry><title>{t}</title><link href="{link}"/><id>urn:{i}</id></entry>'
                      for i, (t, link) in enumerate(links))
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{entries}</feed>'.encode()


BAD_LINK = [GOOD[0], ("Broken link story", "http://[::1"), GOOD[1]]


@pytest.mark.parametrize(
    "body",
    [rss(BAD_LINK), atom(BAD_LINK)],
    ids=["rss", "atom"],
)
def test_an_unparseable_link_skips_its_item_only(body: bytes) -> None:
    read = read_items(body, url="https://example.com/feed")
    assert [i.title for i in read.items] == [GOOD[0][0], GOOD[1][0]]
    (reason,) = read.skipped
    assert reason.startswith("item 2 ('Broken link story'): link 'http://[::1' is not a valid URL")


def test_feedparser_drops_an_unparseable_link_and_keeps_the_item() -> None:
    read = read_items(rss(BAD_LINK, "iso-8859-1"), url="https://example.com/feed")  # not the lxml fast path
    assert [(i.title, i.link) for i in read.items] == [(GOOD[0][0], GOOD[0][1]), ("Broken link story", None),
                                                       (GOOD[1][0], GOOD[1][1])]
    assert read.skipped == ()


def jsonfeed(items: object) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": items}).encode()


def good(n: int) -> dict[str, object]:
    return {"id": f"id{n}", "url": f"https://example.com/{n}", "title": f"Story {n}"}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ({"id": "x", "url": 123, "title": "Bad"}, "item 2 ('Bad'): 'url' is a number (123), not a string"),
        ({"id": "x", "url": ["https://example.com/x"], "title": "Bad"}, "item 2 ('Bad'): 'url' is a list"),
        ({"id": "x", "url": "https://example.com/x", "title": {"en": "Bad"}}, "item 2: 'title' is an object"),
        ({"id": ["x"], "url": "https://example.com/x"}, "item 2: 'id' is a list, not a string"),
        ({"id": 1.5, "url": "https://example.com/x"}, "item 2: 'id' is a number (1.5), not a string"),
        ({"id": "x", "content_html": 5}, "item 2: 'content_html' is a number (5), not a string"),
        ({"id": "x", "date_published": True}, "item 2: 'date_published' is a boolean, not a string"),
        ({"id": "x", "url": "http://[::1", "title": "Bad"}, "item 2 ('Bad'): link 'http://[::1' is not a valid URL"),
        ("just a string", "item 2: is a string, not an object"),
        (None, "item 2: is null, not an object"),
    ],
)
def test_a_json_feed_item_of_the_wrong_type_is_skipped(bad: object, reason: str) -> None:
    read = read_items(jsonfeed([good(1), bad, good(3)]), url="https://example.com/feed.json")
    assert [i.title for i in read.items] == ["Story 1", "Story 3"]
    (skipped,) = read.skipped
    assert skipped.startswith(reason)


@pytest.mark.parametrize("items", [5, "items", {"a": 1}, True])
def test_json_feed_items_that_are_not_a_list(items: object) -> None:
    read = read_items(jsonfeed(items), url="https://example.com/feed.json")
    assert read.items == () and read.title == "J"
    (skipped,) = read.skipped
    assert skipped.startswith("'items' is ") and skipped.endswith("not a list: no item could be read")


def test_json_feed_numeric_ids_and_a_wrong_feed_field_are_not_fatal() -> None:
    body = json.dumps({"version": "https://jsonfeed.org/version/1", "title": 7, "home_page_url": [1],
                       "items": [{"id": 42, "url": "https://example.com/42", "author": "not an object"}]}).encode()
    read = read_items(body, url="https://example.com/feed.json")
    assert read.skipped == () and read.title == ""
    (item,) = read.items
    assert item.guid == "42"


def test_deeply_nested_json_is_a_parse_error_not_a_recursion_error() -> None:
    body = b'{"version": "https://jsonfeed.org/version/1", "items": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"
    with pytest.raises(ParseError, match="broken JSON") as caught:
        parse_feed(body, url="https://example.com/deep.json")
    assert caught.value.url == "https://example.com/deep.json"


def test_a_feed_with_only_bad_items_still_parses() -> None:
    read = read_items(rss([("One", "http://[::1"), ("Two", "http://[fe80::")]), url="https://example.com/feed")
    assert read.items == () and len(read.skipped) == 2


def test_bidi_controls_leave_the_feed_title_too() -> None:
    body = ('<rss version="2.0"><channel><title>News \u202eevil\u202c</title><item><title>A \u2067story\u2069'
            "</title><link>https://example.com/a</link></item></channel></rss>").encode()
    read = read_items(body, url="https://example.com/feed")
    assert read.title == "News evil"
    assert (read.items[0].title, read.items[0].feed_title) == ("A story", "News evil")


def test_a_broken_xml_base_falls_back_to_the_feed_url() -> None:
    body = (b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://[::1"><title>T</title>'
            b'<entry><title>A story</title><link href="/a"/><id>urn:1</id></entry></feed>')
    read = read_items(body, url="https://example.com/feed")
    assert [(i.title, i.link) for i in read.items] == [("A story", "https://example.com/a")]


@pytest.mark.parametrize(("title", "name", "outlet"), [
    ("Rest of World - ", "Rest of World", "Rest of World"),  # (a real feed's title: its template's second part is empty)
    ("| Example News |", "Example News", "Example News"),
    ("  Tech –\n TIME ", "Tech – TIME", "TIME"),  # a section and the outlet: items name the outlet
    ("RFI - 法国国际广播电台", "RFI - 法国国际广播电台", "RFI"),
    ("C++ Weekly", "C++ Weekly", "C++ Weekly"),
    ("\u202bBBC\u202c", "BBC", "BBC"),
    ("World", "World", "example.com"),  # only a section: the site's host
    ("News " * 3000, "News " * 23 + "News…", "example.com"),  # a title of 15,000 characters: cut near 120
])
def test_a_feed_is_named_by_its_title_without_dangling_separators(title: str, name: str, outlet: str) -> None:
    body = rss(GOOD).replace(b"<title>T</title>", f"<title>{title}</title>".encode())
    read = read_items(body, url="https://example.com/feed")
    assert read.title == name
    assert read.outlet == outlet
    assert {item.feed_title for item in read.items} == {outlet}


def test_a_feed_listing_thousands_of_items_is_read_for_the_newest_thousand() -> None:
    """A body of 1,500 items, oldest first (an archive): the 1,000 newest are read, in the feed's order, and the
    warning says how many it listed. (40,000 items took 4.5 minutes and 550 MB in one store transaction, and queued
    40,000 alerts a chat.)"""
    stamp = "Mon, {day:02d} Jan 2024 {hour:02d}:{minute:02d}:00 GMT"
    items = "".join(
        f"<item><title>Story {n}</title><link>https://example.com/{n}</link>"
        f"<pubDate>{stamp.format(day=1 + n // 1440, hour=n // 60 % 24, minute=n % 60)}</pubDate></item>"
        for n in range(1500))
    body = f'<rss version="2.0"><channel><title>Archive</title>{items}</channel></rss>'.encode()
    read = read_items(body, url="https://example.com/feed")
    assert [i.title for i in read.items] == [f"Story {n}" for n in range(500, 1500)]
    assert read.warning == ("the feed lists 1,500 items: only the newest 1,000 are read (no feed needs more; a feed "
                            "that lists its whole archive should be asked for its news feed)")


def test_undated_items_count_as_the_newest_in_the_feeds_order() -> None:
    links = [(f"Story {n}", f"https://example.com/{n}") for n in range(1200)]
    read = read_items(rss(links), url="https://example.com/feed")
    assert [i.title for i in read.items] == [f"Story {n}" for n in range(1000)]
    assert read.warning is not None and read.warning.startswith("the feed lists 1,200 items")
    assert read_items(rss(links[:1000]), url="https://example.com/feed").warning is None


def test_a_title_that_holds_a_whole_article_is_cut_like_a_lede() -> None:
    """A headline of 200,000 characters was stored, shown on the web and printed whole; now it is cut at a word
    near 300 characters, with an ellipsis, and the item keeps the identity its whole title gave it."""
    from bot.items.canonical import identity_of

    title = "ASML export controls" + " word" * 40_000
    body = f'<rss version="2.0"><channel><title>T</title><item><title>{title}</title></item></channel></rss>'.encode()
    (item,) = read_items(body, url="https://example.com/feed").items  # (no link, no guid: known by its title)
    assert len(item.title) <= 301 and item.title.endswith("word…") and item.title.startswith("ASML export controls")
    assert item.identity == identity_of(canonical=None, guid=None, feed_url="https://example.com/feed", title=title)


@pytest.mark.parametrize(("declared", "lang"), [("de-DE", "other"), ("en-gb", "en"), (None, "en")])
def test_an_item_whose_words_do_not_tell_its_language_takes_the_feeds(declared: str | None, lang: str) -> None:
    tag = f"<language>{declared}</language>" if declared else ""
    body = (f'<rss version="2.0"><channel><title>T</title>{tag}<item><title>Pavlov VR</title>'
            "<link>https://example.com/a</link></item>"
            "<item><title>Der Markt und die Chips</title><link>https://example.com/b</link></item>"
            "</channel></rss>").encode()
    names, words = read_items(body, url="https://example.com/feed").items
    assert (names.language, words.language) == (lang, "other")
