"""A feed's own word on how often to poll it (<ttl>, sy:updatePeriod / sy:updateFrequency): read alike
by the lxml fast path and by feedparser, in a table and on the corpus. Pure, no IO."""

from __future__ import annotations

from pathlib import Path

import feedparser
import pytest

from bot.feeds import parse as parse_module
from bot.feeds.fastpath import parse_fast
from bot.feeds.model import ttl_seconds, update_seconds
from bot.feeds.parse import parse_feed, strip_dtd

SY = 'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
ITEM = "<item><title>x</title><link>https://a.example/1</link></item>"


def rss(channel: str, ns: str = SY) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel><title>t</title>'
            f"{channel}{ITEM}</channel></rss>").encode()


def rdf(channel: str) -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns="http://purl.org/rss/1.0/" {SY}><channel rdf:about="https://a.example/"><title>t</title>'
            f'<link>https://a.example/</link>{channel}</channel><item rdf:about="https://a.example/1"><title>x</title>'
            "<link>https://a.example/1</link></item></rdf:RDF>").encode()


def atom(feed: str) -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" {SY}><title>t</title>'
            f"{feed}<entry><title>x</title><id>urn:1</id><link href=\"https://a.example/1\"/></entry></feed>").encode()


CASES = [
    (rss(""), (None, None)),
    (rss("<ttl>60</ttl>"), (3600.0, None)),
    (rss("<ttl> 15 </ttl>"), (900.0, None)),
    (rss("<ttl>0</ttl>"), (None, None)),  # zero says nothing
    (rss("<ttl>an hour</ttl>"), (None, None)),
    (rss("<sy:updatePeriod>\n\thourly\t</sy:updatePeriod><sy:updateFrequency>\n\t1\t</sy:updateFrequency>"),
     (None, 3600.0)),  # WordPress writes it so
    (rss("<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>"), (None, 21600.0)),
    (rss("<sy:updatePeriod>weekly</sy:updatePeriod>"), (None, 7 * 86400.0)),  # frequency defaults to 1
    (rss("<sy:updateFrequency>2</sy:updateFrequency>"), (None, 43200.0)),  # period defaults to daily
    (rss("<sy:updatePeriod>sometimes</sy:updatePeriod>"), (None, None)),
    (rss("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>x</sy:updateFrequency>"), (None, 3600.0)),
    (rss("<ttl>5</ttl><sy:updatePeriod>hourly</sy:updatePeriod>"), (300.0, 3600.0)),
    # Deutsche Welle binds sy: to a misspelt namespace; feedparser goes by the prefix, and so do we
    (rss("<sy:updatePeriod>hourly</sy:updatePeriod>", ns='xmlns:sy="http://purl.org/rss/modules/syndication/"'),
     (None, 3600.0)),
    (rss("<syn:updatePeriod>daily</syn:updatePeriod>", ns='xmlns:syn="http://purl.org/rss/1.0/modules/syndication/"'),
     (None, 86400.0)),  # another prefix on the right namespace
    (rdf("<sy:updatePeriod>hourly</sy:updatePeriod><sy:updateFrequency>2</sy:updateFrequency>"), (None, 1800.0)),
    (atom("<sy:updatePeriod>daily</sy:updatePeriod>"), (None, 86400.0)),
]


def _feedparser_hints(body: bytes) -> tuple[float | None, float | None]:
    found = parse_module.hints(feedparser.parse(body).feed)
    return found["ttl"], found["update_period"]


@pytest.mark.parametrize(("body", "expected"), CASES)
def test_both_readers_agree_on_the_hints(body: bytes, expected: tuple[float | None, float | None]) -> None:
    fast = parse_fast(body)
    assert fast is not None  # these are plain UTF-8 feeds: the fast path takes them
    assert (fast.ttl, fast.update_period) == expected
    assert _feedparser_hints(body) == expected
    parsed = parse_feed(body)
    assert (parsed.ttl, parsed.update_period) == expected


def test_hints_survive_the_feedparser_path() -> None:
    """A feed the fast path declines (not UTF-8) still gives its hints."""
    body = rss("<ttl>30</ttl><sy:updatePeriod>hourly</sy:updatePeriod>").replace(b"utf-8", b"iso-8859-1")
    assert parse_fast(body) is None
    parsed = parse_feed(body)
    assert (parsed.ttl, parsed.update_period) == (1800.0, 3600.0)


@pytest.mark.parametrize(
    ("period", "frequency", "seconds"),
    [(None, None, None), ("", "", None), ("HOURLY", None, 3600.0), ("monthly", "3", 10 * 86400.0),
     ("yearly", "1", 365 * 86400.0), ("daily", "0", 86400.0), ("daily", "-2", 86400.0), ("daily", "２", 86400.0)],
)
def test_update_seconds(period: str | None, frequency: str | None, seconds: float | None) -> None:
    assert update_seconds(period, frequency) == seconds


@pytest.mark.parametrize(("text", "seconds"), [(None, None), ("60", 3600.0), ("", None), ("-5", None), ("１", None)])
def test_ttl_seconds(text: str | None, seconds: float | None) -> None:
    assert ttl_seconds(text) == seconds


def test_both_readers_agree_on_the_hints_of_the_corpus(corpus_dir: Path) -> None:
    compared = with_hints = 0
    for path in sorted(corpus_dir.iterdir()):
        body = strip_dtd(path.read_bytes())
        fast = parse_fast(body, url=f"https://corpus.invalid/{path.name}")
        if fast is None:
            continue
        compared += 1
        assert (fast.ttl, fast.update_period) == _feedparser_hints(body), path.name
        with_hints += fast.ttl is not None or fast.update_period is not None
    assert compared >= 150 and with_hints >= 40  # the corpus has 59 feeds that say how often to poll
