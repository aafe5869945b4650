"""parse | normalize for one feed body: the feed's Items and what could not be read. Pure (CPU work:
the pipeline runs it in a worker thread).

The one promise here: a body yields a ReadFeed or raises ParseError naming the feed, never another
exception. An entry that cannot be read is skipped and named in ``skipped``; the others go on.

A body is read for at most ``MAX_ITEMS`` items: the newest (undated ones count as the newest, and among
equals the feed's own order), with a warning saying how many it listed. Real feeds list tens, a few
hundred at most; a body of 40,000 items (10 MB holds that many) took 4.5 minutes and 550 MB to poll in one
store transaction that held every other feed's ingest and every send, and queued 40,000 alerts for each
subscribed chat.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from bot.errors import ParseError
from bot.feeds.model import Entry, describe_error
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


MAX_ITEMS = 1_000  # items read from one feed body (see the module docstring)


def read_items(body: bytes, *, url: str, headers: Mapping[str, str] | None = None, label: str = "",
               known_shared: Iterable[str] = ()) -> ReadFeed:
    """The Items of one feed body; ParseError (only) when the body holds no feed."""
    parsed = parse_feed(body, url=url, headers=headers)
    if len(parsed.entries) > MAX_ITEMS:
        too_many = (f"the feed lists {len(parsed.entries):,} items: only the newest {MAX_ITEMS:,} are read "
                    "(no feed needs more; a feed that lists its whole archive should be asked for its news feed)")
        parsed = replace(parsed, entries=newest(parsed.entries, MAX_ITEMS),
                         warning=f"{parsed.warning}; {too_many}" if parsed.warning else too_many)
    title = feed_name(parsed.title)
    outlet = outlet_name(parsed.title, parsed.link or url)
    try:
        normalized = normalize_feed(parsed.entries, feed_url=url, feed_title=label or outlet,
                                    feed_link=parsed.link, known_shared=known_shared,
                                    feed_language=parsed.language)
    except Exception as e:  # per-entry faults are skipped inside; this is for the unforeseen
        raise ParseError(url, f"could not read the feed's items ({type(e).__name__}: {describe_error(e)})") from e
    return ReadFeed(items=normalized.items, title=title, outlet=outlet, warning=parsed.warning,
                    skipped=parsed.skipped + normalized.skipped, shared_links=normalized.shared_links,
                    ttl=parsed.ttl, update_period=parsed.update_period)



def newest(entries: Sequence[Entry], limit: int) -> tuple[Entry, ...]:
    """The ``limit`` newest of ``entries`` in the feed's order: undated ones count as the newest (a feed that dates
    nothing lists its news first), dated ones by date, ties in the feed's order."""
    ranked = sorted(range(len(entries)), key=lambda i: (entries[i].published is not None,
                                                        -(entries[i].published or _EPOCH).timestamp(), i))
    return tuple(entries[i] for i in sorted(ranked[:limit]))


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
