"""normalize_feed: identity within one feed (DESIGN.md, issue #11.7), text safety (#11.11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.feeds.model import Entry
from bot.feeds.parse import parse_feed
from bot.items.canonical import canonical_url, identity
from bot.items.lede import extract_lede
from bot.items.normalize import normalize, normalize_feed

FEED = "https://example.com/feed"
HOME = "https://example.com/news"


def entry(title: str, link: str | None, guid: str | None) -> Entry:
    return Entry(title=title, link=link, guid=guid, content_html="", published=None)


def test_a_homepage_link_shared_under_different_guids_is_no_identity() -> None:
    entries = [entry("Fab opens", HOME, "g1"), entry("Export rules", HOME, "g2"), entry("Chip talks", HOME, "g3"),
               entry("Own page", "https://example.com/own", "g4")]
    feed = normalize_feed(entries, feed_url=FEED)
    ids = [i.identity for i in feed.items]
    assert len(set(ids)) == 4  # three stories no longer collapse into one
    assert ids[:3] == [identity(link=None, guid=g, feed_url=FEED, title="") for g in ("g1", "g2", "g3")]
    assert ids[3] == normalize(entries[3], feed_url=FEED).identity  # an unshared link keeps its identity
    assert [i.url for i in feed.items[:3]] == [HOME] * 3  # the link is still shown
    assert feed.shared_links == {HOME}


def test_tracking_parameters_and_fragments_do_not_hide_a_shared_link() -> None:
    entries = [entry("A", "https://example.com/list#one", "https://example.com/list#one"),
               entry("B", "https://example.com/list?utm_source=x#two", "https://example.com/list#two")]
    assert len({i.identity for i in normalize_feed(entries, feed_url=FEED).items}) == 2


def test_a_shared_link_without_a_guid_falls_back_to_the_title() -> None:
    entries = [entry("One", HOME, "g1"), entry("Two", HOME, "g2"), entry("Three", HOME, None)]
    items = normalize_feed(entries, feed_url=FEED).items
    assert items[2].identity == identity(link=None, guid=None, feed_url=FEED, title="Three")


@pytest.mark.parametrize(
    "entries",
    [
        [entry("Same story twice", HOME, "g1"), entry("Same story twice", HOME, "g1")],  # one GUID: one story
        [entry("No GUIDs", HOME, None), entry("No GUIDs either", HOME, None)],  # nothing better to go by
        [entry("Alone", HOME, "g1")],
    ],
)
def test_a_link_is_kept_as_identity_unless_guids_tell_stories_apart(entries: list[Entry]) -> None:
    items = normalize_feed(entries, feed_url=FEED).items
    assert [i.identity for i in items] == [normalize(e, feed_url=FEED).identity for e in entries]


@pytest.mark.parametrize(
    ("link", "guid", "feed_link", "known", "by_guid"),
    [
        (HOME, "g1", HOME, (), True),  # the feed's own home page
        ("https://example.com/", "g1", None, (), True),  # a site's root is never a story's page
        ("https://example.com/?", "g1", None, (), True),
        (HOME, "g1", None, (canonical_url(HOME),), True),  # remembered as shared from an earlier poll
        ("https://example.com/", "https://example.com/", None, (), False),  # the GUID says nothing more
        ("https://example.com/?p=12", "g1", None, (), False),
        ("https://example.com/story", "g1", HOME, (), False),
    ],
)
def test_homepage_links_seen_alone(link: str, guid: str, feed_link: str | None, known: tuple[str, ...],
                                   by_guid: bool) -> None:
    (item,) = normalize_feed([entry("T", link, guid)], feed_url=FEED, feed_link=feed_link, known_shared=known).items
    by_link = identity(link=link, guid=guid, feed_url=FEED, title="T")
    assert item.identity == (identity(link=None, guid=guid, feed_url=FEED, title="T") if by_guid else by_link)


def test_corpus_identities_change_only_where_a_link_is_shared(corpus_dir: Path) -> None:
    """Stored items stay seen: an identity changes only for an item whose link is no identity."""
    changed = 0
    for path in sorted(corpus_dir.iterdir()):
        try:
            parsed = parse_feed(path.read_bytes(), url=f"https://example.net/{path.name}")
        except Exception:  # noqa: S112 - non-feeds are another test's business
            continue
        feed = normalize_feed(parsed.entries, feed_url=path.name, feed_link=parsed.link)
        alone = [normalize(e, feed_url=path.name) for e in parsed.entries]
        assert len(feed.items) == len(alone)
        for item, single, raw in zip(feed.items, alone, parsed.entries, strict=True):
            assert (item.title, item.lede, item.url) == (single.title, single.lede, single.url)
            if item.identity != single.identity:
                changed += 1
                assert item.url in feed.shared_links
                assert item.identity == identity(link=None, guid=raw.guid, feed_url=path.name, title=item.title)
    assert changed > 0  # the corpus has such feeds (an "awesome list" whose links differ by #fragment only)


@pytest.mark.parametrize(
    ("link", "guid", "title", "stored"),
    [
        ("https://Example.com/a?utm_source=x#f", "g", "T", "v1:04eb124138012504ac9b90b7b3d7a6f8"),
        (None, "g1", "T", "v1:613e9a36b8cc9e1a701d026afaae77be"),
        (None, None, "A title", "v1:9a2f1e88c09ab8e17038b8355b526cf5"),
    ],
)
def test_identities_already_stored_stay_the_same(link: str | None, guid: str | None, title: str,
                                                 stored: str) -> None:
    """Golden values computed with the code before normalize_feed: existing stores must not re-alert."""
    (item,) = normalize_feed([entry(title, link, guid)], feed_url=FEED).items
    assert item.identity == stored


RLO, LRI, PDI, PDF, LRM = "\u202e", "\u2066", "\u2069", "\u202c", "\u200e"


@pytest.mark.parametrize(
    ("title", "html", "clean_title", "clean_lede"),
    [
        (f"Invoice {RLO}fdp.exe{PDF}", "", "Invoice fdp.exe", ""),
        (f"{LRI}ASML{PDI} export licence revoked", f"<p>{RLO}The Dutch government revoked a licence for "
         "some machines today.</p>", "ASML export licence revoked",
         "The Dutch government revoked a licence for some machines today."),
        (f"<b>Chip{LRM}</b> &#8238;news", "", "Chip news", ""),  # markup and character references too
        ("שלום עולם", "", "שלום עולם", ""),  # right-to-left text itself is untouched
    ],
)
def test_bidi_controls_are_removed_from_titles_and_ledes(title: str, html: str, clean_title: str,
                                                          clean_lede: str) -> None:
    item = normalize(Entry(title=title, link=None, guid="g", content_html=html, published=None), feed_url=FEED)
    assert (item.title, item.lede) == (clean_title, clean_lede)


@pytest.mark.parametrize("depth", [255, 300, 1000, 3000])
def test_deeply_nested_html_still_yields_a_lede(depth: int) -> None:
    text = "The lede of a story that is wrapped in far too many elements by its publisher."
    assert extract_lede("<div>" * depth + f"<p>{text}</p>" + "</div>" * depth) == text
    assert extract_lede("<span>" * depth + text + "</span>" * depth) == text


def test_an_untitled_item_is_called_by_its_opening_words_without_saying_them_twice() -> None:
    """Found by a helper session: an untitled item showed its lede as its title, then the same lede again."""
    said = "ASML ships EUV tools to TSMC for its fabs, the company said."
    short = normalize(Entry(title="", link="https://x.example/1", guid=None, content_html=f"<p>{said}</p>",
                            published=None), feed_url=FEED)
    assert (short.title, short.lede) == (said, "")
    text = "ASML ships EUV tools to TSMC for its two-nanometre fabs in Arizona and Taiwan, the company said today."
    long = normalize(Entry(title="", link=None, guid=None, content_html=f"<p>{text}</p>", published=None), feed_url=FEED)
    assert long.title.endswith("…") and len(long.title) <= 81 and long.lede == text
    assert long.identity == identity(link=None, guid=None, feed_url=FEED, title=text[:80])  # (as it always was)
