"""Managing feeds outside the config: add (with feed discovery: ``find_feeds``), remove, pause, resume, OPML import
and export; the feed list a page at a time (``feed_list``), and what a poll by hand polls (``to_poll``). Use-case:
store, and the network for discovery. The web, `watchbot feeds ...` and `watchbot poll` call it.

Feeds from the config's ``[[feeds]]`` and feeds added here sit side by side in the store (``origin``
'config' or 'store'). Those added here survive restarts and are polled like the others; a config
feed can be paused here but not removed: its entry in the config file would bring it back, so the
answer names the file to edit.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config import BUILT_IN, Config
from bot.errors import ConfigError, ParseError, WatchbotError
from bot.feeds.discover import discover_feeds
from bot.feeds.fetch import Fetcher, FetchRequest
from bot.feeds.opml import parse_opml, render_opml
from bot.feeds.parse import parse_feed
from bot.feeds.urls import URL_HINT, feed_url_problem
from bot.items.outlet import outlet_name
from bot.markup import one_line
from bot.store.protocols import FeedState, Store


async def find_feeds(fetcher: Fetcher, url: str) -> list[tuple[str, str]]:
    """The feeds at ``url``: itself when it is a feed, else those its HTML page links to.

    Raises FetchError when the page cannot be fetched, ParseError when it is neither a feed
    nor a page that links to one.
    """
    fetched = await fetcher.fetch(FetchRequest(url))
    body, headers = fetched.body, dict(fetched.headers)
    try:
        parsed = await asyncio.to_thread(parse_feed, body, url=fetched.url, headers=headers)
    except ParseError as not_a_feed:
        feeds = discover_feeds(body, fetched.url, headers.get("content-type", ""))
        if feeds:
            return feeds
        if "HTML page" not in not_a_feed.reason:
            raise
        raise ParseError(url, "a web page that offers no feed (RSS, Atom or JSON Feed): look on the site for its "
                              "feed's own address (often ending in /feed, /rss or .xml)") from not_a_feed
    return [(url, parsed.title)]


NAME_MAX = 120  # characters of a feed's name: a 300-character one took over the list and every message

class FeedChangeError(WatchbotError):
    """A feed change that cannot be made; str() says why and what to do instead."""


@dataclass(frozen=True, slots=True)
class Added:
    """What ``add`` did: the feed it added, or the feeds a site links to for the user to choose from."""

    feed: FeedState | None = None
    choices: tuple[tuple[str, str], ...] = ()  # (url, title) when the page links to several feeds
    already: bool = False  # the feed was there before


@dataclass(frozen=True, slots=True)
class Imported:
    added: tuple[str, ...]
    skipped: tuple[str, ...]  # already there
    refused: tuple[str, ...] = ()  # "name (url): why", for entries that are no http(s) feed

    def line(self) -> str:
        """What an import did, in one line (the CLI and the web say it alike)."""
        n, there = len(self.added), len(self.skipped)
        text = f"imported {n} feed{'s' * (n != 1)}; {there} {'was' if there == 1 else 'were'} already there"
        if self.refused:
            text += f"; {len(self.refused)} left out: " + "; ".join(self.refused[:5]) + (
                f"; and {len(self.refused) - 5} more" if len(self.refused) > 5 else "")
        return text


HEALTHS = ("failing", "unreached", "paused", "new", "ok")  # FeedState.health, the ones that need a look first
PER_PAGE = 100  # feeds a page of the list shows: 20,000 feeds on one page were 18 MB of HTML


@dataclass(frozen=True, slots=True)
class FeedList:
    """One page of the feed list, filtered: what the web's feeds page shows."""

    feeds: tuple[FeedState, ...]  # this page's
    matching: int  # feeds the filter lets through, on every page
    counts: dict[str, int]  # health -> feeds (of all feeds, whatever the filter)
    page: int  # 1-based, within 1..pages
    pages: int

    @property
    def first(self) -> int:
        """The 1-based position of this page's first feed among those matching."""
        return (self.page - 1) * PER_PAGE + 1 if self.feeds else 0


def feed_list(feeds: list[FeedState], *, text: str = "", health: str = "", page: int = 1) -> FeedList:
    """``feeds`` counted by health, filtered (``text`` in the name or URL, any case; ``health`` one of HEALTHS or
    "" for all), in the order of their names and cut to page ``page`` (past the last: the last). Pure."""
    counts = {h: 0 for h in HEALTHS}
    for f in feeds:
        counts[f.health] += 1
    needle = text.strip().casefold()
    chosen = sorted((f for f in feeds if (not health or f.health == health)
                     and (not needle or needle in f.label.casefold() or needle in f.url.casefold())), key=by_name)
    pages = max(1, -(-len(chosen) // PER_PAGE))
    page = min(max(page, 1), pages)
    return FeedList(tuple(chosen[(page - 1) * PER_PAGE: page * PER_PAGE]), len(chosen), counts, page, pages)


def by_name(feed: FeedState) -> tuple[list[str | int], str]:
    """By name, as people read them: "Outlet 9" before "Outlet 10"."""
    return [int(p) if p.isdigit() else p for p in _DIGITS.split(feed.label.casefold())], feed.url


_DIGITS = re.compile(r"(\d+)")


class FeedManager:
    """Feed changes over one store; ``fetcher`` is used only to find a site's feeds."""

    def __init__(self, config: Config, store: Store, fetcher: Fetcher, *, clock: Callable[[], datetime]) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.clock = clock

    async def all(self) -> list[FeedState]:
        """Every feed polled (config and store feeds; config feeds the config no longer names are left out)."""
        configured = {f.url for f in self.config.feeds}
        feeds = await self.store.run(self.store.feeds.all)
        return [f for f in feeds if f.url in configured or f.origin == "store"]

    async def to_poll(self, named: Sequence[str] | None = None) -> tuple[list[FeedState], int]:
        """What ``watchbot poll`` polls, and how many paused feeds it leaves out: every feed the service polls (the
        config's and those added, unpaused), or the ``named`` ones, paused or not (asked for by name). A named URL
        the store does not know gets a row as a config feed's, which the service leaves alone while the config does
        not list it; a feed added with `feeds add` keeps its name and stays an added feed."""
        if named is None:
            feeds = await self.all()
            return [f for f in feeds if not f.paused], sum(f.paused for f in feeds)
        urls = list(dict.fromkeys(named))
        known = {f.url for f in await self.store.run(self.store.feeds.get, urls)}
        if unknown := [u for u in urls if u not in known]:
            await self.store.run(self.store.feeds.sync, [(u, "") for u in unknown])
        return await self.store.run(self.store.feeds.get, urls), 0

    async def listing(self, *, text: str = "", health: str = "", page: int = 1) -> FeedList:
        """A page of ``all()``, filtered (see ``feed_list``)."""
        return feed_list(await self.all(), text=text, health=health if health in HEALTHS else "", page=page)

    async def add(self, url: str, name: str = "", *, discover: bool = True) -> Added:
        """Add the feed at ``url``; a site's page is looked at for the feeds it links to.

        One feed found (or ``url`` itself being a feed): it is added. Several: they come back as
        choices and nothing is added. Raises FeedChangeError (bad URL) or FeedError (unreachable,
        no feed there)."""
        url = url.strip()
        if not url:
            raise FeedChangeError("give the address of a feed, or of a site that offers one (https://...)")
        problem = feed_url_problem(url)
        if problem:  # (here, without "or a local file path": this refuses one next)
            raise FeedChangeError(problem.replace(URL_HINT, "give the https:// address of a feed, or of a site "
                                                            "that offers one"))
        if url.lower().startswith("file:") or not url.lower().startswith(("http://", "https://")):
            where = "a config file (copy config.example.toml to config.toml)" if self.config.source == BUILT_IN \
                else self.config.source
            raise FeedChangeError(f"only http(s) feeds can be added here (got {url!r}); a local file goes in "
                                  f"{where} as a [[feeds]] entry")
        existing = await self.store.run(self.store.feeds.get, [url])
        if existing:
            return Added(existing[0], already=True)
        found = await find_feeds(self.fetcher, url) if discover else [(url, name)]
        if len(found) > 1 and url not in {u for u, _ in found}:
            return Added(choices=tuple(found))
        feed_url, title = next(((u, t) for u, t in found if u == url), found[0])
        # Unnamed, it is called by its publisher, as the config's feeds are ("Al Jazeera", not its whole title);
        # one_line: no control characters (PostgreSQL refuses NUL)
        named = one_line(name, NAME_MAX) or (outlet_name(one_line(title), feed_url) if title else "")
        added = await self.store.run(self.store.feeds.add, feed_url, named, now=self.clock())
        (state,) = await self.store.run(self.store.feeds.get, [feed_url])
        return Added(state, already=not added)

    async def remove(self, url: str) -> FeedState:
        feed = await self._feed(url)
        if feed.origin != "store":
            raise FeedChangeError(f"{feed.label} comes from {self.config.source}: remove its [[feeds]] entry there "
                                  "(or pause it here)")
        await self.store.run(self.store.feeds.remove, url)
        return feed

    async def pause(self, url: str) -> FeedState:
        feed = await self._feed(url)
        await self.store.run(self.store.feeds.set_paused, url, True)
        return feed

    async def resume(self, url: str) -> FeedState:
        feed = await self._feed(url)
        await self.store.run(self.store.feeds.set_paused, url, False)
        return feed

    async def import_opml(self, data: bytes, *, source: str = "OPML file", most: int | None = None) -> Imported:
        """Every feed of an OPML file not there yet; raises ConfigError (one line) for a file that is no OPML, or
        that holds more than ``most`` feeds (the web's limit: 50,000 were added at once, with no way to undo)."""
        pairs = parse_opml(data, source=source)
        good, refused = [], []
        for url, name in pairs:
            web = url.lower().startswith(("http://", "https://"))
            scheme = re.match(r"[A-Za-z][\w+.-]*:(?!\\)", url)  # (javascript:, ftp:; not C:\ nor a path)
            problem = feed_url_problem(url) if web else (
                f"not a web address ({scheme[0]}): only http and https feeds are polled" if scheme
                else "a local file: it goes in the config as a [[feeds]] entry")
            if problem:
                label = one_line(name, 60)
                refused.append(f"{label} ({one_line(url, 100)}): {problem}" if label != url else f"{url}: {problem}")
            else:
                good.append((url, name))
        if not good:
            raise ConfigError(source, ["no http(s) feed in it" + (f" ({refused[0]})" if refused else "")])
        if most is not None and len(good) > most:
            raise ConfigError(source, [f"{len(good):,} feeds in it: at most {most:,} are added at once here; split the "
                                       "file, or add them with `watchbot feeds import FILE` on the server"])
        now = self.clock()

        def add_all() -> Imported:
            added: list[str] = []
            skipped: list[str] = []
            with self.store.transaction():
                for url, name in good:
                    (added if self.store.feeds.add(url, one_line(name), now=now) else skipped).append(url)
            return Imported(tuple(added), tuple(skipped), tuple(refused))

        return await self.store.run(add_all)

    async def export_opml(self) -> bytes:
        """The web feeds as OPML, the config's in its order, then those added; a local file feed is left out (a
        reader elsewhere cannot open this machine's path, and `feeds import` refuses one)."""
        order = {f.url: n for n, f in enumerate(self.config.feeds)}
        feeds = sorted(await self.all(), key=lambda f: order.get(f.url, len(order)))
        return render_opml((f.url, f.label) for f in feeds if f.url.lower().startswith(("http://", "https://")))

    async def _feed(self, url: str) -> FeedState:
        found = await self.store.run(self.store.feeds.get, [url])
        if not found:  # (a page opened before it went: removed meanwhile, in another tab or by another admin)
            raise FeedChangeError(f"no feed {url!r} (any more: it may have been removed meanwhile); see the list")
        return found[0]
