"""Normalize a raw feed entry into an Item: identity, canonical URL, clean title, lede, language. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot.feeds.parse import Entry
from bot.items.canonical import canonical_url, identity
from bot.items.lede import extract_lede, html_to_text


@dataclass(frozen=True, slots=True)
class Item:
    """One story as watchbot sees it."""

    identity: str  # versioned hash: canonical URL, else GUID, else feed + title
    url: str | None  # canonical URL
    link: str | None  # the link as the feed gave it
    guid: str | None
    title: str
    lede: str
    language: str  # "zh", "en" or "other"
    published: datetime | None  # UTC
    feed_url: str
    feed_title: str = ""


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]+")
_EN_STOPWORDS = frozenset(
    ("the", "a", "an", "of", "to", "in", "and", "for", "on", "is", "are", "was", "were", "with", "by", "at",
     "from", "as", "that", "this", "it", "be", "has", "have", "will", "says", "said", "its", "their", "after")
)


def language_of(text: str) -> str:
    """A cheap language tag: "zh" when Han characters dominate, "en" for English prose, else "other"."""
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(text)
    if cjk and cjk >= len(words):
        return "zh"
    if not words:
        return "other"
    stop = sum(1 for w in words if w.lower() in _EN_STOPWORDS)
    if stop >= 2 or (len(words) <= 8 and stop >= 1):
        return "en"
    return "other"


def normalize(entry: Entry, *, feed_url: str, feed_title: str = "") -> Item:
    """Turn a raw entry into an Item."""
    title = html_to_text(entry.title) if entry.title else ""
    lede = extract_lede(entry.content_html)
    link = entry.link.strip() if entry.link else None
    url = canonical_url(link) if link else None
    if not title:
        title = lede[:80] if lede else (url or entry.guid or "(untitled)")
    return Item(
        identity=identity(link=link, guid=entry.guid, feed_url=feed_url, title=title),
        url=url,
        link=link,
        guid=entry.guid,
        title=title,
        lede=lede,
        language=language_of(f"{title} {lede}"),
        published=entry.published,
        feed_url=feed_url,
        feed_title=feed_title,
    )
