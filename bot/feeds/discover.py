"""Find a site's feeds from its HTML page (``<link rel="alternate" type="application/rss+xml">``). Pure: an HTML
body and the URL it came from in, the feed links out (``bot.app.feeds.find_feeds`` fetches the page; a poll that got
a page instead of a feed names the feeds it links to: ``bot.feeds.parse``).
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import urljoin, urlsplit

from lxml import etree

from bot.feeds.per_thread import PerThread

# Feed types browsers and feed readers look for; application/rdf+xml is RSS 1.0.
FEED_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json",
                        "application/rdf+xml", "application/x-rss+xml", "application/x-atom+xml"})
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_HEAD = 512_000  # feed links sit in <head>: no need to parse a page's whole body
_PARSER = PerThread(lambda: etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True))


def discover_feeds(html: bytes, base_url: str, content_type: str = "") -> list[tuple[str, str]]:
    """The (absolute URL, title) of every feed the page links to, in page order, without repeats.

    Relative links resolve against ``<base href>`` when the page has one, else ``base_url``; only
    http(s) links are kept. The title is the link's ``title`` attribute ("" when it has none). The page is read in
    the charset its ``content_type`` header names, where it names one (a page without a <meta charset> read "科技" as
    "ç§æ", and the feed got that name).
    """
    charset = _CHARSET.search(content_type)
    page: bytes | str = html[:_HEAD]
    with contextlib.suppress(LookupError, UnicodeDecodeError):  # (else the page's own <meta charset> decides)
        # the header's charset; without one, UTF-8 when the bytes are UTF-8 (lxml's default reads them as Latin-1)
        page = html[:_HEAD].decode(charset[1], errors="replace") if charset else html[:_HEAD].decode("utf-8")
    try:
        root = etree.fromstring(page, _PARSER())
    except (etree.XMLSyntaxError, ValueError):
        return []
    if root is None:
        return []
    base = base_url
    for element in root.iter("base"):
        href = (element.get("href") or "").strip()
        if href:
            base = _join(base_url, href) or base_url
        break
    found: dict[str, str] = {}
    for element in root.iter("link", "a"):
        rel = {token.lower() for token in (element.get("rel") or "").split()}
        media_type = (element.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" not in rel or media_type not in FEED_TYPES:
            continue
        url = _join(base, (element.get("href") or "").strip())
        if url and url not in found:
            found[url] = " ".join((element.get("title") or "").split())
    return list(found.items())


def _join(base: str, href: str) -> str | None:
    if not href:
        return None
    try:
        url = urljoin(base, href)
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return url.split("#", 1)[0] if scheme in ("http", "https") else None
