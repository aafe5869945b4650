"""OPML subscription lists in and out (``feeds import`` / ``feeds export``). Pure: bytes in, bytes out.

Every feed reader exports OPML: ``<outline xmlUrl="..." text="..."/>`` elements, nested in folders
as deep as the reader likes. Only the feeds are read (folders are flattened, in document order);
a file that is not OPML gets one line saying so. The XML comes from elsewhere, so it is read like
a hostile feed: DTDs removed before parsing, no entity expansion, no network.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable

from lxml import etree

from bot.errors import ConfigError
from bot.feeds.parse import strip_dtd
from bot.feeds.per_thread import PerThread

_PARSER = PerThread(lambda: etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                                            huge_tree=False, remove_comments=True, remove_pis=True))
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
# Characters XML 1.0 cannot carry at all, even escaped.
_POSITION = re.compile(r", line \d+, column \d+$")  # lxml repeats what the message already says
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def parse_opml(data: bytes, *, source: str = "OPML file") -> list[tuple[str, str]]:
    """The (feed URL, name) pairs of an OPML file, in order, each URL once.

    The name is the outline's ``title``, else its ``text``, else the URL. Raises ConfigError
    (one line, naming ``source``) for anything that is not OPML with at least one feed.
    """
    if not data.strip():
        raise ConfigError(source, ["empty: not an OPML file"])
    try:
        root = etree.fromstring(strip_dtd(_as_utf8(data)), _PARSER())
    except etree.XMLSyntaxError as e:
        raise ConfigError(source, [f"not well-formed XML (line {e.lineno}: {_first_line(e.msg)}): "
                                   "is it an OPML file?"]) from e
    except ValueError as e:
        raise ConfigError(source, [f"cannot be read as XML ({_first_line(str(e))})"]) from e
    if root is None or not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        tag = etree.QName(root).localname if root is not None and isinstance(root.tag, str) else "?"
        raise ConfigError(source, [f"not an OPML file (its root element is <{tag}>, not <opml>)"])
    feeds: dict[str, str] = {}
    for outline in root.iter("{*}outline"):
        attributes = {name.lower(): value for name, value in outline.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if not url or url in feeds:
            continue
        name = " ".join((attributes.get("title") or attributes.get("text") or "").split())
        feeds[url] = name or url
    if not feeds:
        raise ConfigError(source, ['no feeds in it (no <outline xmlUrl="..."> element)'])
    return list(feeds.items())


def render_opml(feeds: Iterable[tuple[str, str]], *, title: str = "watchbot feeds") -> bytes:
    """An OPML 2.0 document listing ``feeds`` as (URL, name) pairs; a feed without a name (or with only spaces for one)
    shows its URL. Names have their runs of whitespace made one space, as ``parse_opml`` reads them."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _xml_safe(title)
    body = etree.SubElement(root, "body")
    for url, name in feeds:
        text = " ".join(_xml_safe(name).split()) or _xml_safe(url)
        etree.SubElement(body, "outline", type="rss", text=text, title=text, xmlUrl=_xml_safe(url))
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def _as_utf8(data: bytes) -> bytes:
    """UTF-16/32 bodies (by their byte order mark) as UTF-8, so that strip_dtd sees their markup."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec).lstrip("\ufeff")
            except UnicodeDecodeError:
                return data
            return _DECLARATION.sub("", text, count=1).encode("utf-8")
    return data


def _xml_safe(text: str) -> str:
    return _NOT_XML.sub("", text)


def _first_line(text: str | None) -> str:
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "syntax error"
    return _POSITION.sub("", line)[:200]
