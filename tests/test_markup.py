"""Escaping, cutting and safe links: the one home every formatter uses."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.markup import cut, esc, one_line, rendered_len, safe_link, utf16_len


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
