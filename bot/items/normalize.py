"""Normalize raw feed entries into Items: identity, canonical URL, clean title, lede, language. Pure.

``normalize_feed`` reads one feed's entries together, because one rule of identity needs them
all (DESIGN.md): a link that several items of the feed share while their GUIDs differ is a
homepage link, not a story's address, so those items are known by their GUIDs instead. Every
other item keeps exactly the identity ``normalize`` gives it alone, so stored items stay seen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.feeds.model import Entry, describe_error, skip_reason
from bot.items.canonical import canonical_url, former_canonical_url, identity_of
from bot.items.lede import cut, extract_lede, html_to_text, strip_bidi


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
    # The identity its link gave before a parameter the link carries joined the tracking list (canonical.py), when
    # that differs: an item stored under it before is the same item (Pipeline looks it up).
    former_identity: str | None = None


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[^\W\d_\u3400-\u9fff\uf900-\ufaff]+")  # runs of letters, accented ones too
# English function words (headlines use few: "Huge demonstrations bring down Nepal's government"), and those of other
# languages written in Latin script that are not English words.
_EN_STOPWORDS = frozenset(
    ("the", "a", "an", "of", "to", "in", "and", "for", "on", "is", "are", "was", "were", "with", "by", "at",
     "from", "as", "that", "this", "it", "be", "has", "have", "will", "says", "said", "its", "their", "after",
     "how", "why", "what", "when", "who", "which", "your", "you", "our", "we", "they", "he", "she", "his", "her",
     "not", "but", "or", "can", "into", "over", "about", "than", "more", "new", "up", "out", "does", "do", "been",
     "would", "could", "should", "may", "before", "amid", "against", "under", "between", "just", "now")
)
_OTHER_STOPWORDS = frozenset(
    ("le", "la", "les", "des", "du", "et", "est", "une", "pour", "dans", "sur", "avec", "aux", "qui", "pas",
     "ces", "sont", "nous", "vous", "der", "das", "und", "ist", "nicht", "ein", "eine", "mit", "von", "für",
     "auf", "den", "dem", "sich", "auch", "wie", "bei", "el", "los", "las", "del", "y", "que", "para", "con",
     "por", "una", "más", "como", "sus", "um", "uma", "não", "em", "é", "dos", "na", "nas", "nos", "ao",
     "sua", "seu", "este", "esta", "il", "gli", "della", "di", "che", "per", "non", "sono", "nel", "het",
     "een", "van", "niet", "zijn", "voor", "ook")
)


def language_of(text: str, declared: str | None = None) -> str:
    """A cheap language tag: "zh" when Han characters dominate, "en" for English, else "other".

    Latin text is English when it has more English function words than those of French, German, Spanish,
    Portuguese, Italian or Dutch (as many, when no letter is beyond ASCII), and one at least. Text with none of
    either (a headline of names: "Fiesta Online", "Pavlov VR") follows the language the feed declares
    (``declared``: RSS ``<language>``, Atom ``xml:lang``); without one, it is English unless a letter is beyond ASCII.
    """
    cjk = len(_CJK.findall(text))
    words = _LATIN_WORD.findall(text)
    if cjk and cjk >= len(words):
        return "zh"
    if not words:
        return "other"
    lower = [w.lower() for w in words]
    english = sum(1 for w in lower if w in _EN_STOPWORDS)
    other = sum(1 for w in lower if w in _OTHER_STOPWORDS)
    if other > english or (other == english and other and not all(w.isascii() for w in words)):
        return "other"
    if english:
        return "en"
    if declared and declared.strip():
        return "en" if declared.strip().lower()[:2] == "en" else "other"
    return "en" if all(w.isascii() for w in words) else "other"


# How far ahead of our clock a feed may date an item (clocks drift; a feed's own clock more): past it, the item is
# dated when it was first seen instead.
FUTURE_SKEW = timedelta(minutes=15)
# Before any news feed (RSS is of 1999): a date this early is a feed's bug (the Unix epoch, 1970-01-01, for "no
# date"), alerted as "published 1970-01-01 00:00" and sorted last in every digest; dated when first seen instead.
EARLIEST = datetime(1995, 1, 1, tzinfo=UTC)


def as_of(items: Sequence[Item], now: datetime) -> list[Item]:
    """``items``, those dated after ``now`` (past FUTURE_SKEW), or before EARLIEST, dated ``now``: a feed that stamps
    local time as UTC dates its news hours ahead, and one item dated 2100 would head every story list and digest,
    alerted as "published 2100-01-01", until pruned."""
    latest = now + FUTURE_SKEW
    return [replace(i, published=now) if i.published is not None and not EARLIEST <= i.published <= latest else i
            for i in items]


@dataclass(frozen=True, slots=True)
class NormalizedFeed:
    """One feed's items, the entries left out (one reason each), and the links found shared."""

    items: tuple[Item, ...]
    skipped: tuple[str, ...] = ()
    shared_links: frozenset[str] = frozenset()  # canonical URLs that are no identity in this feed


def normalize_feed(entries: Sequence[Entry], *, feed_url: str, feed_title: str = "", feed_link: str | None = None,
                   known_shared: Iterable[str] = (), feed_language: str | None = None) -> NormalizedFeed:
    """Normalize every entry of one feed; an entry that cannot be normalized is skipped, not fatal.

    A link is no identity (its items fall back to their GUIDs) when items of this feed share it
    under different GUIDs, when it is the feed's own home page (``feed_link``) or a site's root,
    or when it is in ``known_shared`` (shared links a caller remembers from earlier polls, so that
    a homepage link seen alone later still does not merge two stories). The last three apply only
    to an item whose GUID says more than its link. ``feed_language`` is the language the feed declares
    (``language_of`` reads it where an item's words do not tell).
    """
    readable: list[tuple[int, Entry, str | None]] = []
    skipped: dict[int, str] = {}
    for position, entry in enumerate(entries, 1):
        try:
            readable.append((position, entry, _identity_link(entry)))
        except ValueError as e:
            skipped[position] = skip_reason(position, entry.title, describe_error(e))

    guids: defaultdict[str, set[str]] = defaultdict(set)
    for _, entry, link in readable:
        if link is not None and entry.guid and entry.guid.strip():
            guids[link].add(entry.guid.strip())
    shared = frozenset(link for link, seen in guids.items() if len(seen) > 1)
    homepage = set(known_shared)
    if feed_link:
        homepage.add(_canonical_or_none(feed_link) or "")

    items: list[Item] = []
    for position, entry, link in readable:
        guid = entry.guid.strip() if entry.guid else ""
        no_identity = link is not None and (link in shared or bool(
            guid and guid != (entry.link or "").strip() and (link in homepage or _is_site_root(link))))
        try:
            items.append(_item(entry, feed_url, feed_title, link, None if no_identity else link, feed_language))
        except (ValueError, TypeError) as e:  # input nobody foresaw: this entry only
            skipped[position] = skip_reason(position, entry.title, describe_error(e))
    return NormalizedFeed(items=tuple(items), skipped=tuple(skipped[p] for p in sorted(skipped)),
                          shared_links=shared)


def normalize(entry: Entry, *, feed_url: str, feed_title: str = "") -> Item:
    """Turn one raw entry into an Item, judged alone (``normalize_feed`` judges a feed's entries together)."""
    link = entry.link.strip() if entry.link else ""
    web = bool(link) and urlsplit(link).scheme.lower() in ("http", "https")
    url = canonical_url(link) if link else None
    return _item(entry, feed_url, feed_title, url, url if web else None)


# A headline runs to 100-odd characters; one of 200,000 (a feed's body in its title) was stored, shown and sent whole.
TITLE_LIMIT = 300


def _item(entry: Entry, feed_url: str, feed_title: str, url: str | None, identity_url: str | None,
          feed_language: str | None = None) -> Item:
    """The Item of ``entry``, its link already canonical (``url``) and judged (``identity_url``)."""
    title = html_to_text(entry.title) if entry.title else ""
    lede = extract_lede(entry.content_html)
    link = entry.link.strip() if entry.link else None
    if url is None and link:
        url = canonical_url(link)  # a link that is no web URL ("urn:...") comes back as written
    shown = ""
    if not title:  # an untitled item is called by its opening words (all of them, when that is the whole lede)
        title = lede[:80] if lede else strip_bidi(url or entry.guid or "(untitled)")  # (its identity, as always)
        shown = (lede if len(lede) <= 80 else cut(lede, 80)) if lede else ""
        lede = "" if shown == lede else lede  # (not said twice)
    former_url = former_canonical_url(link) if identity_url and link else None
    return Item(
        identity=identity_of(canonical=identity_url, guid=entry.guid, feed_url=feed_url, title=title),
        former_identity=former_url and identity_of(canonical=former_url, guid=None, feed_url=feed_url, title=title),
        url=url,
        link=link,
        guid=entry.guid,
        title=shown or cut(title, TITLE_LIMIT),  # (the identity above is of the whole title, as it always was)
        lede=lede,
        language=language_of(f"{title} {lede}", feed_language),
        published=entry.published,
        feed_url=feed_url,
        feed_title=strip_bidi(feed_title),
    )


def _identity_link(entry: Entry) -> str | None:
    """The canonical URL that would be the entry's identity, or None; ValueError for a broken link."""
    link = entry.link.strip() if entry.link else ""
    if not link:
        return None
    try:
        scheme = urlsplit(link).scheme.lower()
        if scheme not in ("http", "https"):
            return None
        return canonical_url(link)
    except ValueError as e:  # "http://[::1": urllib refuses it, and so would every later stage
        raise ValueError(f"link {link[:100]!r} is not a valid URL ({describe_error(e)})") from e


def _canonical_or_none(link: str) -> str | None:
    try:
        return canonical_url(link) if urlsplit(link.strip()).scheme.lower() in ("http", "https") else None
    except ValueError:
        return None


def _is_site_root(canonical: str) -> bool:
    parts = urlsplit(canonical)
    return parts.path in ("", "/") and not parts.query
