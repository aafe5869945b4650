"""The one place that wires the stages of a poll:

    due feeds | fetch (conditional GET) | parse | normalize | dedupe (seen?) | match | outbox | deliver

Each stage is a module with a narrow job; this use-case only moves values between them and records
what happened. The fetcher, the store, the rules, the alert channels and the clock are passed in.
Parsing runs in a small pool of worker threads, store work (dedupe, matching, queueing) in the
store's own thread: the event loop never waits on either. One bad feed never stops the others: its
failure is recorded and the rest go on.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from bot.app.alerts import Alerts, DrainReport
from bot.app.polling import (
    RHYTHM_WINDOW,
    Asks,
    Policy,
    Reachability,
    after_hand_poll,
    choose_interval,
    due,
    next_poll,
)
from bot.config import Config
from bot.errors import FeedError, ParseError, StoreError
from bot.feeds.fetch import Fetched, Fetcher, FetchRequest
from bot.feeds.health import describe_seconds
from bot.items.normalize import Item, as_of
from bot.items.read import ReadFeed, read_items
from bot.store.protocols import FeedState, Store, StoryMember
from bot.stories import Settings as StorySettings
from bot.stories import StoredItem as StoryRow
from bot.stories import StoryIndex, rebuild, story_text
from bot.watch import Matcher

log = logging.getLogger("watchbot.poll")

# With several processes on one store (PostgreSQL), an ingest that places items in stories holds the store's
# story lock until it commits (ItemStore.lock_stories): first it takes in what the others placed since it last
# looked (by placement number, ItemStore.placed_after), then places its own. So two processes never place
# reports of one story at once, and every process sees one set of stories.

# Parsing multi-MB bodies in many threads grows glibc's per-thread arenas (RSS that never comes back);
# two threads keep both cores busy and the arenas few.
PARSE_THREADS = 2
_parsers: ThreadPoolExecutor | None = None


def _parse_pool() -> ThreadPoolExecutor:
    global _parsers
    if _parsers is None:
        _parsers = ThreadPoolExecutor(max_workers=PARSE_THREADS, thread_name_prefix="parse")
    return _parsers


@dataclass(frozen=True, slots=True)
class FeedResult:
    url: str
    label: str
    status: int | None = None
    ms: float = 0.0
    items: int = 0
    new: int = 0
    matched: int = 0
    alerts: int = 0
    old: int = 0  # matched items too old to alert (poll.max_age, or poll.backlog on a feed's first poll)
    joined: int = 0  # matched items that alerted no one: they joined a story its followers were alerted of already
    skipped: int = 0  # entries that could not be read (each logged with its reason)
    error: str | None = None
    failed: str | None = None  # what failed with ``error``: "fetch", "parse" or "store"
    warning: str | None = None
    source: str = "http"  # "http" or "file" (a local path: no HTTP status)
    # When to poll the feed again where nothing was recorded: the store refused writes (a full disk, a database
    # gone), or this machine seems offline (not held against the feed). The caller keeps it, or the feed would stay
    # due and be fetched again at once, and again.
    retry_at: datetime | None = None

    @property
    def status_text(self) -> str:
        return "file" if self.source == "file" else str(self.status)


@dataclass
class PollSummary:
    feeds: list[FeedResult] = field(default_factory=list)
    delivery: dict[str, DrainReport] = field(default_factory=dict)

    @property
    def failed(self) -> list[FeedResult]:
        return [f for f in self.feeds if f.error]

    def line(self) -> str:
        ok = len(self.feeds) - len(self.failed)
        items = sum(f.items for f in self.feeds)
        skipped = sum(f.skipped for f in self.feeds)
        new = sum(f.new for f in self.feeds)
        matched = sum(f.matched for f in self.feeds)
        old = sum(f.old for f in self.feeds)
        joined = sum(f.joined for f in self.feeds)
        sent = sum(r.sent for r in self.delivery.values())
        waiting = sum(r.retried for r in self.delivery.values())
        dead = sum(r.dead for r in self.delivery.values())
        text = (f"polled {len(self.feeds)} feed{'s' * (len(self.feeds) != 1)}: {ok} ok, {len(self.failed)} failed; "
                f"{items} item{'s' * (items != 1)}, {new} new, {matched} matched")
        why = ([f"{old} too old to alert: poll.backlog on a feed's first poll, poll.max_age, or older than "
                "storage.keep"] if old else []) + (
            [f"{joined} joined a story already alerted: `watchbot stories --reports`"] if joined else [])
        if why:
            text += f" ({'; '.join(why)})"
        text += f"; {sent} alert{'s' * (sent != 1)} sent"
        if skipped:
            text += f"; {skipped} unreadable item{'s' * (skipped != 1)} skipped"
        if waiting:
            text += f", {waiting} waiting to retry"
        if dead:
            text += f", {dead} undeliverable"
        return text


class Pipeline:
    """Polls feeds and queues alerts with the parts it is given."""

    def __init__(self, *, config: Config, store: Store, fetcher: Fetcher, matcher: Callable[[], Matcher],
                 alerts: Alerts, clock: Callable[[], datetime], rng: random.Random | None = None) -> None:
        self.config = config
        self.store = store
        self.fetcher = fetcher
        self.matcher = matcher  # a callable so rule reloads take effect on the next item
        self.alerts = alerts
        self.clock = clock
        self.rng = rng or random.Random()
        self.policies = {f.url: Policy.of(config.poll, f) for f in config.feeds}
        self._stories: StoryIndex | None = None  # built from the store at the first ingest
        self._texts_read = datetime.min.replace(tzinfo=UTC)  # items first seen from then on are still to be read
        self._placed = 0  # the highest placement number the index has taken in (ItemStore.placed_after)
        # The PostgreSQL store runs several ingests at once on its worker threads; the story index is one
        # object that is not safe for that (an expiry between a lookup and its use drops an entry in use).
        self._stories_lock = threading.Lock()
        # Set (from the event loop) when an ingest's transaction failed: the index may hold items it did not store.
        # The next placement rebuilds it, in the store's thread; setting _stories to None here had raced a
        # placement running there ("'NoneType' object has no attribute 'remember_all'").
        self._stories_stale = False
        self.reachability = Reachability()  # whether any feed host answers: a machine offline fails no feed

    def policy(self, url: str) -> Policy:
        return self.policies.get(url) or Policy.of(self.config.poll)

    def interval(self, url: str) -> float:
        """The feed's fixed interval, else the shortest adaptive one (to try again soon after a surprise)."""
        policy = self.policy(url)
        return policy.fixed if policy.fixed is not None else policy.low

    async def due(self, now: datetime, only: Sequence[str] | None = None) -> list[FeedState]:
        """Feeds whose next poll time has come (all named ones when ``only`` is given)."""
        if only:
            return await self.store.run(self.store.feeds.get, list(only))
        feeds = await self.store.run(self.store.feeds.all)
        return due(self.polled(feeds), now)

    def polled(self, feeds: Sequence[FeedState]) -> list[FeedState]:
        """The feeds to poll: the config's and those added in the store (web, `watchbot feeds add`), unpaused."""
        return [f for f in feeds if not f.paused and (f.url in self.policies or f.origin == "store")]

    async def poll_once(self, only: Sequence[str] | None = None, *, deliver: bool = True,
                        progress: Callable[[FeedResult], None] | None = None,
                        by_hand: bool = False, delivering: Callable[[int], None] | None = None) -> PollSummary:
        """Poll the due (or named) feeds concurrently, then deliver every due alert (``delivering`` is told how many
        were sent so far, between rounds of a long delivery).

        ``by_hand`` (``watchbot poll``): the polls never move a feed's planned next poll later.
        """
        summary = PollSummary()
        feeds = await self.due(self.clock(), only)

        async def one(feed: FeedState) -> None:
            result = await self.poll_feed(feed, by_hand=by_hand)
            summary.feeds.append(result)
            if progress:
                progress(result)

        await asyncio.gather(*(one(f) for f in feeds))
        if deliver:
            summary.delivery = await self.alerts.drain_all(delivering)
        return summary

    async def poll_feed(self, feed: FeedState, *, by_hand: bool = False) -> FeedResult:
        """fetch | parse | normalize | dedupe | match | outbox, for one feed. Never raises FeedError."""
        started = time.perf_counter()
        # (polling's store work queues behind what a person waits for, unless a person asked for this poll)
        store_run = self.store.run if by_hand else self.store.run_background
        answered: int | None = None  # the HTTP status of a body that then would not parse
        try:
            fetched = await self.fetcher.fetch(FetchRequest(feed.url, feed.etag, feed.last_modified))
            answered = fetched.status
            if fetched.status_text != "file":
                self.reachability.answered()
            if fetched.not_modified:
                await store_run(self._unchanged, feed, fetched, self.clock(), by_hand)
                return self._done(FeedResult(feed.url, feed.label, fetched.status), started)
            loop = asyncio.get_running_loop()
            read: ReadFeed = await loop.run_in_executor(
                _parse_pool(), lambda: read_items(fetched.body, url=feed.url, headers=dict(fetched.headers),
                                                  label=feed.name))
        except FeedError as e:
            kind = "parse" if isinstance(e, ParseError) else "fetch"
            host = urlsplit(feed.url).hostname if feed.url.startswith(("http://", "https://")) else None
            if kind == "fetch" and host:
                if e.silent:  # nothing answered at all: timed out connecting, no route, no name server
                    self.reachability.unreachable(host, self.clock())
                else:  # (a refusal or an unknown host name too: some machine out there answered)
                    self.reachability.answered()
            status = e.status if e.status is not None or kind == "fetch" else answered  # (a 200 that is no feed)
            return await self._failed(feed, e.reason, status, e.retry_after, kind, started, by_hand, silent=e.silent)
        except StoreError as e:
            return await self._failed(feed, str(e), None, None, "store", started, by_hand)

        for reason in read.skipped:
            log.warning("feed %s: skipped an unreadable item: %s", feed.label, reason)
        items = list(read.items)
        warning = read.warning
        if not items and not read.skipped:
            warning = "no items: is this the feed's URL?" + (f" ({warning})" if warning else "")
        now = self.clock()
        try:
            new, matched, alerts, old, joined = await store_run(self._ingest, feed, items, read, fetched, now,
                                                                by_hand)
        except StoreError as e:
            self._stories_stale = True  # it may hold items the failed transaction did not store: rebuild it
            return await self._failed(feed, str(e), fetched.status, None, "store", started, by_hand)
        label = feed.name or read.title or feed.label  # (a feed's first poll: its title is known only now)
        return self._done(FeedResult(feed.url, label, fetched.status, items=len(items), new=new,
                                     matched=matched, alerts=alerts, old=old, joined=joined,
                                     skipped=len(read.skipped),
                                     warning=warning,
                                     source="file" if fetched.status_text == "file" else "http"), started)

    def _schedule(self, feed: FeedState, fetched: Fetched, read: ReadFeed | None, now: datetime,
                  by_hand: bool) -> datetime:
        """Choose the feed's interval (polling.choose_interval), record it with its reason; its next poll.
        In the store's thread, inside the caller's transaction."""
        policy = self.policy(feed.url)
        if policy.fixed is not None:
            chosen = choose_interval(now, None, policy)
        else:
            ttl, update = (read.ttl, read.update_period) if read else (feed.ttl_seconds, feed.update_seconds)
            rhythm = self.store.items.rhythm(feed.url, since=now - RHYTHM_WINDOW)
            chosen = choose_interval(now, rhythm, policy, Asks.of(ttl, update, fetched.headers, now))
        self.store.feeds.record_interval(feed.url, seconds=chosen.seconds, reason=chosen.reason)
        when = next_poll(now, timedelta(seconds=chosen.seconds), 0, retry_after=None, rng=self.rng, url=feed.url)
        return after_hand_poll(when, feed.next_poll_at, now) if by_hand else when

    def _unchanged(self, feed: FeedState, fetched: Fetched, now: datetime, by_hand: bool) -> None:
        """A 304: record the fetch and the next poll, in the store's thread."""
        with self.store.transaction():
            self.store.feeds.record_fetch(
                feed.url, now=now, status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                title=None, next_poll_at=self._schedule(feed, fetched, None, now, by_hand))

    def _as_stored_before(self, feed_url: str, items: list[Item]) -> list[Item]:
        """An item stored before under another identity keeps that one: it is the same item, seen already. In the
        store's thread. Three ways it happens:
        - a parameter its link carries joined the tracking list since (canonical.py: ``former_identity``);
        - its link changed, its guid and title did not: a feed that rotates a session or tracking parameter we do not
          know at every fetch would otherwise alert every item again at every poll. (The title too: a feed that gives
          every item one guid must not have its news taken for the first item.)
        - its link and guid changed, its title and publication time (to the second) did not: a site that moved to
          https, to another domain or to new addresses would otherwise alert its whole feed again. (A feed that dates
          every item when it builds the feed dates them anew at each build, so its "New filing" items stay apart; a
          time on the whole hour is left out, since a feed that gives dates alone puts each day's "Letters" or
          "Market close" at one midnight: a repeated alert is better than news lost.)"""
        former = [i.former_identity for i in items if i.former_identity]
        if former:
            stored = self.store.items.get(former)
            items = [replace(i, identity=i.former_identity) if i.former_identity in stored else i for i in items]
        guids = [i.guid for i in items if i.guid and i.guid != i.link]
        if guids:
            known = self.store.items.by_guid(feed_url, guids)
            items = [replace(i, identity=before[0]) if (before := known.get(i.guid or "")) and before[0] != i.identity
                     and before[1] == i.title else i for i in items]
        keys = [_timed(i) for i in items]
        if not any(keys):
            return items
        stamped = self.store.items.by_published(feed_url, [key[0] for key in keys if key])
        same = [stamped.get(key) if key else None for key in keys]
        return [replace(i, identity=s) if s and s != i.identity else i for i, s in zip(items, same, strict=True)]

    def _ingest(self, feed: FeedState, items: list[Item], read: ReadFeed, fetched: Fetched, now: datetime,
                by_hand: bool) -> tuple[int, int, int, int, int]:
        """dedupe | match | outbox | record the fetch, in the store's thread and one transaction:
        a crash in between must not leave items stored as seen but never matched or alerted. Returns the
        new items, the matched ones, the alerts queued, the matched items too old to alert and those that joined a
        story already alerted (they queue no alert: an edit of the first, at most)."""
        matcher = self.matcher()
        matched = alerts = old = joined = 0
        title = read.title
        with self.store.transaction():
            self.store.feeds.record_body(feed.url, items=len(items), ttl=read.ttl, update=read.update_period,
                                         warning=read.warning)
            items = as_of(self._as_stored_before(feed.url, items), now)  # (no news from the future)
            new = self.store.items.add(items, feed_name=feed.name or read.outlet or title, now=now)
            hits = []
            for item in new:
                try:  # (find: a chat's own phrases stay one entry per phrase until the item is routed, below)
                    found = matcher.find({"title": item.title, "lede": item.lede})
                except Exception:  # a matcher bug on one item must not lose the feed's other items
                    log.exception("matching %s failed; the item is stored unmatched", item.link or item.identity)
                    continue
                if found:
                    hits.append((item, found))
            # Oldest first (feeds list their newest first): a chat reads a feed's alerts in the order the news came,
            # and the first report of a story founds it. An item without a date counts as published now.
            hits.sort(key=lambda hit: hit[0].published or now)
            # Only matched items join stories: they are what alerts and digests are made of, and placing every
            # item costs a third more CPU on a first poll (README, Stories). A later report that matches no
            # watchlist therefore adds no outlet to a story's alert.
            stories = self._place([item for item, _ in hits], now) if hits else {}
            for item, found in hits:
                try:
                    matches = found.matches()  # one Match per watchlist: per chat for the chats' own phrases
                except Exception:  # (as above: one item's bug never loses the others)
                    log.exception("matching %s failed; the item is stored unmatched", item.link or item.identity)
                    continue
                matched += 1
                fresh = self._fresh(item, now, first_poll=feed.last_success_at is None)
                self.store.items.record_matches(item.identity, matches, now=now, backlog=not fresh)  # (no digest)
                if fresh:
                    watchlists = [m.watchlist for m in matches]
                    queued = self.alerts.enqueue(item, watchlists, now, story=stories[item.identity])
                    alerts += queued
                    joined += not queued and stories[item.identity] != item.identity
                else:
                    old += 1
            self.store.feeds.record_fetch(
                feed.url, now=now, status=fetched.status, etag=fetched.etag, last_modified=fetched.last_modified,
                title=title, next_poll_at=self._schedule(feed, fetched, read, now, by_hand))
        return len(new), matched, alerts, old, joined

    def _place(self, new: list[Item], now: datetime) -> dict[str, str]:
        """Each new item's story (store thread, in the ingest's transaction). An item that joins a story already
        alerted queues edits of those alerts (within stories.edit_within), so they name the new outlet."""
        if not self.config.stories.window:
            return {item.identity: item.identity for item in new}
        self.store.items.lock_stories()  # until this transaction commits: other processes place before or after
        edit_within = timedelta(seconds=self.config.stories.edit_within)
        out = {}
        with self._stories_lock:
            index = self._story_index(now)
            for item in new:
                placed = index.add(item.identity, item.feed_url, story_text(item.title, item.lede), now,
                                   item.language, item.published)
                out[item.identity] = placed.story_id
                if not placed.new:
                    self.store.items.set_story(item.identity, placed.story_id)
                    if edit_within:
                        self.store.outbox.queue_edits(placed.story_id, now=now, sent_since=now - edit_within)
            self.store.items.mark_placed(list(out))
        return out

    def _story_index(self, now: datetime) -> StoryIndex:
        """The story index, built from the store at the first placement and then brought up to date with what
        other processes sharing the store placed since (store thread, under the story lock)."""
        if self._stories is None or self._stories_stale:
            self._stories_stale = False
            stories = self.config.stories
            settings = StorySettings(window=timedelta(seconds=stories.window), cross_language=stories.cross_language)
            self._placed = self.store.items.last_placed()
            rows = self.store.items.story_members(now - settings.window)
            self._stories = rebuild(map(_story_row, rows), now=now, settings=settings)
            self._texts_read = now - settings.window
        else:
            # What was placed since this index last looked, its own placements included (known: skipped). The
            # index never takes its own numbers as read: a placement whose transaction rolled back leaves its
            # number to the next one.
            members, self._placed = self.store.items.placed_after(self._placed)
            self._stories.remember_all(map(_story_row, members))
        # Every item first seen since the index last looked, matched or not, from every process sharing the store:
        # what a busy topic has said (bot.stories.background). Read from the last instant read on (items stamped at
        # it are read again, which changes nothing); an item another process stamped earlier but committed later is
        # missed, and the background is a sample then.
        texts = self.store.items.texts_since(self._texts_read)
        for text in texts:
            self._stories.observe(story_text(text.title, text.lede), text.first_seen_at, text.published_at)
        if texts:
            self._texts_read = texts[-1].first_seen_at
        return self._stories

    async def _failed(self, feed: FeedState, reason: str, status: int | None, retry_after: float | None,
                      kind: str, started: float, hand: bool = False, *, silent: bool = False) -> FeedResult:
        now = self.clock()
        policy = self.policy(feed.url)
        unrecorded = None
        offline = self.reachability.offline(now) if silent else 0
        if kind == "store" or offline:
            # The store's fault, or this machine's (cut off from the network), not the feed's: nothing is held
            # against the feed (no failure, no backoff), and it is tried again after the shortest interval, its items
            # and validators read again then. Offline, the store keeps that time and why (`watchbot feeds`, and every
            # process of a spread poll); a store that refuses cannot, and the caller keeps the time.
            when = unrecorded = now + timedelta(seconds=min(policy.fixed or policy.low, policy.low))
            if offline:
                try:
                    await (self.store.run if hand else self.store.run_background)(
                        self.store.feeds.record_failure, feed.url, now=now, status=None, next_poll_at=when,
                        error=reason, counted=False)  # (FeedState.unreached: every front door says why)
                    unrecorded = None
                except StoreError as e:
                    log.error("feed %s: cannot record its poll: %s", feed.label, e)
        else:
            # Backoff starts from the interval chosen after the last success (the shortest one if none yet).
            base = policy.fixed if policy.fixed is not None else (feed.interval_seconds or policy.low)
            when = next_poll(now, timedelta(seconds=base), feed.consecutive_failures + 1, retry_after=retry_after,
                             rng=self.rng)
            if hand:
                when = after_hand_poll(when, feed.next_poll_at, now)
            try:
                store_run = self.store.run if hand else self.store.run_background
                await store_run(self.store.feeds.record_failure, feed.url, now=now, status=status, error=reason,
                                next_poll_at=when)
            except StoreError as e:
                log.error("feed %s: cannot record its failure: %s", feed.label, e)
                unrecorded = when
        retry = f"next poll in {describe_seconds((when - now).total_seconds())} ({when:%H:%M} UTC)"
        if offline:
            retry = (f"this machine seems offline ({offline} hosts gave no answer at all, none answered since): not "
                     f"held against the feed; {retry}")
        if hand and kind == "store":
            retry = "nothing of it was stored: the next poll reads it again"
        return self._done(FeedResult(feed.url, feed.label, status, error=reason, retry_at=unrecorded), started,
                          failed=(kind, retry))

    def _fresh(self, item: Item, now: datetime, *, first_poll: bool) -> bool:
        """Old items are stored and matched but not alerted: poll.max_age always, and poll.backlog on a
        feed's first successful poll (adding a feed must not flood its subscribers with its archive).
        Items without a date count as new.

        Nor, after a feed's first poll, an item published before what the store keeps (storage.keep): new to the
        store, it may be one pruned while its feed still lists it (blogs list years of posts), and it was alerted
        when it was new (a 180-day prune had alerted a feed's year-old stories again)."""
        if item.published is None:
            return True
        age = (now - item.published).total_seconds()
        max_age, backlog = self.config.poll.max_age, self.config.poll.backlog
        if max_age and age > max_age:
            return False
        if not first_poll and age > self.config.storage_keep:
            return False
        return not (first_poll and backlog and age > backlog)

    def _done(self, result: FeedResult, started: float, failed: tuple[str, str] | None = None) -> FeedResult:
        """Log the poll: one line, a warning that says why and when the feed is tried next when it ``failed``
        (what failed: fetch or parse; the next poll)."""
        result = replace(result, ms=(time.perf_counter() - started) * 1000)
        if failed is not None:
            kind, retry = failed
            result = replace(result, failed=kind)
            log.warning("feed %s: %s failed: %s; %s status=%s ms=%.0f", result.label, kind, result.error, retry,
                        result.status_text, result.ms, extra={"feed": result.label, "url": result.url})
            return result
        log.info("poll %s status=%s ms=%.0f items=%d new=%d matched=%d%s%s%s", result.label, result.status_text,
                 result.ms, result.items, result.new, result.matched,
                 f" skipped={result.skipped}" if result.skipped else "",
                 f" error={result.error}" if result.error else "",
                 f" warning={result.warning}" if result.warning else "",
                 extra={"feed": result.label, "url": result.url})
        return result


def _story_row(m: StoryMember) -> StoryRow:
    return StoryRow(m.identity, m.feed_url, story_text(m.title, m.lede), m.first_seen_at, m.story, m.language,
                    m.published_at)


def _timed(item: Item) -> tuple[datetime, str] | None:
    """(publication time as stores keep it, title) of an item dated to the minute or second (not on the whole hour:
    see ``Pipeline._as_stored_before``), else None."""
    when = item.published
    if when is None or not (when.minute or when.second):
        return None
    return when.astimezone(UTC).replace(microsecond=0), item.title
