"""Who published a feed, in the words people use for the outlet: the name alerts and digests give a report. Pure.

A story's alert says where else it ran ("also in: NHK, Reuters +2"), and digests list each story's outlets. A feed's
own title is often no name for its publisher: a section ("World", "Top Stories", "RSS"), a section with the name
("World – TIME", "NYT > World News", "NPR Topics: World"), a name with a tagline ("Al Jazeera – Breaking News, World
News and Video from Al Jazeera"), or a search page's title ("NDTV News Search Records Found 1000"). ``outlet_name``
takes the feed's title and its site's address and keeps the part that names the publisher:

- the title is split at its separators (" – ", " | ", " > ", ": " ...); parts made only of section words ("World
  News", "All stories", "Category World") and taglines (a comma: "Breaking news, politics, crime") name nobody;
- the part that spells the site's name ("TIME" for time.com, "Al-Monitor" for al-monitor.com, "NYT" for
  nytimes.com) wins; else, of a name and a section, the name; a title of three parts or more is kept whole ("Web •
  Tech • Audio"), and so is a title of one part unless it is only section words;
- a long title with no separator whose first word is the site's name ("NDTV News Search Records Found 1000" on
  ndtv.com) is that word;
- a title with nothing left (only section words, or none) is the site's host ("cbsnews.com").

A name set in the config (``[[feeds]] name``) always wins over this (the pipeline's choice).
"""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from bot.items.lede import cut, strip_bidi

# A separator with a space on at least one side ("Locati|Fale" is one name): " - ", " | ", "| ", " > ", " • ", ": ".
_SEPARATORS = re.compile(r"\s+[-–—|>•·»]\s*|\s*[|>•·»–—]\s+|:\s+")
_WORD = re.compile(r"\w+")
# What a feed adds to its publisher's name: "TheWeek feed", "Gatsby Starter Blog RSS Feed", "NPR Topics".
_TRAILING_FEED = re.compile(r"(?:\s+(?:rss|atom|feeds?|topics))+$", re.IGNORECASE)
# Words of section titles: a part made only of them names no publisher ("World News", "All stories", "Category World").
SECTION_WORDS = frozenset({
    "all", "and", "articles", "blog", "breaking", "business", "category", "channel", "culture", "economy", "en",
    "english", "entertainment", "feed", "feeds", "front", "headlines", "home", "index", "international", "latest",
    "main", "more", "most", "news", "of", "opinion", "page", "politics", "popular", "posts", "recent", "rss", "science",
    "section", "sport", "sports", "stories", "story", "technology", "tech", "the", "top", "topics", "updates", "video",
    "videos", "world", "新闻", "要闻", "最新", "国际", "首页", "滚动", "即时",
    # regions: The Economist's "Asia" feed is a section of economist.com ("Asia Times" keeps its name)
    "africa", "americas", "asia", "east", "europe", "middle", "oceania", "pacific", "region", "regions",
    "亚洲", "欧洲", "非洲", "美洲", "中东", "亚太",
    "财经", "科技", "体育", "娱乐",  # (finance, technology, sport, entertainment)
})  # (not "us", "daily", "global", "china": U.S. News, The Daily, Global News, China Daily are outlets)
_SUBDOMAINS = frozenset({"www", "rss", "feeds", "feed", "m", "news", "rssfeeds", "feedx", "api"})
_SECOND_LEVEL = frozenset({"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or"})


# Separators a site's title template leaves at an end when a part is empty ("Rest of World - ", "| Example").
_DANGLING = re.compile(r"^[\s\-–—|:·•»]+|[\s\-–—|:·•»]+$")


FEED_NAME_LIMIT = 120  # characters: "NYT > World News" runs to 20; one feed's title was 15,000 (it named it everywhere)


def feed_name(title: str) -> str:
    """A feed's own title as people read it: bidi controls removed (like the items' text), whitespace
    collapsed, no separator left dangling at either end, and cut at a word near ``FEED_NAME_LIMIT``."""
    return cut(_DANGLING.sub("", " ".join(strip_bidi(title[:20 * FEED_NAME_LIMIT]).split())), FEED_NAME_LIMIT)


def outlet_name(title: str, link: str | None) -> str:
    """The publisher's name for a feed of this ``title`` whose site is at ``link`` (either may be empty)."""
    title = feed_name(html.unescape(title))
    host = _host(link)
    stems = _stems(host)
    parts = [p for p in (feed_name(p) for p in _SEPARATORS.split(title)) if p]
    if len(parts) <= 1:
        first = title.split(" ", 1)[0]
        if len(_WORD.findall(title)) >= 5 and _squash(first) in stems:
            return first  # "NDTV News Search Records Found 1000" on ndtv.com
        if title and not _sectional(title):
            return _TRAILING_FEED.sub("", title) or title  # "TheWeek feed"
        return host or title
    for part in parts:
        if _spells(part, stems):
            return _TRAILING_FEED.sub("", part) or part
    if len(parts) > 2:
        return title  # "Web • Tech • Audio": a list, not a name and a section
    kept = [p for p in parts if not _sectional(p) and "," not in p]  # (a comma: a tagline, "Breaking news, politics")
    return (_TRAILING_FEED.sub("", kept[0]) or kept[0]) if kept else host or title


def _sectional(part: str) -> bool:
    words = _WORD.findall(part.casefold())
    return bool(words) and all(w in SECTION_WORDS or w.isdigit() for w in words)


def _host(link: str | None) -> str:
    """The site's host without "www." (no host for an address on this machine: tests and local files)."""
    try:
        host = (urlsplit(link).hostname or "") if link else ""
    except ValueError:
        return ""
    if not host or host == "localhost" or host.replace(".", "").isdigit() or ":" in host:
        return ""
    return host.removeprefix("www.")


def _stems(host: str) -> frozenset[str]:
    """The names in a host: {"nytimes"} for rss.nytimes.com, {"bbc"} for feeds.bbc.co.uk, {"ardour", "discourse"} for
    discourse.ardour.org, {"vincedebian", "blogspot"} for vince-debian.blogspot.com."""
    labels = [label for label in host.split(".") if label]
    if len(labels) < 2:
        return frozenset()
    country = len(labels) >= 3 and labels[-2] in _SECOND_LEVEL and len(labels[-1]) == 2  # bbc.co.uk
    labels = labels[:-2] if country else labels[:-1]
    return frozenset(_squash(label) for label in labels if label not in _SUBDOMAINS) - {""}


def _squash(text: str) -> str:
    return "".join(_WORD.findall(text.casefold())).replace("_", "")


def _spells(part: str, stems: frozenset[str]) -> bool:
    """Whether ``part`` spells a name of the site: "CBSNews.com" or "Al-Monitor" for its stem, or the start of it
    ("NYT" for nytimes)."""
    squashed = _squash(part)
    return bool(squashed) and any(s in squashed or (len(squashed) >= 3 and s.startswith(squashed)) for s in stems)
