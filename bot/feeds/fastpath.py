"""A fast reader for the common case: well-formed UTF-8 RSS 2.0, RSS 1.0 and Atom. Pure.

feedparser is thorough and slow (it runs a SAX parser, then sanitizers, then date guessers).
Most real feeds are plain well-formed UTF-8, which lxml reads many times faster. This reader
takes those and returns None for anything else — another encoding, broken XML, an undefined
entity, an unknown root — so feedparser stays the reader of record for everything unusual.
lxml runs with entity resolution and network access off; DOCTYPEs are stripped before.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from urllib.parse import urljoin

from feedparser.datetimes import _parse_date
from lxml import etree

from bot.feeds.model import (
    SY,
    Entry,
    ParsedFeed,
    describe_error,
    skip_reason,
    ttl_seconds,
    update_seconds,
    utc_from_struct,
)
from bot.feeds.per_thread import PerThread

ATOM = "{http://www.w3.org/2005/Atom}"
RDF = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1 = "{http://purl.org/rss/1.0/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC = "{http://purl.org/dc/elements/1.1/}"
XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
MEDIA = "{http://search.yahoo.com/mrss/}"

_DECLARED = re.compile(rb"^\s*<\?xml[^>]*encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", re.IGNORECASE)
_UTF8 = {"utf-8", "utf8"}
_PARSER = PerThread(lambda: etree.XMLParser(resolve_entities=False, no_network=True, recover=False,
                                            huge_tree=False, remove_comments=True, remove_pis=True, load_dtd=False))


def parse_fast(body: bytes, *, url: str = "", headers: Mapping[str, str] | None = None) -> ParsedFeed | None:
    """The feed in ``body`` when it is plain well-formed UTF-8 RSS/Atom; None to let feedparser read it."""
    declared = _DECLARED.match(body[:256])
    if declared and declared.group(1).decode("ascii").lower() not in _UTF8:
        return None
    content_type = (headers or {}).get("content-type", "")
    charset = _CHARSET.search(content_type)
    if charset and charset.group(1).lower() not in _UTF8:
        return None
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    try:
        root = etree.fromstring(body, _PARSER())
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    tag = root.tag
    try:
        if tag == "rss":
            return _rss2(root, url)
        if tag == f"{ATOM}feed":
            return _atom(root, url)
        if tag == f"{RDF}RDF":
            return _rss1(root, url)
    except _Unsure:
        return None
    return None


class _Unsure(Exception):
    """Something this reader does not handle exactly like feedparser: let feedparser read it."""


def _text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    return el.text or "" if len(el) == 0 else "".join(el.itertext())


def _date(value: str) -> datetime | None:
    """feedparser's own date reader, so both paths agree on every odd format."""
    value = value.strip()
    return utc_from_struct(_parse_date(value)) if value else None


def _with_hints(parsed: ParsedFeed, element: etree._Element | None, ttl_tag: str) -> ParsedFeed:
    """``parsed`` with the feed's own word on how often to poll it: <ttl> and the syndication module
    (read as feedparser reads them)."""
    if element is None:
        return parsed
    sy: dict[str, str] = {}
    for child in element:
        if not isinstance(child.tag, str):
            continue
        name = etree.QName(child)
        # feedparser also takes an "sy:" prefix bound to a misspelt namespace (Deutsche Welle's).
        if name.namespace == SY or child.prefix == "sy":
            sy.setdefault(name.localname, child.text or "")
    return dataclasses.replace(parsed, ttl=ttl_seconds(element.findtext(ttl_tag)),
                               update_period=update_seconds(sy.get("updatePeriod"), sy.get("updateFrequency")))


def _rss2(root: etree._Element, url: str) -> ParsedFeed:
    channel = root.find("channel")
    if channel is None:
        raise _Unsure
    entries, skipped = _read(channel.iterfind("item"), lambda item: _rss2_item(item, url), "title")
    parsed = ParsedFeed(title=_text(channel.find("title")).strip(),
                        link=(channel.findtext("link") or "").strip() or None,
                        language=(channel.findtext("language") or "").strip() or None, entries=entries,
                        skipped=skipped)
    return _with_hints(parsed, channel, "ttl")


def _rss2_item(item: etree._Element, url: str) -> Entry:
    guid_el = item.find("guid")
    guid = (guid_el.text or "").strip() if guid_el is not None else ""
    link = _text(item.find("link")).strip()
    if not link and guid and guid_el is not None and guid_el.get("isPermaLink", "true") != "false":
        link = guid
    if guid and "://" not in guid:
        raise _Unsure  # feedparser resolves relative GUIDs against the feed URL; keep one behaviour
    content = item.find(CONTENT)
    html = _text(content) if content is not None else _text(item.find("description"))
    if not html:
        html = item.findtext(f"{MEDIA}group/{MEDIA}description") or item.findtext(f"{MEDIA}description") or ""
    when = item.findtext("pubDate") or item.findtext(f"{DC}date") or item.findtext(f"{ATOM}updated") or ""
    return Entry(
        title=_text(item.find("title")).strip(),
        link=_join(url, link) if link else None,
        guid=guid or None,
        content_html=html,
        published=_date(when),
        author=(item.findtext("author") or item.findtext(f"{DC}creator") or "").strip() or None,
    )


def _read(elements: Iterable[etree._Element], read: Callable[[etree._Element], Entry],
          title_tag: str) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    """Every element read into an Entry; one that cannot be read is skipped with its reason."""
    entries: list[Entry] = []
    skipped: list[str] = []
    for position, element in enumerate(elements, 1):
        try:
            entries.append(read(element))
        except (ValueError, TypeError) as e:
            skipped.append(skip_reason(position, _text(element.find(title_tag)), describe_error(e)))
    return tuple(entries), tuple(skipped)


def _join(base: str, link: str) -> str:
    """``link`` resolved against ``base``; ValueError naming the link when it is no URL at all."""
    try:
        return urljoin(base, link)
    except ValueError as e:  # "http://[::1": urllib refuses an unclosed IPv6 literal
        raise ValueError(f"link {link[:100]!r} is not a valid URL ({describe_error(e)})") from e


def _rss1(root: etree._Element, url: str) -> ParsedFeed:
    channel = root.find(f"{RSS1}channel")
    entries, skipped = _read(root.iterfind(f"{RSS1}item"), lambda item: _rss1_item(item, url), f"{RSS1}title")
    title = _text(channel.find(f"{RSS1}title")).strip() if channel is not None else ""
    link = _text(channel.find(f"{RSS1}link")).strip() if channel is not None else ""
    parsed = ParsedFeed(title=title, link=link or None, language=None, entries=entries, skipped=skipped)
    return _with_hints(parsed, channel, f"{RSS1}ttl")


def _rss1_item(item: etree._Element, url: str) -> Entry:
    link = _text(item.find(f"{RSS1}link")).strip()
    content = item.find(CONTENT)
    html = _text(content) if content is not None else _text(item.find(f"{RSS1}description"))
    return Entry(
        title=_text(item.find(f"{RSS1}title")).strip(),
        link=_join(url, link) if link else None,
        guid=item.get(f"{RDF}about") or link or None,
        content_html=html,
        published=_date(item.findtext(f"{DC}date") or ""),
        author=(item.findtext(f"{DC}creator") or "").strip() or None,
    )


def _atom_text(el: etree._Element | None) -> str:
    if el is None:
        return ""
    if el.get("type") == "xhtml":
        return "".join(etree.tostring(child, encoding="unicode", with_tail=True) for child in el)
    return _text(el)


def _atom_link(entry: etree._Element, base: str) -> str | None:
    for link in entry.iterfind(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return _join(base, link.get("href", "").strip())
    return None


def _atom(root: etree._Element, url: str) -> ParsedFeed:
    try:
        base = _join(url, root.get(XML_BASE, ""))
    except ValueError:
        base = url  # a broken xml:base on the feed: entries resolve against the feed's URL
    entries, skipped = _read(root.iterfind(f"{ATOM}entry"), lambda entry: _atom_entry(entry, base), f"{ATOM}title")
    lang = root.get("{http://www.w3.org/XML/1998/namespace}lang")
    try:
        link = _atom_link(root, base)
    except ValueError:
        link = None  # the feed's own link is only shown; its entries do not depend on it
    parsed = ParsedFeed(title=_atom_text(root.find(f"{ATOM}title")).strip(), link=link,
                        language=lang, entries=entries, skipped=skipped)
    return _with_hints(parsed, root, f"{ATOM}ttl")


def _atom_entry(entry: etree._Element, base: str) -> Entry:
    entry_base = _join(base, entry.get(XML_BASE, ""))
    content = entry.find(f"{ATOM}content")
    html = _atom_text(content) if content is not None else _atom_text(entry.find(f"{ATOM}summary"))
    if not html:  # YouTube and podcasts put the text in Media RSS
        html = entry.findtext(f"{MEDIA}group/{MEDIA}description") or entry.findtext(f"{MEDIA}description") or ""
    title = entry.find(f"{ATOM}title")
    when = entry.findtext(f"{ATOM}published") or entry.findtext(f"{ATOM}updated") or ""
    author = entry.find(f"{ATOM}author")
    return Entry(
        title=_atom_text(title).strip(),
        link=_atom_link(entry, entry_base),
        guid=(entry.findtext(f"{ATOM}id") or "").strip() or None,
        content_html=html,
        published=_date(when),
        author=(author.findtext(f"{ATOM}name") or "").strip() or None if author is not None else None,
    )
