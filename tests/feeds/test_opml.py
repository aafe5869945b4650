"""OPML import and export: real-world shapes, malformed files, hostile XML, and the round trip."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import ConfigError
from bot.feeds.opml import parse_opml, render_opml

EXPORT = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="1.0">
  <head><title>Subscriptions from a feed reader</title></head>
  <body>
    <outline text="News" title="News">
      <outline type="rss" text="BBC World" title="BBC World" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"
               htmlUrl="https://www.bbc.co.uk/news/world"/>
      <outline text="Asia">
        <outline type="rss" text="RFI 中文" xmlUrl="https://www.rfi.fr/cn/rss"/>
      </outline>
    </outline>
    <outline type="rss" title="  Semiconductor\n   Engineering " text="ignored" xmlurl="https://semiengineering.com/feed/"/>
    <outline type="rss" xmlUrl="https://example.com/no-name.xml"/>
    <outline type="rss" text="BBC again" xmlUrl="https://feeds.bbci.co.uk/news/world/rss.xml"/>
    <outline text="A folder with no feeds"/>
    <outline type="link" text="A web page" url="https://example.com/page"/>
  </body>
</opml>
"""


def test_a_reader_export_flattens_to_feeds_in_order() -> None:
    assert parse_opml(EXPORT.encode()) == [
        ("https://feeds.bbci.co.uk/news/world/rss.xml", "BBC World"),
        ("https://www.rfi.fr/cn/rss", "RFI 中文"),
        ("https://semiengineering.com/feed/", "Semiconductor Engineering"),
        ("https://example.com/no-name.xml", "https://example.com/no-name.xml"),
    ]


def test_utf16_export() -> None:
    body = EXPORT.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert parse_opml(body) == parse_opml(EXPORT.encode())


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "subs.opml: empty: not an OPML file"),
        (b"  \n", "subs.opml: empty: not an OPML file"),
        (b"<opml><body><outline xmlUrl='https://a.org/f'>", "subs.opml: not well-formed XML (line 1: "),
        (b"just some text", "subs.opml: not well-formed XML (line 1: "),
        (b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',
         "subs.opml: not an OPML file (its root element is <rss>, not <opml>)"),
        (b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>",
         "subs.opml: not an OPML file (its root element is <html>, not <opml>)"),
        (b'<opml version="2.0"><head/><body><outline text="folder"/></body></opml>',
         'subs.opml: no feeds in it (no <outline xmlUrl="..."> element)'),
        (b'<opml version="2.0"><body><outline xmlUrl="  "/></body></opml>', "subs.opml: no feeds in it"),
    ],
)
def test_malformed_opml_is_one_clear_line(body: bytes, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_opml(body, source="subs.opml")
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)


def _bomb(declarations: str, ref: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE opml [\n{declarations}\n]>\n'
            f'<opml version="2.0"><body><outline text="{ref}" xmlUrl="https://example.com/{ref}"/>'
            f'<outline text="plain" xmlUrl="https://example.com/plain"/></body></opml>')


LAUGHS = "\n".join(['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">'
                                                for i in range(1, 10)])


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
@pytest.mark.parametrize("kind", ["billion-laughs", "external-file"])
def test_hostile_xml_expands_nothing(encoding: str, kind: str, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    text = _bomb(LAUGHS, "&lol9;") if kind == "billion-laughs" else \
        _bomb(f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">', "&xxe;")
    body = text.replace('encoding="UTF-8"', f'encoding="{encoding.upper()}"').encode(encoding)
    try:
        feeds = parse_opml(body)
    except ConfigError as e:  # the undefined entity left after the DTD is gone: a clean refusal
        assert "not well-formed XML" in str(e)
        return
    assert all("lol" not in name and "TOP-SECRET" not in name and len(name) < 100 for _, name in feeds)


def test_render_is_opml_2() -> None:
    out = render_opml([("https://example.com/a.xml", "A & <B>"), ("/srv/feeds/local.xml", "")])
    text = out.decode()
    assert text.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert '<outline type="rss" text="A &amp; &lt;B&gt;" title="A &amp; &lt;B&gt;" xmlUrl="https://example.com/a.xml"/>' \
        in text
    assert re.search(r'text="/srv/feeds/local.xml" .*xmlUrl="/srv/feeds/local.xml"', text)


_xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\ufffe\uffff"),
                    max_size=40)
_urls = st.builds(lambda host, path: f"https://{host}.example/{path}",
                  st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True), _xml_text)
_feeds = st.lists(st.tuples(_urls, _xml_text), max_size=8, unique_by=lambda feed: feed[0].strip())


@given(_feeds)
def test_round_trip(feeds: list[tuple[str, str]]) -> None:
    feeds = [(url, name) for url, name in feeds if url.strip()]
    if not feeds:
        return
    # (a name of spaces only is no name: hypothesis found ' ' beside 'https://a.example/\xa00', rendered as the name)
    expected = [(url.strip(), " ".join(name.split()) or " ".join(url.split())) for url, name in feeds]
    assert parse_opml(render_opml(feeds)) == expected


def test_a_name_of_only_spaces_shows_the_url_and_names_read_back_with_single_spaces() -> None:
    text = render_opml([("https://a.example/\xa00", " \xa0 "), ("https://b.example/", " Chip\t  Wire ")]).decode()
    assert 'text="https://a.example/\xa00" title="https://a.example/\xa00"' in text
    assert 'text="Chip Wire" title="Chip Wire"' in text
    assert parse_opml(text.encode()) == [("https://a.example/\xa00", "https://a.example/ 0"),  # (a name's spaces)
                                         ("https://b.example/", "Chip Wire")]
