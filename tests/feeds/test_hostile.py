"""Hostile XML through the real fetcher and parser: nothing expands, nothing leaks, memory stays small.

The bombs are served by the feed server and read back through HttpFetcher and parse_feed, the
way the pipeline reads them. Peak memory is measured in this process with tracemalloc.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.feeds.fetch import FetchRequest, HttpFetcher
from bot.feeds.parse import ParsedFeed, parse_feed
from tests.doubles.feedserver import FeedServer, billion_laughs, external_entity, quadratic_blowup

SECRET = "TOPSECRET-7f3a9c-not-for-feeds"
PEAK_LIMIT = 50_000_000  # bytes; an expanded bomb needs gigabytes


def _fields(parsed: ParsedFeed) -> list[str]:
    fields = [parsed.title, parsed.link or ""]
    for e in parsed.entries:
        fields += [e.title, e.content_html, e.link or "", e.guid or ""]
    return fields


def _parse_measured(body: bytes, headers: dict[str, str] | None = None) -> tuple[ParsedFeed | None, int]:
    tracemalloc.start()
    try:
        try:
            parsed: ParsedFeed | None = parse_feed(body, url="http://127.0.0.1/bomb.xml", headers=headers)
        except ParseError:
            parsed = None  # refusing the body is also survival
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return parsed, peak


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET)
    return path


BOMBS: dict[str, Callable[[Path], bytes]] = {
    "billion laughs": lambda _: billion_laughs(),
    "quadratic blowup": lambda _: quadratic_blowup(),
    "external entity": lambda secret: external_entity(str(secret)),
}


@pytest.mark.parametrize("name", BOMBS)
async def test_bombs_through_fetch_and_parse(
    feed_server: FeedServer, fetcher: HttpFetcher, secret_file: Path, name: str
) -> None:
    url = feed_server.feed("/bomb.xml", BOMBS[name](secret_file))
    fetched = await fetcher.fetch(FetchRequest(url))
    parsed, peak = _parse_measured(fetched.body, dict(fetched.headers))

    assert peak < PEAK_LIMIT, f"{name}: peak {peak / 1e6:.0f} MB"
    if parsed is not None:
        text = "".join(_fields(parsed))
        assert SECRET not in text
        assert "lollollol" not in text and "x" * 1000 not in text  # nothing expanded
        assert len(text) < 200_000
        assert "Plain item" in [e.title for e in parsed.entries]  # the honest part is still read


def test_external_entity_never_reads_the_file(secret_file: Path) -> None:
    parsed, _ = _parse_measured(external_entity(str(secret_file)))
    assert parsed is None or SECRET not in repr(parsed)


# The same bombs in encodings that are not ASCII-compatible: a DOCTYPE written in UTF-16 is not
# the bytes b"<!DOCTYPE", so stripping it needs the body decoded first. The bombs are small
# (2 MB when expanded) so that a regression shows up as a long field, not as a dead machine.
def _reencode(body: bytes, encoding: str, *, bom: bool = True) -> bytes:
    text = body.decode("utf-8").replace('encoding="utf-8"', f'encoding="{encoding}"')
    data = text.encode(encoding)
    return data if bom else data.removeprefix(b"\xff\xfe").removeprefix(b"\xfe\xff")


SMALL_QUADRATIC = quadratic_blowup(size=1_000, refs=2_000)


@pytest.mark.parametrize(
    ("encoding", "headers"),
    [
        ("utf-16", {}),
        ("utf-16-le", {}),
        ("utf-16-be", {"content-type": "application/rss+xml; charset=utf-16be"}),
        ("utf-32", {}),
        ("cp037", {}),  # EBCDIC
    ],
)
def test_bombs_in_ascii_incompatible_encodings_do_not_expand(
    encoding: str, headers: dict[str, str], secret_file: Path
) -> None:
    for body in (SMALL_QUADRATIC, external_entity(str(secret_file))):
        parsed, peak = _parse_measured(_reencode(body, encoding), headers)
        assert peak < PEAK_LIMIT
        if parsed is not None:
            text = "".join(_fields(parsed))
            assert "x" * 1000 not in text, f"{encoding}: entity expanded"
            assert SECRET not in text


def test_millions_of_unclosed_tags_are_refused_not_read_leniently_for_minutes() -> None:
    """Three feeds of 3.2 million unclosed "<a>" (9.6 MB each, under poll.max_bytes) took minutes each in feedparser's
    lenient reader, 4 GB, and every other feed's alerts with them. Refused at once, saying why (memory counted)."""
    body = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><title>x</title><description>'
            + b"<a>" * 3_200_000 + b"</description></item></channel></rss>")
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match=r"holds 3,200,013 tags: far more than a feed has"):
            parse_feed(body, url="nest")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 50_000_000  # (the lenient reader took 548 MB for a third of this)
