"""Chinese feeds in every way servers label them, served over HTTP and read through parse_feed.

The title must come out as written (no mojibake) whenever a header or a declaration is right, and
also where neither exists or they are wrong but the bytes are plainly GBK or Big5; correctly
labelled Japanese, Korean, Cyrillic and Latin feeds stay as they are.
"""

from __future__ import annotations

import pytest

from bot.errors import ParseError
from bot.feeds.fetch import FetchRequest, HttpFetcher
from bot.feeds.parse import parse_feed
from tests.doubles.feedserver import FeedServer, html_page, rss

SIMPLIFIED = "阿斯麦公司出口管制新规影响中国芯片产业"
TRADITIONAL = "艾司摩爾出口管制新規影響台灣晶片產業"
LATIN = "Señal débil: l'été des puces à Zürich"
JAPANESE = "半導体輸出規制が日本の企業に影響を与える。東京の会社は新しい工場を作ります"
KOREAN = "반도체 수출 규제가 한국 기업에 영향을 미친다"
RUSSIAN = "Экспортный контроль полупроводников"


def _feed(title: str, encoding: str, *, declare: bool = True, declared_as: str | None = None) -> bytes:
    return rss([(title, "https://example.org/1"), ("ASML results", "https://example.org/2")],
               title="News", encoding=encoding, declare=declare, declared_as=declared_as)


CASES = [
    # (id, title, body, Content-Type)
    ("gbk only in the header", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declare=False),
     "application/rss+xml; charset=gbk"),
    ("GBK only in a text/xml header", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declare=False), "text/xml; charset=GBK"),
    ("gb18030 only in the header", SIMPLIFIED, _feed(SIMPLIFIED, "gb18030", declare=False),
     "application/xml; charset=gb18030"),
    ("gb2312 header on text/html", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declare=False), "text/html; charset=gb2312"),
    ("gbk declared, no charset", SIMPLIFIED, _feed(SIMPLIFIED, "gbk"), "application/rss+xml"),
    ("big5 declared", TRADITIONAL, _feed(TRADITIONAL, "big5"), "application/rss+xml"),
    ("big5 only in the header", TRADITIONAL, _feed(TRADITIONAL, "big5", declare=False),
     "application/rss+xml; charset=big5"),
    ("utf-8 body declared gb2312", SIMPLIFIED, _feed(SIMPLIFIED, "utf-8", declared_as="gb2312"),
     "application/rss+xml"),
    ("utf-8 body declared big5", TRADITIONAL, _feed(TRADITIONAL, "utf-8", declared_as="big5"), ""),
    ("gbk body declared utf-8", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declared_as="utf-8"), "application/rss+xml"),
    ("big5 body declared utf-8", TRADITIONAL, _feed(TRADITIONAL, "big5", declared_as="utf-8"), "text/xml"),
    ("utf-8 body, header says gbk", SIMPLIFIED, _feed(SIMPLIFIED, "utf-8"), "application/rss+xml; charset=gbk"),
    ("gbk, no declaration, no charset", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declare=False), ""),
    ("big5, no declaration, no charset", TRADITIONAL, _feed(TRADITIONAL, "big5", declare=False), ""),
    ("utf-8, no declaration, no charset", SIMPLIFIED, _feed(SIMPLIFIED, "utf-8", declare=False), ""),
    ("utf-16 with a BOM", SIMPLIFIED, _feed(SIMPLIFIED, "utf-16"), "application/rss+xml"),
    ("utf-16 with a BOM behind a utf-8 header", SIMPLIFIED, _feed(SIMPLIFIED, "utf-16"),
     "application/rss+xml; charset=utf-8"),
    ("utf-32 with a BOM", TRADITIONAL, _feed(TRADITIONAL, "utf-32"), "text/xml"),
    ("gbk body declared big5", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declared_as="big5"), ""),
    ("big5 body declared gb2312", TRADITIONAL, _feed(TRADITIONAL, "big5", declared_as="gb2312"), ""),
    ("gbk body, server default iso-8859-1", SIMPLIFIED, _feed(SIMPLIFIED, "gbk", declare=False),
     "text/xml; charset=ISO-8859-1"),
    ("gbk declared, header iso-8859-1", SIMPLIFIED, _feed(SIMPLIFIED, "gbk"), "application/xml; charset=iso-8859-1"),
    ("shift_jis declared", JAPANESE, _feed(JAPANESE, "shift_jis"), "application/rss+xml"),
    ("euc-kr only in the header", KOREAN, _feed(KOREAN, "euc-kr", declare=False),
     "application/rss+xml; charset=euc-kr"),
    ("cp1251 declared", RUSSIAN, _feed(RUSSIAN, "cp1251"), ""),
    ("latin-1 declared", LATIN, _feed(LATIN, "iso-8859-1"), "application/rss+xml"),
    ("windows-1252 only in the header", LATIN, _feed(LATIN, "cp1252", declare=False),
     "application/rss+xml; charset=windows-1252"),
]


@pytest.mark.parametrize(("title", "body", "content_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
async def test_titles_decode_as_written(
    feed_server: FeedServer, fetcher: HttpFetcher, title: str, body: bytes, content_type: str
) -> None:
    url = feed_server.feed("/zh.xml", body, content_type=content_type)
    fetched = await fetcher.fetch(FetchRequest(url))
    parsed = parse_feed(fetched.body, url=fetched.url, headers=fetched.headers)
    assert [e.title for e in parsed.entries] == [title, "ASML results"]


async def test_gzip_and_gbk_together(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    body = _feed(SIMPLIFIED, "gbk", declare=False)
    url = feed_server.feed("/zh.xml", body, content_type="application/rss+xml; charset=gbk", gzip=True)
    fetched = await fetcher.fetch(FetchRequest(url))
    assert parse_feed(fetched.body, url=fetched.url, headers=fetched.headers).entries[0].title == SIMPLIFIED


async def test_html_served_as_a_feed_is_a_clear_parse_error(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/feed.xml", html_page(), content_type="text/html; charset=utf-8")
    fetched = await fetcher.fetch(FetchRequest(url))
    with pytest.raises(ParseError, match="not a feed: got an HTML page"):
        parse_feed(fetched.body, url=fetched.url, headers=fetched.headers)


async def test_empty_200_is_a_clear_parse_error(feed_server: FeedServer, fetcher: HttpFetcher) -> None:
    url = feed_server.feed("/feed.xml", b"")
    fetched = await fetcher.fetch(FetchRequest(url))
    with pytest.raises(ParseError, match="empty body"):
        parse_feed(fetched.body, url=fetched.url, headers=fetched.headers)
