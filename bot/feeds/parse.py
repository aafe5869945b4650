"""Read a feed body into raw entries. Pure: bytes and headers in, a ParsedFeed out; no IO.

feedparser does the reading (RSS 0.9x/1.0/2.0, Atom, broken XML through its loose parser);
JSON Feed is read here. Two things happen before feedparser sees the bytes:

- DOCTYPE and ENTITY declarations are removed. feedparser's loose parser re-expands "safe"
  DTD entities: a 160 KB billion-laughs feed became a 2-billion-character title (DESIGN.md).
- The HTTP headers go along (lower-cased, plus content-location), because feedparser decodes
  a GBK feed without an XML encoding declaration only when it sees the Content-Type charset.

Most feeds are well-formed UTF-8 and go through the lxml fast path (bot/feeds/fastpath.py);
feedparser reads everything else.

A body with nothing feed-like in it (an HTML page, an empty body, JSON that is not a JSON Feed)
raises ParseError with a reason a person understands; a feed with defects still yields what it can.
"""

from __future__ import annotations

import codecs
import dataclasses
import functools
import re
from collections.abc import Mapping
from typing import Any
from xml.sax import SAXParseException

import feedparser
from feedparser.encodings import convert_to_utf8

from bot.errors import ParseError
from bot.feeds.discover import discover_feeds
from bot.feeds.fastpath import parse_fast
from bot.feeds.jsonfeed import parse_json_feed
from bot.feeds.model import (
    Entry,
    ParsedFeed,
    describe_error,
    skip_reason,
    ttl_seconds,
    update_seconds,
    utc_from_struct,
)

__all__ = ["Entry", "ParsedFeed", "parse_feed", "strip_dtd"]


# A DOCTYPE with or without an internal subset, and stray ENTITY declarations.
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.IGNORECASE | re.DOTALL)
_ENTITY = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)
_HTML_START = re.compile(rb"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b",
                         re.IGNORECASE | re.DOTALL)
_BOM = b"\xef\xbb\xbf"
# C0 controls (but tab, line feed, carriage return), and lone surrogates: a JSON Feed's "\ud800" reached the store,
# which could not encode it, and the whole feed failed on every poll
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# A character reference to a surrogate, or past U+10FFFF, is no character: lxml refuses the body, and feedparser's
# lenient reading then failed the whole feed on it (UnicodeEncodeError) for one title's "&#xD800;"
_SUSPECT_REF = re.compile(
    rb"&#(?:[xX]0*[dD][89a-fA-F][0-9a-fA-F]{2}|0*5[5-7]\d{3}|\d{7,}|[xX]0*[1-9a-fA-F][0-9a-fA-F]{5,});")
# Markup that is not ASCII bytes (UTF-16/32, EBCDIC) hides "<!DOCTYPE" from strip_dtd, while
# feedparser decodes first and then expands the entities: a UTF-16 quadratic-blowup feed of
# 320 KB took 20 GB and 4 minutes. Such bodies are transcoded to UTF-8 before stripping.
# Tags (its "<") past which a body lxml refuses is not read by feedparser's lenient reader either: three feeds of
# 3.2 million unclosed "<a>" (9.6 MB each, under poll.max_bytes) took minutes each, 4 GB, and every other feed's
# alerts with them. The largest of the 200 corpus feeds holds 87,000.
MAX_LENIENT_TAGS = 300_000
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_DECLARED = re.compile(rb"^\s*<\?xml[^>]*?encoding\s*=\s*[\"']([A-Za-z0-9._:-]+)[\"']", re.IGNORECASE)
_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*>")
_DECLARATION_TEXT = re.compile(r"^\s*<\?xml[^>]*>")
_UNICODE_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                 (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
_EBCDIC_XML = b"\x4c\x6f\xa7\x94"  # "<?xm" in EBCDIC
_ASCII_PROBE = "<!DOCTYPE x [<!ENTITY a 'b'>]>"


def strip_dtd(body: bytes) -> bytes:
    """Remove DOCTYPE and ENTITY declarations, which only ever carry entity-expansion attacks here."""
    if b"<!" not in body[:65536] and b"<!ENTITY" not in body:
        return body
    body = _DOCTYPE.sub(b"", body, count=1)
    if b"<!ENTITY" in body or b"<!entity" in body:
        body = _ENTITY.sub(b"", body)
    return body


def parse_feed(body: bytes, *, url: str = "", headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse one feed body. Raises ParseError when the body holds no feed, and no other exception.

    An entry that cannot be read is left out and named in ``ParsedFeed.skipped``; whatever else
    goes wrong inside the parsers (a bug, or input nobody foresaw) becomes a ParseError naming
    the feed, so that one feed never stops a poll with a traceback.
    """
    try:
        if b"&#" in body and _SUSPECT_REF.search(body):
            body = _SUSPECT_REF.sub(_no_character, body)
        return _without_controls(_parse(body, url, headers))
    except ParseError:
        raise
    except Exception as e:  # the promise above: one feed's surprise stays its own
        raise ParseError(url, f"could not read the feed ({type(e).__name__}: {describe_error(e)})") from e


def _no_character(ref: re.Match[bytes]) -> bytes:
    """A character reference that names no character, as the replacement character; any other as it was."""
    digits = ref[0][2:-1]
    value = int(digits[1:], 16) if digits[:1] in (b"x", b"X") else int(digits)
    return b"&#xFFFD;" if 0xD800 <= value <= 0xDFFF or value > 0x10FFFF else ref[0]


def _without_controls(parsed: ParsedFeed) -> ParsedFeed:
    """``parsed`` without C0 control characters (but tab, line feed and carriage return) in its text. No headline
    means them, XML forbids them (lxml reads NUL in a lede as "\\ufffd"), and PostgreSQL refuses
    NUL in text: one such title failed its whole feed's transaction, poll after poll. A JSON Feed can carry them
    ("\\u0000"), and so can feedparser's lenient reading of a broken XML feed."""
    def clean(text: str | None) -> str | None:
        return _CONTROLS.sub("", text) if text and _CONTROLS.search(text) else text

    def entry(e: Entry) -> Entry:
        return dataclasses.replace(e, title=clean(e.title) or "", link=clean(e.link), guid=clean(e.guid),
                                   content_html=clean(e.content_html) or "", author=clean(e.author))

    texts = (parsed.title, parsed.link, parsed.language,
             *(t for e in parsed.entries for t in (e.title, e.link, e.guid, e.content_html, e.author)))
    if not any(t and _CONTROLS.search(t) for t in texts):
        return parsed
    return dataclasses.replace(parsed, title=clean(parsed.title) or "", link=clean(parsed.link),
                               language=clean(parsed.language), entries=tuple(entry(e) for e in parsed.entries))


def _lenient(exc: object, body: bytes) -> str:
    """What feedparser found wrong in a feed it then read with its lenient parser, in words: where and what, for
    XML that is not well-formed ("<unknown>:1176:12: undefined entity" as expat puts it)."""
    if not isinstance(exc, SAXParseException):
        return describe_error(exc)
    line, column = exc.getLineNumber(), exc.getColumnNumber()
    if line is None or column is None:
        return describe_error(exc)
    lines = body.split(b"\n", line)
    there = lines[line - 1].decode("utf-8", "replace")[column:column + 24].strip() if 0 < line <= len(lines) else ""
    at = f" at {there!r}" if there else ""
    return f"not well-formed XML, line {line}, column {column + 1}: {exc.getMessage()}{at}; read leniently"


def _parse(body: bytes, url: str, headers: Mapping[str, str] | None) -> ParsedFeed:
    head = body[:2048].lstrip()
    if head.startswith(_BOM):
        head = head[len(_BOM):].lstrip()
    if not head:
        raise ParseError(url, "empty body: nothing to read (an empty file, or a server that answered with nothing)")
    if head[:1] in (b"{", b"["):
        return parse_json_feed(body, url)

    response_headers = {k.lower(): v for k, v in (headers or {}).items()}
    body, response_headers = _ascii_compatible(body, response_headers, url)
    body, response_headers, repaired = _mislabelled_chinese(body, response_headers)
    body = strip_dtd(body)
    fast = parse_fast(body, url=url, headers=response_headers)
    if fast is not None:
        return dataclasses.replace(fast, warning=repaired) if repaired else fast
    tags = body.count(b"<")
    if tags > MAX_LENIENT_TAGS:  # (feedparser's lenient reading takes about 25 us and 500 bytes a tag)
        raise ParseError(url, f"not well-formed, and holds {tags:,} tags: far more than a feed has (the largest of "
                              "200 real ones, 87,000), so it is not read leniently, which would take minutes and "
                              "gigabytes; the feed's publisher must fix it")
    if url:
        response_headers.setdefault("content-location", url)
    # A local file, or a server that names no type: the XML declaration decides the encoding, as for
    # application/xml (RFC 7303). Without a type feedparser warns "no Content-type specified" on a feed that
    # reads fine, on every poll (the 20 such corpus feeds parse to the same entries either way).
    response_headers.setdefault("content-type", "application/xml")
    parsed = feedparser.parse(
        body,
        response_headers=response_headers,
        sanitize_html=False,  # we never render feed HTML; the lede is extracted as text
        resolve_relative_uris=False,
    )
    if not parsed.entries and not parsed.version:
        if _HTML_START.match(body[:4096]):
            linked = [u for u, _ in discover_feeds(body, url)]
            if linked:  # (a site's home page given for its feed: say which feeds it links to, as `feeds add` finds)
                raise ParseError(url, f"not a feed: got an HTML page that links to the feed{'s' * (len(linked) > 1)} "
                                      f"{', '.join(linked[:3])}{' …' if len(linked) > 3 else ''}: give "
                                      f"{'one of them' if len(linked) > 1 else 'it'} as the feed's url")
            raise ParseError(url, "not a feed: got an HTML page (is the feed URL right?)")
        reason = parsed.get("bozo_exception")
        said = _lenient(reason, body).removesuffix("; read leniently") if reason is not None else ""
        raise ParseError(url, f"not a feed: {said or 'no RSS or Atom found'}")

    info = parsed.feed
    warning = repaired or (_lenient(parsed.bozo_exception, body) if parsed.bozo else None)
    entries: list[Entry] = []
    skipped: list[str] = []
    for position, raw in enumerate(parsed.entries, 1):
        try:
            entries.append(_entry(raw))
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            skipped.append(skip_reason(position, _text(raw.get("title")), describe_error(e)))
    return ParsedFeed(
        title=_text(info.get("title")),
        link=_text(info.get("link")) or None,
        language=_text(info.get("language")) or None,
        entries=tuple(entries),
        warning=warning,
        skipped=tuple(skipped),
        **hints(info),
    )


def hints(info: Any) -> dict[str, float | None]:
    """The feed's own word on how often to poll it, from feedparser's feed-level values (as fastpath.py reads it)."""
    return {"ttl": ttl_seconds(_text(info.get("ttl"))),
            "update_period": update_seconds(_text(info.get("sy_updateperiod")), _text(info.get("sy_updatefrequency")))}


def _ascii_compatible(body: bytes, headers: dict[str, str], url: str) -> tuple[bytes, dict[str, str]]:
    """The body as UTF-8 (and a charset=utf-8 header) when its markup is not ASCII bytes; else as is."""
    for bom, codec in _UNICODE_BOMS:  # a byte order mark outranks any label (as in browsers)
        if body.startswith(bom):
            try:
                text = _DECLARATION_TEXT.sub("", body.decode(codec).lstrip("\ufeff"), count=1)
            except UnicodeDecodeError:
                break
            media_type = headers.get("content-type", "").split(";", 1)[0].strip() or "application/xml"
            utf8 = ('<?xml version="1.0" encoding="utf-8"?>\n' + text.lstrip()).encode("utf-8")
            return utf8, {**headers, "content-type": f"{media_type}; charset=utf-8"}
    head = body[:4]
    suspicious = (
        b"\x00" in head
        or head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
        or head == _EBCDIC_XML
    )
    if not suspicious:
        names = [m.group(1) for m in [_CHARSET.search(headers.get("content-type", ""))] if m]
        declared = _DECLARED.match(body[:1024])
        if declared:
            names.append(declared.group(1).decode("ascii"))
        suspicious = not all(_ascii_transparent(name.lower()) for name in names)
    if not suspicious:
        return body, headers
    # feedparser's own detection, so that we strip exactly what it would have parsed.
    seen = {**headers, "content-location": url} if url else dict(headers)
    result: dict[str, Any] = {}
    data = convert_to_utf8(seen, body, result)
    if not result.get("encoding"):
        return body, headers
    media_type = headers.get("content-type", "").split(";", 1)[0].strip() or "application/xml"
    return data, {**headers, "content-type": f"{media_type}; charset=utf-8"}


# The most frequent Chinese characters, Simplified and Traditional. A legacy body decoded with
# the right codec is full of them; decoded with the wrong one it is full of rare characters.
_COMMON_HANZI = frozenset(
    "的一是不了在人有我他这個个们們中来來上大为為和国國地到以说說时時要就出会會可也你对對生能而子那得"
    "于於着著下自之年过過发發后後作里裡用道行所然家种種事成方多经經么麼去法学學如都同现現当當没沒动動面"
    "起看定天分还還进進好小部其些主样樣理心本前开開但因只从從想实實美日新市产產业業企公司与與将將记記者"
)
_CJK_GUESSES = ("gb18030", "big5")
_UTF8_NAMES = frozenset({"utf-8", "utf8", "utf_8", "u8"})


def _mislabelled_chinese(body: bytes, headers: dict[str, str]) -> tuple[bytes, dict[str, str], str | None]:
    """Read a body that is not clean UTF-8 as written, whatever its labels say.

    Two faults are repaired here, and the body goes on as UTF-8:

    - UTF-8 with a few invalid bytes (one 0xFF in a Chinese feed). A strict decoder rejects the
      whole body and feedparser then reads all of it as windows-1252: every title mojibake. When
      the body is labelled UTF-8 (or not at all) and its valid multi-byte characters outnumber
      its invalid bytes 20 to 1, the invalid bytes alone become U+FFFD.
    - GBK or Big5 labelled wrongly (UTF-8 or ISO-8859-1 by default, GB2312 for Big5 bytes) or
      not at all. Each declared encoding and GB18030 and Big5 are tried; the decoding richest in
      common Chinese characters wins if at least a fifth of its non-ASCII characters are such
      and at most one character in a hundred is undecodable (those become U+FFFD). A Latin body
      never gets that far.
    """
    if body.isascii():
        return body, headers, None
    try:
        body.decode("utf-8")
        return body, headers, None
    except UnicodeDecodeError:
        pass
    names = [m.group(1).lower() for m in [_CHARSET.search(headers.get("content-type", ""))] if m]
    declared = _DECLARED.match(body[:1024])
    if declared:
        names.append(declared.group(1).decode("ascii").lower())
    unmarked = _DECLARATION.sub(b"", body, count=1)
    if all(name in _UTF8_NAMES for name in names):
        text, bad, wide = _decode(unmarked, "utf-8")
        if len(wide) >= 20 * bad:
            return *_as_utf8(text, headers), _replaced(bad, "UTF-8") if bad else None
    best_text, best_score, best_codec, best_bad = "", 0.0, "", 0
    for codec in dict.fromkeys([*names, *_CJK_GUESSES]):  # declared first: they win ties
        if codec in _UTF8_NAMES:
            continue
        try:
            text, bad, wide = _decode(unmarked, codec)
        except LookupError:
            continue
        common = sum(c in _COMMON_HANZI for c in wide)
        if bad * 100 > max(len(wide), 100) or common < 3:
            continue
        score = common / len(wide)
        if score > best_score:
            best_text, best_score, best_codec, best_bad = text, score, codec, bad
    if best_score < 0.2:
        return body, headers, None
    return *_as_utf8(best_text, headers), _replaced(best_bad, best_codec.upper()) if best_bad else None


def _decode(body: bytes, codec: str) -> tuple[str, int, list[str]]:
    """The text, how many undecodable bytes became U+FFFD, and its other non-ASCII characters."""
    text = body.decode(codec, errors="replace")
    bad = text.count("\ufffd") - body.count("\ufffd".encode())  # a U+FFFD written in UTF-8 is no fault
    return text, max(bad, 0), [c for c in text if ord(c) > 127 and c != "\ufffd"]


def _replaced(count: int, codec: str) -> str:
    return f"{count} byte{'s' * (count != 1)} not valid {codec} replaced; the rest of the feed is intact"


def _as_utf8(text: str, headers: dict[str, str]) -> tuple[bytes, dict[str, str]]:
    media_type = headers.get("content-type", "").split(";", 1)[0].strip() or "application/xml"
    utf8 = ('<?xml version="1.0" encoding="utf-8"?>\n' + text.lstrip()).encode("utf-8")
    return utf8, {**headers, "content-type": f"{media_type}; charset=utf-8"}


@functools.lru_cache(maxsize=64)
def _ascii_transparent(encoding: str) -> bool:
    """Whether markup written in this encoding is the same bytes as in ASCII."""
    try:
        return _ASCII_PROBE.encode(encoding) == _ASCII_PROBE.encode("ascii")
    except LookupError:
        return True  # an encoding Python does not know is one feedparser cannot decode either
    except UnicodeError:
        return False


def _entry(e: Any) -> Entry:
    content = e.get("content")
    html = content[0].get("value", "") if content else e.get("summary", "")
    published = e.get("published_parsed") or e.get("updated_parsed")
    return Entry(
        title=_text(e.get("title")),
        link=_text(e.get("link")) or None,
        guid=_text(e.get("id")) or None,
        content_html=_text(html),
        published=utc_from_struct(published),
        author=_text(e.get("author")) or None,
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


