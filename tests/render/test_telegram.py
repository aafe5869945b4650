"""Alert HTML: escaping of hostile feed text, Telegram's UTF-16 length, one story per message."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest

from bot.markup import cut, rendered_len, utf16_len
from bot.model import Alert
from bot.render.telegram import MAX_MESSAGE, format_alert, pages
from tests.doubles.botapi_html import render
from tests.doubles.botapi_html import utf16_len as tg_len


def alert(i: int = 1, *, title: str = "ASML ships more EUV tools", lede: str = "The Dutch company said...",
          link: str | None = "https://example.com/a?x=1&y=2", source: str = "Example News") -> Alert:
    return Alert(outbox_id=i, identity=f"id{i}", watchlists=("asml", "semiconductors"), title=title, link=link,
                 source=source, published=datetime(2024, 3, 27, 15, 45, tzinfo=UTC), lede=lede,
                 hits={"asml": [{"pattern": "ASML", "field": "title", "span": [0, 4], "text": "ASML", "score": 100.0}]})


ALLOWED = re.compile(r"</?(b|i)>|<a href=\"[^\"<>]*\">|</a>")


def tags_ok(markup: str) -> bool:
    """Every tag is one we emit, and no raw '&' or '<' escapes the escaping."""
    stripped = ALLOWED.sub("", markup)
    return "<" not in stripped and ">" not in stripped and not re.search(r"&(?!(amp|lt|gt|quot|#x27);)", markup)


@pytest.mark.parametrize("utf16, text", [(1, "a"), (1, "中"), (2, "😀"), (5, "ab😀中")])
def test_utf16_len_counts_as_telegram(utf16: int, text: str) -> None:
    assert utf16_len(text) == utf16


@pytest.mark.parametrize("title", [
    "<script>alert(1)</script>", "AT&T & ASML", "<b>unbalanced", "</a></b> closing", "a \"quoted\" 'title'",
    "&amp; already escaped &lt;",
])
def test_hostile_titles_are_escaped(title: str) -> None:
    text = format_alert(alert(title=title, lede=title, source=title), "UTC")
    assert tags_ok(text)
    assert html.unescape(re.sub(r"<[^>]*>", "", text)).count(title) == 3


def test_hostile_link_is_quoted_or_dropped() -> None:
    quoted = format_alert(alert(link='https://x.example/"><script>&q=1'))
    assert '<a href="https://x.example/&quot;&gt;&lt;script&gt;&amp;q=1">' in quoted
    assert "<a " not in format_alert(alert(link="javascript:alert(1)"))


def test_time_in_the_chats_zone_with_its_name() -> None:
    assert "2024-03-27 23:45 (Asia/Shanghai)" in format_alert(alert(), "Asia/Shanghai")
    assert "2024-03-27 15:45 (UTC)" in format_alert(alert(), "Not/AZone")


def test_matched_terms_and_watchlists_shown() -> None:
    text = format_alert(alert())
    assert text.startswith("🔔 asml, semiconductors")
    assert "<i>Matched:</i> ASML" in text


def test_cut_never_splits_a_surrogate_pair_and_marks_the_cut() -> None:
    text = cut("😀" * 100, 11)
    assert text == "😀" * 5 + "…" and utf16_len(text) <= 11
    assert cut("short", 10) == "short"


def test_long_hostile_fields_stay_under_the_limit() -> None:
    big = alert(title="&<" * 5000, lede="😀&" * 20000, source="<" * 9000)
    text = format_alert(big)
    assert rendered_len(text) < MAX_MESSAGE
    assert tags_ok(text)


@pytest.mark.parametrize("title", ["<script>x</script>", "AT&T &amp &", "<b>open", "</i>", "😀" * 3000])
def test_telegram_accepts_hostile_alerts(title: str) -> None:
    """The double's HTML parser (TDLib's rules, strict about bare '&') accepts what we send."""
    for text in [format_alert(alert(i, title=title, lede=title * 3, link=f"https://e.x/?a=1&b={title}"))
                 for i in range(1, 6)]:
        plain, _ = render(text, "HTML")
        assert title[:20].strip() in plain or "😀" in plain
        assert tg_len(plain) <= MAX_MESSAGE


def test_pages_never_cut_inside_markup() -> None:
    lines = [f"• <b>feed {i}</b>: {html.escape('A&B <x> ' * 20)}" for i in range(200)]
    out = pages(lines, limit=1000)
    assert len(out) > 1 and "\n".join(out) == "\n".join(lines)
    assert all(rendered_len(p) <= 1000 and tags_ok(p) for p in out)
    [single] = pages(["<b>" + html.escape("&" * 5000) + "</b>"], limit=100)
    assert rendered_len(single) <= 100 and tags_ok(single)


@pytest.mark.parametrize(("lang", "chrome", "english"), [
    ("zh-hans", ["🔔 asml、semiconductors", "也见于：NHK、Reuters、AP +1", "命中：ASML、EUV"], ["also in", "Matched", ", "]),
    ("zh-hant", ["🔔 asml、semiconductors", "也見於：NHK、Reuters、AP +1", "符合：ASML、EUV"], ["also in", "Matched", ", "]),
    ("en", ["🔔 asml, semiconductors", "also in: NHK, Reuters, AP +1", "Matched: ASML, EUV"], []),
])
def test_what_the_bot_adds_follows_the_chats_language_and_feed_text_stays(lang: str, chrome: list[str],
                                                                         english: list[str]) -> None:
    euv = {"pattern": "EUV", "field": "title", "span": [16, 19], "text": "EUV", "score": 100.0}
    a = Alert(**{**{f: getattr(alert(), f) for f in Alert.__dataclass_fields__},
                 "also_in": ("NHK", "Reuters", "AP", "DW"), "title": "ASML ships more EUV tools",
                 "hits": {"asml": [alert().hits["asml"][0], euv]}})
    text, _ = render(format_alert(a, "UTC", lang), "HTML")
    assert all(part in text for part in chrome) and not any(word in text for word in english)
    assert "ASML ships more EUV tools" in text and "The Dutch company said..." in text  # never translated
    assert tags_ok(format_alert(a, "UTC", lang))
