"""Escaping, cutting and safe links: the one home every formatter uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.markup import cut, esc, one_line, readable_link, rendered_len, safe_link, utf16_len


@pytest.mark.parametrize(("link", "ok"), [
    ("https://news.example/a?b=1&c=2", True), ("HTTP://NEWS.EXAMPLE/", True), ("javascript:alert(1)", False),
    ("data:text/html,x", False), ("https://a.example/x y", False), ("https://a.example/\x85x", False),
    ("ftp://a.example/", False), ("", False), (None, False), ("https://a.example/" + "x" * 3000, False),
])
def test_safe_link(link: str | None, ok: bool) -> None:
    assert (safe_link(link) is not None) is ok


def test_escape_covers_attributes() -> None:
    assert esc('<a href="x">\'&') == "&lt;a href=&quot;x&quot;&gt;&#x27;&amp;"


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_cut_never_exceeds_the_limit_in_utf16_units(text: str, limit: int) -> None:
    out = cut(text, limit)
    assert utf16_len(out) <= limit
    if utf16_len(" ".join(text.split())) <= limit:
        assert out == " ".join(text.split())


def test_one_line_removes_controls_and_breaks() -> None:
    assert one_line("a\r\nb\x00c\u2028d  e") == "a b c d e"
    assert one_line("x" * 50, 10).endswith("…") and len(one_line("x" * 50, 10)) == 10


def test_rendered_length_counts_what_a_reader_sees() -> None:
    assert rendered_len("<b>a&amp;b</b> 😀") == 6


@pytest.mark.parametrize(("link", "shown"), [
    ("https://www.rfi.fr/cn/%E4%B8%AD%E5%9B%BD/20240327-%E4%B9%A0", "https://www.rfi.fr/cn/中国/20240327-习"),
    ("https://a.example/%e4%b8%ad?q=%E4%B8%AD%2B1", "https://a.example/中?q=中%2B1"),  # lower case; ASCII escapes stay
    ("https://a.example/c%2Fd%20e%3F", "https://a.example/c%2Fd%20e%3F"),  # "%2F" is not "/", "%20" no space
    ("https://a.example/%E2%80%AEgnp.exe", "https://a.example/%E2%80%AEgnp.exe"),  # a direction character stays escaped
    ("https://a.example/%E3%80%80x", "https://a.example/%E3%80%80x"),  # an ideographic space too
    ("https://a.example/%FF%FE%E4%B8", "https://a.example/%FF%FE%E4%B8"),  # not UTF-8, or cut short
    ("https://a.example/plain", "https://a.example/plain"),
])
def test_readable_link_decodes_only_what_reads_as_text(link: str, shown: str) -> None:
    assert readable_link(link) == shown


@pytest.mark.parametrize(("link", "offered"), [
    ("https://restofworld.org/2026/ai-memory-chip-explainer/?utm_source=rss&utm_medium=rss&utm_campaign=feeds",
     "https://restofworld.org/2026/ai-memory-chip-explainer/"),
    ("https://www.dw.com/en/a/a-75925338?maca=en-rss-en-all-1573-rdf", "https://www.dw.com/en/a/a-75925338"),
    ("https://News.example/a?id=42&utm_source=x&b=%E4%B8%AD#part-2", "https://News.example/a?id=42&b=%E4%B8%AD#part-2"),
    ("https://a.example/p?fbclid=1#top", "https://a.example/p#top"),
    ("https://a.example/p?ref=v2&cid=7", "https://a.example/p?ref=v2&cid=7"),  # real parameters, in their order
    ("https://a.example/p?", "https://a.example/p"),
])
def test_a_link_is_offered_without_its_tracking_parameters_and_otherwise_as_written(link: str, offered: str) -> None:
    assert safe_link(link) == offered
    assert readable_link(link) == readable_link(offered)
