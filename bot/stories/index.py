"""The story index: which earlier story a new item belongs to. Pure (no IO; time comes in as values).

    item text | profile (fold, shingles, facts) | candidates (MinHash LSH; shared facts across
    languages) | exact similarity | join the most similar story, or found a new one

An item joins the story of the most similar earlier item that
- was first seen within ``window`` of it, and was published within ``window`` of it too (an item's news
  time: when it was published, never later than first seen; first seen when it has no date): a first poll
  or a new feed brings weeks of archive at one instant, and reports published weeks apart are not one
  piece of news however alike they read ("Japan's new prime minister gambles on a snap election" in
  January, "How Japan's prime minister will use her massive new mandate" in February),
- comes from a different feed (templated feeds look alike: an item's own feed is no evidence),
- is similar enough: Jaccard of the shingle sets (same script) at least ``threshold``, raised by
  ``slope`` per day between the two news times (a report a day later must be closer to count as the same
  news), or, across English and Chinese, Jaccard of the facts at least ``cross_threshold``.
A preview (a title announcing an event to come, ``bot.stories.previews``) and a report that is not one never join:
"U.S. and Iran to hold a second round of talks" is not the talks' outcome, however alike their words.
On a busy topic, when the items similar enough belong to two stories or more, only those sharing a word
of the day's news with the new item count: a word that reports of ``recent`` to ``window`` before it had not
used (``bot.stories.background``; the caller shows the index every new item with ``observe``, matched or not,
so that it knows what a topic has said: the pipeline reads them from the store at each placement). Otherwise
the preview of a round of talks, the drills beside it and the round's outcome, alike in the topic's words, chain
into one story. If none shares one, the item founds a story. A preview that a report may not join (or a report,
for a preview) still counts as one of the topic's stories: Tuesday's closure of the Strait of Hormuz does not join
Monday's statement on the talks just because NPR's previews are the only other reports it resembles.
The item joins the most similar of the rest, unless that item's story already holds an item of this item's
feed: then the item founds a story of its own (a feed never joins its own items together, and an item does
not settle for a less similar story; measured: that choice kept a wrong join out, with the corpus as
background).
Stories are never merged: an item similar to two stories joins the most similar one, so a story
that has been alerted stays one story.

A story is named by the key of its first item, so the decision can be stored with the item and
replayed: ``rebuild`` loads the stored rows of the stories that have an item in the last ``window``
and gives the same state, in this process after a restart or in another process sharing the store (the
caller observes the stored items of the window for the background);
``remember_all`` takes into a running index the rows another process stored since (an index that
reads the other's placements before each of its own decides as one index would). (A story lives on
while its items keep coming; the feeds of its items that left the window are still kept, so that a feed
never joins its own story twice.)

Memory is bounded by the window, not by history: entries older than ``window`` (counted from the
newest time seen) are dropped with their LSH keys as new items arrive, or by ``expire(now)``, and the
background keeps the window's hours of words.
"""

from __future__ import annotations

import heapq
import itertools
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from rensa import RMinHash, RMinHashLSH

from bot.stories.background import Background
from bot.stories.similarity import (
    COMMONPLACE,
    Profile,
    cross_language_similarity,
    profile,
)
from bot.stories.tokens import shingles as text_shingles

SEED = 13
# Shingles two items must share before their Jaccard counts: one shared word of a title is three shingles
# (the word, its title token, the name as a fact), so items without a lede need more than one word in common.
MIN_SHARED = 4


@dataclass(frozen=True, slots=True)
class Settings:
    """How stories are formed. Defaults measured on tests/data/stories/stories.jsonl (``bench/stories.py --sweep``):
    threshold 0.20 with slope 0.10 and recent 12 h (or 18 h) gives same-script pair precision 0.991, recall 0.902,
    alone and with the corpus items of those days seen as well, as the pipeline sees every new item: the only point
    of the grid that meets 0.98 / 0.90, and a narrow one (threshold 0.18: 0.974 / 0.919; 0.22: 0.990 / 0.813; slope
    0.05: 0.974 / 0.919 alone, 0.973 / 0.886 seen; recent 6 h: 0.990 / 0.837). On the blind hold-out (holdout.jsonl)
    0.917 / 0.440: its same-story pairs are rewrites that no threshold reaches. Slope 0.05 also joins more reports
    of different days in a first poll of the corpus read story by story (7 wrong joins in 38 stories, against 3 in
    35). English/Chinese 1.000 / 0.966 for any cross_threshold from 0.15 to 0.4 (the shared-facts gate decides)."""

    window: timedelta = timedelta(hours=72)  # stories.window
    threshold: float = 0.20  # Jaccard of the shingle sets, same script
    slope: float = 0.10  # added to threshold per day between the two items
    cross_language: bool = True  # stories.cross_language
    cross_threshold: float = 0.25  # Jaccard of the facts, English/Chinese
    # When an item is similar enough to items of two stories or more (a busy topic), it joins only one it shares a
    # word with that reports of ``recent`` to ``window`` before it did not use (bot.stories.background).
    recent: timedelta = timedelta(hours=12)
    num_perm: int = 128
    # 64 bands of 2 rows: a pair at Jaccard 0.2 is a candidate with probability 0.93; on the corpus
    # these found 234 of the 234 pairs that comparing every item finds (32 bands: 228).
    bands: int = 64


@dataclass(frozen=True, slots=True)
class Placement:
    """Where ``add`` put an item."""

    story_id: str
    new: bool  # the item founded the story
    joined: str | None = None  # the key of the most similar earlier item, when it joined one
    similarity: float = 0.0
    cross_language: bool = False


@dataclass(frozen=True, slots=True)
class StoredItem:
    """An item as the store keeps it, to rebuild the index from."""

    item_key: str
    feed: str
    text: str  # story_text(title, lede)
    first_seen_at: datetime
    story_id: str
    language: str = ""  # Item.language; "" works it out from the text
    published_at: datetime | None = None  # Item.published (the news time: see the module docstring)


@dataclass(slots=True)
class _Entry:
    key: str
    feed: str
    at: datetime
    seconds: float  # the news time (``news_time``) as a POSIX timestamp: the candidate loop subtracts floats
    story: str
    shingles: tuple[str, ...]  # a tuple of interned strings: a frozenset would cost several times more
    facts: tuple[str, ...]
    hard: tuple[str, ...]
    script: str
    lsh_key: int
    ahead: bool  # a preview (bot.stories.previews)


@dataclass(slots=True)
class _Story:
    feeds: Counter[str] = field(default_factory=Counter)  # feeds of its items in the window
    past: set[str] = field(default_factory=set)  # feeds of its items that left the window


class StoryIndex:
    """Stories of the items first seen within the window."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self._lsh = RMinHashLSH(threshold=s.threshold, num_perm=s.num_perm, num_bands=s.bands)
        self._entries: dict[int, _Entry] = {}
        self._by_key: dict[str, int] = {}
        self._stories: dict[str, _Story] = {}
        # script -> uncommon fact -> entries: where an item of the other script finds its candidates
        self._by_fact: dict[str, dict[str, set[int]]] = {"zh": {}, "latin": {}}
        self._heap: list[tuple[datetime, int]] = []  # (first seen, lsh key): what expires first
        self._ids = itertools.count()
        self._newest: datetime | None = None
        self._background = Background(s.window, s.recent)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def stories(self) -> int:
        """How many stories have an item in the window."""
        return len(self._stories)

    def story_of(self, item_key: str) -> str | None:
        """The story of an item still in the window."""
        n = self._by_key.get(item_key)
        return None if n is None else self._entries[n].story

    def add(self, item_key: str, feed: str, text: str, first_seen_at: datetime, language: str = "",
            published_at: datetime | None = None) -> Placement:
        """Place a new item (``text`` from ``story_text``; ``published_at``: when its feed says it was published)
        and remember it; returns its story."""
        if item_key in self._by_key:  # seen already (a replay): keep the decision made then
            story = self._entries[self._by_key[item_key]].story
            return Placement(story, new=story == item_key)
        self.expire(first_seen_at)
        prof = profile(text, language)
        minhash = self._minhash(prof)
        # A text with nothing to compare (only punctuation or stopwords) founds its own story.
        news = news_time(first_seen_at, published_at)
        self._background.add(_words(prof), news)
        best = self._best(prof, minhash, feed, news) if prof.shingles else None
        if best is None:
            placement = Placement(item_key, new=True)
        else:
            similarity, entry = best
            placement = Placement(entry.story, new=False, joined=entry.key, similarity=similarity,
                                  cross_language=entry.script != prof.script)
        self._insert(item_key, feed, first_seen_at, news, placement.story_id, prof, minhash)
        return placement

    def observe(self, text: str, first_seen_at: datetime, published_at: datetime | None = None) -> None:
        """Count a new item's words as what its topic has said, without placing it: every new item, matched or not,
        so that a busy topic's words are known (``Settings.recent``). ``add`` and ``remember`` count theirs; an item
        shown twice changes nothing."""
        self._background.add(text_shingles(text), news_time(first_seen_at, published_at))

    def remember(self, row: StoredItem) -> None:
        """Load an item whose story was decided before (after a restart, or by another process)."""
        if row.item_key in self._by_key:
            return
        self.expire(row.first_seen_at)
        if self._newest is not None and row.first_seen_at < self._newest - self.settings.window:
            story = self._stories.get(row.story_id)
            if story is not None and row.feed not in story.feeds:
                story.past.add(row.feed)  # out of the window, but its feed still may not join again
            return
        prof = profile(row.text, row.language)
        news = news_time(row.first_seen_at, row.published_at)
        self._background.add(_words(prof), news)
        self._insert(row.item_key, row.feed, row.first_seen_at, news, row.story_id, prof, self._minhash(prof))

    def remember_all(self, rows: Iterable[StoredItem]) -> None:
        """Load stored items in any order: each story's items older than the window (however they are
        ordered among its newer ones) still tell which feeds may not join it again."""
        rows = sorted(rows, key=lambda r: (r.first_seen_at, r.item_key))
        for row in rows:
            self.remember(row)
        for row in rows:  # an old item read before its story's newer ones
            story = self._stories.get(row.story_id)
            if story is not None and row.feed not in story.feeds:
                story.past.add(row.feed)

    def expire(self, now: datetime) -> int:
        """Drop items first seen more than ``window`` before ``now``; returns how many."""
        if self._newest is None or now > self._newest:
            self._newest = now
        cutoff = self._newest - self.settings.window
        dropped = 0
        while self._heap and self._heap[0][0] < cutoff:
            _, n = heapq.heappop(self._heap)
            self._drop(n)
            dropped += 1
        return dropped

    def _minhash(self, prof: Profile) -> RMinHash:
        m = RMinHash(num_perm=self.settings.num_perm, seed=SEED)
        m.update(list(prof.shingles))
        return m

    def _best(self, prof: Profile, minhash: RMinHash, feed: str, news: datetime) -> tuple[float, _Entry] | None:
        """The most similar eligible earlier item, verified on exact similarity (``news``: the item's news time)."""
        s = self.settings
        candidates = set(self._lsh.query(minhash))
        if s.cross_language:
            others = self._by_fact["latin" if prof.script == "zh" else "zh"]
            for fact in prof.facts - COMMONPLACE:
                candidates |= others.get(fact, set())
        best: tuple[float, _Entry] | None = None  # across languages
        same: list[tuple[float, _Entry]] = []  # in one script
        # The loop runs for every candidate (about 20 an item when a first poll fills the window):
        # the same-script test is written out here rather than through same_script_similarity.
        shingles, hard, script, size = prof.shingles, prof.hard, prof.script, len(prof.shingles)
        per_second = s.slope / 86400
        entries = self._entries
        now, window = news.timestamp(), s.window.total_seconds()
        for n in candidates:
            entry = entries[n]
            if entry.feed == feed:
                continue  # one feed never joins its own items together
            gap = now - entry.seconds
            if gap < 0:
                gap = -gap
            if gap > window:
                continue
            if entry.script == script:
                needed = s.threshold + per_second * gap
                other = len(entry.shingles)
                if not other or (size if size < other else other) < needed * (other if size < other else size):
                    continue  # sizes alone rule it out: Jaccard <= smaller / larger
                inter = len(shingles.intersection(entry.shingles))
                if inter < MIN_SHARED:
                    continue  # two short titles sharing one name ("ASML results", "ASML from the wire") are no story
                similarity = inter / (size + other - inter)
                if similarity < needed or (hard and entry.hard and hard.isdisjoint(entry.hard)):
                    continue  # not close enough, or the hard facts disagree
                same.append((similarity, entry))
                continue
            elif s.cross_language:
                similarity = cross_language_similarity(prof, entry)
                if similarity == 0 or similarity < s.cross_threshold:
                    continue
            else:
                continue
            if best is None or _better(similarity, entry, *best):
                best = (similarity, entry)
        # A preview and a report of the event never join (bot.stories.previews), but either tells that a topic is busy.
        busy = len({entry.story for _, entry in same}) > 1
        same = [(similarity, entry) for similarity, entry in same if entry.ahead == prof.ahead]
        if busy:  # a busy topic: only its news ties reports together
            words = _words(prof)
            news_words = words - self._background.known(words, news)
            same = [(similarity, entry) for similarity, entry in same if not news_words.isdisjoint(entry.shingles)]
        for similarity, entry in same:
            if best is None or _better(similarity, entry, *best):
                best = (similarity, entry)
        if best is not None:
            story = self._stories[best[1].story]
            if feed in story.feeds or feed in story.past:
                return None  # its story already holds an item of this feed: a story of its own
        return best

    def _insert(self, key: str, feed: str, at: datetime, news: datetime, story: str, prof: Profile,
                minhash: RMinHash) -> None:
        n = next(self._ids)
        kept = tuple(map(sys.intern, prof.facts))
        entry = _Entry(key, feed, at, news.timestamp(), story, tuple(map(sys.intern, prof.shingles)), kept,
                       tuple(f for f in kept if f in prof.hard), prof.script, n, prof.ahead)
        self._entries[n] = entry
        self._by_key[key] = n
        self._stories.setdefault(story, _Story()).feeds[feed] += 1
        self._lsh.insert(n, minhash)
        if self.settings.cross_language:
            facts = self._by_fact[prof.script]
            for fact in prof.facts - COMMONPLACE:
                facts.setdefault(fact, set()).add(n)
        heapq.heappush(self._heap, (at, n))

    def _drop(self, n: int) -> None:
        entry = self._entries.pop(n)
        del self._by_key[entry.key]
        self._lsh.remove(n)
        story = self._stories[entry.story]
        story.feeds[entry.feed] -= 1
        if story.feeds[entry.feed] <= 0:
            del story.feeds[entry.feed]
            story.past.add(entry.feed)
        if not story.feeds:
            del self._stories[entry.story]
        facts = self._by_fact[entry.script]
        for fact in entry.facts:
            keys = facts.get(fact)
            if keys is not None:
                keys.discard(n)
                if not keys:
                    del facts[fact]


def _words(prof: Profile) -> set[str]:
    """A profile's words and CJK pairs (its shingles but the title's ``t:`` copies and the facts)."""
    return {s for s in prof.shingles if ":" not in s}


def news_time(first_seen_at: datetime, published_at: datetime | None) -> datetime:
    """When an item's news happened, as far as the index can tell: its publication time, never later than when it
    was first seen (a date in the future is a feed's mistake); first seen when it has none."""
    return first_seen_at if published_at is None or published_at > first_seen_at else published_at


def _better(similarity: float, entry: _Entry, best_similarity: float, best: _Entry) -> bool:
    """More similar wins; on a tie the earlier item, then the smaller key (the same in every process)."""
    return (-similarity, entry.at, entry.key) < (-best_similarity, best.at, best.key)


def rebuild(rows: Iterable[StoredItem], *, now: datetime, settings: Settings | None = None) -> StoryIndex:
    """An index holding the stored items first seen within the window before ``now``, with their stories.

    ``rows``: every stored item of each story that has an item first seen within the window
    (older items of those stories tell which feeds may not join them again; the others are ignored).
    """
    index = StoryIndex(settings)
    index.expire(now)
    index.remember_all(rows)
    return index
