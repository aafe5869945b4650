"""parse | normalize for one feed body: the feed's Items and what could not be read. Pure (CPU work:
the pipeline runs it in a worker thread).

The one promise here: a body yields a ReadFeed or raises ParseError naming the feed, never another
exception. An entry that cannot be read is skipped and named in ``skipped``; the others go on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from bot.errors import ParseError
from bot.feeds.model import describe_error
from bot.feeds.parse import parse_feed
from bot.items.normalize import Item, normalize_feed
from bot.items.outlet import feed_name, outlet_name


@dataclass(frozen=True, slots=True)
class ReadFeed:
    """What one feed body yielded."""

    items: tuple[Item, ...]
    title: str  # the feed's own title, as feed_name leaves it
    outlet: str = ""  # who publishes it (outlet.outlet_name): what alerts, digests and stories call the feed
    warning: str | None = None  # the feed was malformed but still readable
    skipped: tuple[str, ...] = ()  # one line per entry left out: "item 3 ('Title'): why"
    shared_links: frozenset[str] = frozenset()  # links that are no identity here (see normalize_feed)
    ttl: float | None = None  # seconds: RSS <ttl> (bot.app.polling never polls more often)
    update_period: float | None = None  # seconds: sy:updatePeriod / sy:updateFrequency


def read_items(body: bytes, *, url: str, headers: Mapping[str, str] | None = None, label: str = "",
               known_shared: Iterable[str] = ()) -> ReadFeed:
    """The Items of one feed body; ParseError (only) when the body holds no feed."""
    parsed = parse_feed(body, url=url, headers=headers)
    title = feed_name(parsed.title)
    outlet = outlet_name(parsed.title, parsed.link or url)
    try:
        normalized = normalize_feed(parsed.entries, feed_url=url, feed_title=label or outlet,
                                    feed_link=parsed.link, known_shared=known_shared)
    except Exception as e:  # per-entry faults are skipped inside; this is for the unforeseen
        raise ParseError(url, f"could not read the feed's items ({type(e).__name__}: {describe_error(e)})") from e
    return ReadFeed(items=normalized.items, title=title, outlet=outlet, warning=parsed.warning,
                    skipped=parsed.skipped + normalized.skipped, shared_links=normalized.shared_links,
                    ttl=parsed.ttl, update_period=parsed.update_period)

