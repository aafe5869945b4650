"""Text for readers: escaping, one-line cleaning, cutting, safe links, Telegram's lengths. Pure.

The one home of these helpers: every formatter (Telegram alerts and digests, email, the console)
uses them, so they cannot disagree.

- ``esc``: HTML escaping of feed text (quotes too, so the result is safe in attributes).
- ``one_line``: no control characters, no line breaks, no runs of spaces (feed text in headers).
- ``cut``: at most N characters (UTF-16 units, as Telegram counts), at a word when one is near.
- ``safe_link``: only http(s) links of sane length without spaces or control characters, tracking parameters
  dropped.
- ``readable_link``: a link for plain text (the console, the CLI), its non-ASCII escapes decoded as browsers show them,
  tracking parameters dropped.
"""

from __future__ import annotations

import html
import re

from bot.items.canonical import without_tracking

MAX_LINK = 2048  # longer hrefs are dropped: no news link needs more
ELLIPSIS = "…"
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_SPACES = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]*>")
_ESCAPED_BYTES = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")  # a run of percent-escaped bytes above 127


def esc(text: object) -> str:
    """``text`` escaped for HTML bodies and attributes."""
    return html.escape(str(text), quote=True)


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def rendered_len(markup: str) -> int:
    """UTF-16 length of what a reader sees of HTML: tags removed, entities decoded."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def strip_tags(markup: str) -> str:
    """The text of an HTML line (for a line too long to keep its markup)."""
    return html.unescape(_TAG.sub("", markup))


def one_line(text: str, limit: int | None = None) -> str:
    """Text with every control character and run of whitespace turned into one space; cut to ``limit``."""
    flat = _SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()
    return cut(flat, limit) if limit is not None else flat


def cut(text: str, limit: int) -> str:
    """``text`` on one line in at most ``limit`` UTF-16 units, ending in '…' when cut (at a space when one is near)."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    budget, units, end = limit - 1, 0, 0
    for i, c in enumerate(text):
        units += 2 if ord(c) > 0xFFFF else 1
        if units > budget:
            end = i
            break
    head = text[:end]
    space = head.rfind(" ")
    if space >= end * 0.8:  # a word boundary close to the cut reads better than half a word
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def safe_link(link: str | None) -> str | None:
    """The link when it is fit to offer a reader: http(s), sane length, no spaces or control characters; without its
    tracking parameters (utm_source=rss and the like: canonical.py)."""
    if not link:
        return None
    link = link.strip()
    if len(link) > MAX_LINK or not link.lower().startswith(("http://", "https://")):
        return None
    if any(c.isspace() or ord(c) < 32 or 0x7F <= ord(c) <= 0x9F for c in link):
        return None
    return without_tracking(link)


def readable_link(link: str) -> str:
    """``link`` as people read it in plain text: each run of percent-escaped UTF-8 decoded, as a browser's address bar
    shows it ("https://www.rfi.fr/cn/中国/20240327-习近平…" for "…/cn/%E4%B8%AD%E5%9B%BD/…"). ASCII escapes stay
    ("%2F" is not "/", "%20" is not a space), and so does a run that is not UTF-8 or would show a space, a control or a
    direction character (a feed's link is its own text). Markup keeps the link as it is, in its href. Tracking
    parameters are dropped, as ``safe_link`` drops them."""

    def decoded(m: re.Match[str]) -> str:
        try:
            text = bytes.fromhex(m.group().replace("%", "")).decode("utf-8")
        except UnicodeDecodeError:
            return m.group()
        return text if text.isprintable() and not any(c.isspace() for c in text) else m.group()

    return _ESCAPED_BYTES.sub(decoded, without_tracking(link))
