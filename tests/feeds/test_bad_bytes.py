"""One invalid byte garbles nothing but itself (issue #11.4).

The feed is a real captured Chinese news feed (news.qq.com, GB2312), read as served and transcoded
to UTF-8, with one byte corrupted: every title must still equal its clean version, except the one
holding the bad byte, which differs only by a replacement character.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.feeds.fetch import FetchRequest, HttpFetcher
from bot.feeds.parse import parse_feed
from tests.doubles.feedserver import FeedServer, rss


@pytest.fixture
def gb2312(corpus_dir: Path) -> bytes:
    path = corpus_dir.parent / "zh" / "qq-news-china-gb2312.xml"
    if not path.is_file():
        pytest.skip(f"corpus not found at {path}")
    return path.read_bytes()


def as_utf8(gb2312: bytes) -> bytes:
    text = gb2312.decode("gb18030")
    return re.sub(r'encoding="gb2312"', 'encoding="utf-8"', text, count=1, flags=re.IGNORECASE).encode()


def corrupt(body: bytes, marker: bytes, occurrence: int, shift: int, byte: bytes = b"\xff") -> bytes:
    """``byte`` inserted ``shift`` bytes after the n-th ``marker``: inside a character where shift is odd."""
    at = [m.end() for m in re.finditer(re.escape(marker), body)][occurrence] + shift
    return body[:at] + byte + body[at:]


def damaged(broken: list[str], clean: list[str]) -> list[tuple[str, str]]:
    """The (broken, clean) title pairs that differ; all titles there and in the same order."""
    assert len(broken) == len(clean) >= 20
    return [(b, c) for b, c in zip(broken, clean, strict=True) if b != c]


def only_at_the_bad_byte(broken: str, clean: str) -> bool:
    """``broken`` is ``clean`` with one run of U+FFFD put in, or put in place of one character."""
    run = re.search("\ufffd+", broken)
    if run is None:
        return False
    head, tail = broken[:run.start()], broken[run.end():]
    return "\ufffd" not in tail and clean.startswith(head) and clean.endswith(tail) \
        and len(clean) - len(head) - len(tail) in (0, 1)


@pytest.mark.parametrize(
    ("marker", "occurrence", "shift"),
    [(b"<title>", 3, 0), (b"<title>", 5, 3), (b"<title>", 8, 4), (b"<description>", 2, 7), (b"</item>", 0, 0)],
    ids=["title-start", "title-mid", "title-split-char", "description", "between-items"],
)
def test_one_invalid_byte_in_a_utf8_chinese_feed(gb2312: bytes, marker: bytes, occurrence: int, shift: int) -> None:
    clean = parse_feed(as_utf8(gb2312), url="https://news.qq.com/china.xml")
    broken = parse_feed(corrupt(as_utf8(gb2312), marker, occurrence, shift), url="https://news.qq.com/china.xml")
    changed = damaged([e.title for e in broken.entries], [e.title for e in clean.entries])
    assert len(changed) == (1 if marker == b"<title>" else 0)
    assert all(only_at_the_bad_byte(b, c) for b, c in changed)
    assert [e.link for e in broken.entries] == [e.link for e in clean.entries]
    assert broken.warning is not None and broken.warning.endswith("not valid UTF-8 replaced; the rest of the feed is intact")


@pytest.mark.parametrize("shift", [0, 2, 4])
def test_one_invalid_byte_between_characters_of_a_gb2312_feed(gb2312: bytes, shift: int) -> None:
    clean = parse_feed(gb2312, url="https://news.qq.com/china.xml")
    broken = parse_feed(corrupt(gb2312, b"<title>", 4, shift), url="https://news.qq.com/china.xml")
    (changed,) = damaged([e.title for e in broken.entries], [e.title for e in clean.entries])
    assert only_at_the_bad_byte(*changed)
    assert broken.warning == "1 byte not valid GB2312 replaced; the rest of the feed is intact"


def test_a_bad_byte_inside_a_gb2312_character_damages_its_own_title_only(gb2312: bytes) -> None:
    """GBK does not resynchronize like UTF-8: the rest of that title may go, never another title."""
    clean = parse_feed(gb2312, url="https://news.qq.com/china.xml")
    broken = parse_feed(corrupt(gb2312, b"<title>", 4, 1), url="https://news.qq.com/china.xml")
    ((title, _),) = damaged([e.title for e in broken.entries], [e.title for e in clean.entries])
    assert "\ufffd" in title


async def test_a_few_bad_bytes_served_over_http(gb2312: bytes, feed_server: FeedServer,
                                                fetcher: HttpFetcher) -> None:
    body = as_utf8(gb2312)
    for n in (2, 6, 11):
        body = corrupt(body, b"<title>", n, 3, b"\xc0")
    url = feed_server.feed("/qq.xml", body, content_type="application/rss+xml; charset=utf-8")
    fetched = await fetcher.fetch(FetchRequest(url))
    broken = parse_feed(fetched.body, url=url, headers=fetched.headers)
    clean = parse_feed(as_utf8(gb2312), url=url)
    changed = damaged([e.title for e in broken.entries], [e.title for e in clean.entries])
    assert len(changed) == 3 and all(only_at_the_bad_byte(b, c) for b, c in changed)


LATIN = "Señal débil: l'été des puces à Zürich"


@pytest.mark.parametrize("declared_as", ["utf-8", None])
def test_latin1_bytes_under_a_utf8_label_are_not_taken_for_damaged_utf8(declared_as: str | None) -> None:
    body = rss([(LATIN, "https://example.org/1"), (LATIN + " 2", "https://example.org/2")],
               encoding="iso-8859-1", declared_as=declared_as, declare=declared_as is not None)
    assert [e.title for e in parse_feed(body).entries] == [LATIN, LATIN + " 2"]


@pytest.mark.parametrize("ref", ["&#xD800;", "&#xdfff;", "&#55296;", "&#x110000;", "&#99999999;"])
def test_a_reference_to_no_character_costs_its_own_title_only(ref: str) -> None:
    """One title's "&#xD800;" failed the whole feed (feedparser's lenient reading raised UnicodeEncodeError)."""
    body = (f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
            f'<item><title>Honest item</title><link>http://x/1</link></item>'
            f'<item><title>Bad {ref} title &#8217;s</title><link>http://x/2</link></item></channel></rss>').encode()
    assert [e.title for e in parse_feed(body, url="u").entries] == ["Honest item", "Bad \ufffd title \u2019s"]


def test_a_json_feeds_lone_surrogate_and_endless_number_cost_nothing_else() -> None:
    """A JSON Feed's "\\ud800" reached the store, which could not encode it: the whole feed failed on every poll.
    An id of 5,000 digits failed it too, naming sys.set_int_max_str_digits."""
    body = ('{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
            '{"id": "1", "title": "Lone \\ud800 surrogate", "url": "http://x/1"},'
            '{"id": ' + "9" * 5000 + ', "title": "Endless id", "url": "http://x/2"},'
            '{"id": "3", "title": "Honest", "url": "http://x/3"}]}').encode()
    entries = parse_feed(body, url="j", headers={"content-type": "application/feed+json"}).entries
    assert [e.title for e in entries] == ["Lone  surrogate", "Endless id", "Honest"]
    assert entries[1].guid == "9" * 5000
    for e in entries:
        e.title.encode("utf-8")  # (what the store does: no lone surrogate left to refuse)
