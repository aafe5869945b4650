"""A chat's own phrases and mutes, matched in the same pass as the shared watchlists. Use-case: the store.

    every chat's phrases (store, at start-up) | Matcher(shared, phrase_lists=every chat's) | pipeline

The pipeline asks ``matcher()`` for each poll: one Matcher over the shipped watchlists and one
list of phrases per chat (``chat:<id>``), so an item is scanned once whatever the number of
chats. A /watch or /unwatch changes the in-memory phrases at once; the combined matcher is rebuilt
on the next ``matcher()`` call, in that call when there are few phrases (milliseconds), else in a
background thread while the previous one keeps matching (a full rebuild with 100,000 phrases takes
0.4-0.5 s; bench/match.py measures it). Mutes get a matcher of their own (``mute:<id>``): a
mute is a reason not to alert, never a match to record.

Every process sharing a store holds its own copy of the phrases and mutes: the leader answers /watch and /mute,
and every process polls, matches and screens, so ``refresh`` (every few seconds in ``watchbot run``) reads them again
and takes what another process changed.

The chat follows its own watchlist through an ordinary subscription (in the chat's mode), so
instant alerts, digests, /mode, /pause and quiet hours treat it like any other.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from rapidfuzz import fuzz, process, utils

from bot.digest.build import PendingMatch
from bot.items.normalize import Item
from bot.store.protocols import Mute, Store
from bot.watch import Matcher, RuleBook, Term, Verdict, Watchlist
from bot.watch.personal import MUTE, PhraseInfo, clean, describe, hashtags, personal_id, personal_watchlist
from bot.watch.text import phrase_key

log = logging.getLogger("watchbot.phrases")

SAMPLE = 500  # stored items a new phrase is tried on ("too common")
COMMON_SHARE = 0.05  # a phrase that hits more than this share of them is too common to be useful
SAMPLE_TTL = 60.0  # seconds the sample is reused
MIN_SAMPLE = 30  # stored items below which a share says nothing ("0 of the last 2" beside "it would hit most")
SYNC_REBUILD = 5_000  # phrases up to which the combined matcher is rebuilt in the caller's thread


@dataclass(frozen=True, slots=True)
class Watched:
    """The outcome of /watch: ``status`` is added, known (already watched), full or invalid."""

    status: str
    info: PhraseInfo
    count: int = 0  # the chat's phrases after the change
    share: float | None = None  # of the sample of stored items it hits (None: no items stored yet)
    sample: int = 0
    existing: str = ""  # known: the phrase as the chat watches it (台積電 for 台积电 typed)

    @property
    def common(self) -> bool:
        return self.share is not None and self.share > COMMON_SHARE


class Phrases:
    """Every chat's phrases and mutes in memory, the combined matcher, and the commands' use-cases."""

    def __init__(self, store: Store, rules: RuleBook, *, clock: Callable[[], datetime], max_watch: int = 50,
                 sync_rebuild: int = SYNC_REBUILD) -> None:
        self.store = store
        self.rules = rules
        self.clock = clock
        self.max_watch = max_watch
        self.sync_rebuild = sync_rebuild
        self._phrases: dict[int, tuple[str, ...]] = {}
        self._mutes: dict[int, tuple[Mute, ...]] = {}
        self._version = 0
        self._edits = 0  # changes made through this object (``refresh`` drops a read that one overtook)
        self._lock = threading.Lock()
        self._combined: Matcher | None = None
        self._built: tuple[int, int] = (-1, -1)  # (id of the rules' matcher, version) of _combined
        self._building = False
        self._mute_matcher = Matcher(())
        self._mute_version = -1
        self._mute_gen = 0
        self._sample: tuple[float, list[Item]] | None = None
        self._muted_cache: tuple[str, frozenset[int]] | None = None

    # --- loading and the combined matcher ---------------------------------------------------------

    def load(self) -> None:
        """Read every active chat's phrases and mutes (store thread; once at start-up)."""
        phrases, mutes = self.store.phrases.all_phrases(), self.store.phrases.all_mutes()
        with self._lock:
            self._phrases, self._mutes = phrases, mutes
            self._version += 1
            self._mute_gen += 1
            self._muted_cache = None

    def refresh(self) -> bool:
        """Read every chat's phrases and mutes again and keep them when they differ: what another process sharing the
        store changed (the leader answers /watch and /mute; the followers poll, match and screen with their own copy),
        and chats that left (blocked the bot). True when something changed. Store thread; ``watchbot run`` calls it
        every few seconds. A change this process makes meanwhile wins: the read is dropped, the next one counts."""
        with self._lock:
            edits = self._edits
        phrases, mutes = self.store.phrases.all_phrases(), self.store.phrases.all_mutes()
        with self._lock:
            if edits != self._edits:
                return False
            changed = False
            if phrases != self._phrases:
                self._phrases = phrases
                self._version += 1
                changed = True
            if mutes != self._mutes:
                self._mutes = mutes
                self._mute_gen += 1
                self._muted_cache = None
                changed = True
        return changed

    def moved(self, old: int, new: int) -> None:
        """A group became a supergroup: its phrases and mutes are read again under the new id (store thread)."""
        self.load()

    @property
    def phrase_count(self) -> int:
        return sum(len(ps) for ps in self._phrases.values())

    def matcher(self) -> Matcher:
        """The shared watchlists and every chat's own, compiled together (the pipeline's matcher)."""
        base = self.rules.matcher
        if not self._phrases:
            return base  # (no chat has phrases: the shared lists alone)
        with self._lock:
            wanted = (id(base), self._version)
            if self._combined is not None and self._built == wanted:
                return self._combined
            if self._combined is None or self.phrase_count <= self.sync_rebuild:
                return self._rebuild_locked(base)
            if not self._building:
                self._building = True
                threading.Thread(target=self._rebuild_in_background, name="phrases-rebuild", daemon=True).start()
            return self._combined

    def rebuild(self) -> Matcher:
        """Rebuild now, whatever the size (start-up, benchmarks)."""
        with self._lock:
            return self._rebuild_locked(self.rules.matcher)

    def _rebuild_locked(self, base: Matcher) -> Matcher:
        started = time.perf_counter()
        self._combined = _combined(base, self._phrases)
        self._built = (id(base), self._version)
        log.debug("phrases: matcher rebuilt with %d chats' phrases in %.2f s", len(self._phrases),
                  time.perf_counter() - started)
        return self._combined

    def _rebuild_in_background(self) -> None:
        try:
            while True:
                base = self.rules.matcher
                with self._lock:
                    version, phrases = self._version, dict(self._phrases)
                combined = _combined(base, phrases)
                with self._lock:
                    self._combined, self._built = combined, (id(base), version)
                    if version == self._version and base is self.rules.matcher:
                        return
        except Exception:
            log.exception("phrases: rebuilding the matcher failed; the previous one keeps matching")
        finally:
            self._building = False

    def _changed(self, chat_id: int, phrases: Sequence[str] | None = None, mutes: Sequence[Mute] | None = None) -> None:
        with self._lock:
            self._edits += 1
            if phrases is not None:
                if phrases:
                    self._phrases[chat_id] = tuple(phrases)
                else:
                    self._phrases.pop(chat_id, None)
                self._version += 1
            if mutes is not None:
                if mutes:
                    self._mutes[chat_id] = tuple(mutes)
                else:
                    self._mutes.pop(chat_id, None)
                self._mute_gen += 1
                self._muted_cache = None

    # --- /watch, /unwatch --------------------------------------------------------------------------

    async def phrases(self, chat_id: int) -> list[str]:
        return await self.store.run(self.store.phrases.phrases, chat_id)

    async def explain(self, chat_id: int, title: str) -> Verdict | None:
        """The chat's own phrases on ``title``, explained (what /test shows beside the shared watchlists); None
        when the chat watches no phrase. A small Matcher of its phrases alone, off the event loop."""
        phrases = await self.phrases(chat_id)
        if not phrases:
            return None
        own = Matcher([personal_watchlist(chat_id, phrases)])
        verdicts = await asyncio.to_thread(own.explain, {"title": title, "lede": ""})
        return verdicts[0]

    async def watch(self, chat_id: int, text: str) -> Watched:
        """Add a phrase to the chat's own watchlist (created, and followed in the chat's mode, on first use)."""
        info = describe(clean(text))
        if info.empty or info.too_long:
            return Watched("invalid", info)
        watched = await self.store.run(self._watch, chat_id, info)
        if watched.status != "added":
            return watched
        # How common the phrase is, off the store's thread: tried there on 500 stored items, each /watch held every
        # other chat's store call (a /help's too) behind it; 300 users' /watch had kept others waiting for minutes
        share, sample = await self._share(info.phrase)
        return dataclasses.replace(watched, share=share, sample=sample)

    def _watch(self, chat_id: int, info: PhraseInfo) -> Watched:
        now = self.clock()
        with self.store.transaction():
            current = self.store.phrases.phrases(chat_id)
            own = personal_id(chat_id)
            if current and all(s.watchlist != own for s in self.store.chats.subscriptions(chat_id)):
                self.store.chats.subscribe(chat_id, own, now=now)  # (dropped by /unsubscribe all: followed again)
            if same := [p for p in current if phrase_key(p) == info.key]:
                return Watched("known", info, len(current), existing=same[0])
            if len(current) >= self.max_watch:
                return Watched("full", info, len(current))
            self.store.phrases.add(chat_id, info.phrase, info.key, now=now)
            if not current:
                self.store.chats.subscribe(chat_id, own, now=now)
            phrases = [*current, info.phrase]
        self._changed(chat_id, phrases=phrases)
        return Watched("added", info, len(phrases))

    async def _share(self, phrase: str) -> tuple[float | None, int]:
        """The share of the last stored items the phrase hits: the sample read in the store's thread (kept a while),
        the matching in a worker thread."""
        now = time.monotonic()
        if self._sample is None or now - self._sample[0] > SAMPLE_TTL:
            self._sample = (now, await self.store.run(self.store.items.latest, SAMPLE))
        items = self._sample[1]
        if len(items) < MIN_SAMPLE:
            return None, len(items)

        def count() -> int:
            probe = Matcher([Watchlist(id="probe", name="probe", any=(Term(phrase),))])
            return sum(1 for i in items if probe.match({"title": i.title, "lede": i.lede}))

        return await asyncio.to_thread(count) / len(items), len(items)

    async def unwatch(self, chat_id: int, text: str | None) -> int:
        """Remove one phrase (by its folded form) or all (None); returns how many were removed. A phrase stored with
        a hashtag's # (before /watch dropped it) is found as typed too."""
        if text is None:
            return await self.store.run(self._unwatch, chat_id, None)
        removed = await self.store.run(self._unwatch, chat_id, phrase_key(clean(text)))
        if not removed and hashtags(text):
            removed = await self.store.run(self._unwatch, chat_id, phrase_key(clean(text, tags=False)))
        return removed

    def _unwatch(self, chat_id: int, key: str | None) -> int:
        with self.store.transaction():
            removed = self.store.phrases.remove(chat_id, key)
            phrases = self.store.phrases.phrases(chat_id)
            if not phrases:
                self.store.chats.unsubscribe(chat_id, personal_id(chat_id))
        if removed:
            self._changed(chat_id, phrases=phrases)
        return removed

    # --- /mute, /unmute ----------------------------------------------------------------------------

    async def mutes(self, chat_id: int) -> list[Mute]:
        return await self.store.run(self.store.phrases.mutes, chat_id)

    async def mute(self, chat_id: int, kind: str, text: str) -> tuple[str, PhraseInfo]:
        """Mute a phrase or a feed (kind 'source', by its name, URL or host): "added", "known" (muted already) or
        "full" (the chat mutes ``max_watch`` phrases and sources already: each is checked on every alert)."""
        value = clean(text, tags=kind == "phrase")  # (a feed's name is matched as it is, # and all)
        info = describe(value)
        key = info.key if kind == "phrase" else source_key(value)
        return await self.store.run(self._mute, chat_id, kind, value, key), info

    def _mute(self, chat_id: int, kind: str, value: str, key: str) -> str:
        with self.store.transaction():
            current = self.store.phrases.mutes(chat_id)
            if any(m.kind == kind and m.key == key for m in current):
                return "known"
            if len(current) >= self.max_watch:
                return "full"
            self.store.phrases.mute(chat_id, kind, value, key, now=self.clock())
            mutes = self.store.phrases.mutes(chat_id)
        self._changed(chat_id, mutes=mutes)
        return "added"

    async def unmute(self, chat_id: int, kind: str | None, text: str | None) -> int:
        """Unmute a phrase or a feed, or everything (kind None)."""
        key = None if text is None else (phrase_key(clean(text)) if kind == "phrase"
                                         else source_key(clean(text, tags=False)))
        removed = await self.store.run(self._unmute, chat_id, kind, key)
        if not removed and text is not None and kind == "phrase" and hashtags(text):  # (muted before # was dropped)
            removed = await self.store.run(self._unmute, chat_id, kind, phrase_key(clean(text, tags=False)))
        return removed

    def _unmute(self, chat_id: int, kind: str | None, key: str | None) -> int:
        removed = self.store.phrases.unmute(chat_id, kind, key)
        self._changed(chat_id, mutes=self.store.phrases.mutes(chat_id))
        return removed

    async def sources(self, near: str = "") -> list[str]:
        """The feeds' names, for /mute source, in alphabetical order; with ``near``, only those close to it (a name
        typed in part or with a typo), the closest first."""
        names = sorted({f.label for f in await self.store.run(self.store.feeds.all)}, key=str.casefold)
        if not near:
            return names
        ranked = process.extract(near, names, scorer=fuzz.WRatio, processor=utils.default_process, limit=None,
                                 score_cutoff=CLOSE)
        return [names[index] for _, _, index in sorted(ranked, key=lambda r: (-r[1], r[2]))]

    async def source(self, text: str) -> str | None:
        """What /mute source keeps for ``text``: a feed's name as the feed has it, or ``text`` itself when it is a
        feed's address or host ("reuters.com" for www.reuters.com too); None when no feed goes by it."""
        key = source_key(text)
        if text.startswith(("http://", "https://", "/")):
            return text  # (an address: kept as given, even for a feed not added yet)
        feeds = await self.store.run(self.store.feeds.all)
        for feed in feeds:
            if source_key(feed.label) == key:
                return feed.label
            if key in _hosts(feed.url):
                return text
        # Part of one feed's name, in either Chinese script: "經濟日報" for "經濟日報 Economic Daily News 產業新聞…",
        # "RFI 華語" for "RFI 华语" (a whole name of 20 words is no one's to type)
        part = phrase_key(text)
        named = {f.label for f in feeds if part and _names_part(phrase_key(f.label), part)}
        return named.pop() if len(named) == 1 else None

    def muted(self, chat_id: int, item: Item) -> bool:
        """Whether the chat muted a phrase this item holds or the feed it came from."""
        mutes = self._mutes.get(chat_id)
        if not mutes:
            return False
        sources = {source_key(s) for s in (item.feed_title, item.feed_url) if s} | _hosts(item.feed_url)
        if any(m.kind == "source" and m.key in sources for m in mutes):
            return True
        return chat_id in self._muted_by(item)

    def wanted(self, chat_id: int) -> Callable[[PendingMatch], bool]:
        """Whether a match waiting for the chat's digest still reaches it: not muted since (a phrase it holds, or the
        feed it came from), and, when it is a match of the chat's own phrases, still a match of them: a phrase
        unwatched after its matches were held over the hourly cap (or kept for a digest-mode chat) takes them with
        it, so that /unwatch of a phrase that flooded the chat leaves no digest of what it matched. Store thread."""
        own = personal_id(chat_id)
        mutes = self._mutes.get(chat_id, ())
        sources = {m.key for m in mutes if m.kind == "source"}
        phrases = self._phrases.get(chat_id, ())
        matcher = Matcher((), phrase_lists={own: phrases}) if phrases else None

        def wants(pending: PendingMatch) -> bool:
            if sources and not sources.isdisjoint(
                    {source_key(s) for s in (*pending.feeds[:1], pending.feed_url) if s} | _hosts(pending.feed_url)):
                return False
            if mutes and chat_id in self._muted_in(pending.identity, pending.title, pending.lede):
                return False
            if pending.watchlist != own:
                return True
            return matcher is not None and matcher.match({"title": pending.title, "lede": pending.lede}) != []

        return wants

    def _muted_by(self, item: Item) -> frozenset[int]:
        """Chats with a muted phrase in this item: one pass over every chat's mutes (cached per item)."""
        return self._muted_in(item.identity, item.title, item.lede)

    def _muted_in(self, identity: str, title: str, lede: str) -> frozenset[int]:
        cached = self._muted_cache
        if cached is not None and cached[0] == identity:
            return cached[1]
        with self._lock:
            if self._mute_version != self._mute_gen:
                phrases = {c: [m.value for m in ms if m.kind == "phrase"] for c, ms in self._mutes.items()}
                self._mute_matcher = Matcher((), phrase_lists={f"{MUTE}{c}": ps for c, ps in phrases.items()})
                self._mute_version = self._mute_gen
            matcher = self._mute_matcher
        chats = frozenset(int(m.watchlist[len(MUTE):]) for m in matcher.match({"title": title, "lede": lede}))
        self._muted_cache = (identity, chats)
        return chats



def _combined(base: Matcher, phrases: Mapping[int, Sequence[str]]) -> Matcher:
    """The shared watchlists of ``base`` and every chat's phrases (``chat:<id>``) in one Matcher."""
    return Matcher(base.watchlists, phrase_lists={personal_id(c): ps for c, ps in phrases.items()},
                   disabled=base.disabled)


CLOSE = 70  # rapidfuzz WRatio from which a feed's name is offered for one /mute source does not know ("Reuter")


def _hosts(url: str) -> set[str]:
    """The host names a feed's address answers to in /mute source: its host, and without "www."."""
    host = (urlsplit(url).hostname or "").casefold()
    return {host, host.removeprefix("www.")} - {""}


_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _names_part(name: str, part: str) -> bool:
    """Whether folded ``part`` is in folded feed ``name`` from a word's start (Chinese: anywhere, two characters or
    more), so that "rfi" names "RFI 华语" and "co" no "Reuters.com"."""
    if _CJK.search(part):
        return len(part) >= 2 and part in name
    return len(part) >= 3 and re.search(rf"(?<![^\W_]){re.escape(part)}", name) is not None


def source_key(name: str) -> str:
    """A feed's name or URL as compared by /mute source: folded, without a trailing slash."""
    return " ".join(name.casefold().split()).rstrip("/")
