"""Build a digest from a recipient's pending matches. Pure: values in, a Digest out, `now` passed in.

    pending matches | one story per identity | section by watchlist | newest first | times in the zone

A story that matched several of the recipient's watchlists is listed once, in the section of the
first of them in the recipient's order, and names the others ("also matched"). A story carried by
several feeds is listed once with its first feed as the source and "also in: ..." for the rest.
Feed text is cleaned to one line here (no control characters, no line breaks), so that no
formatter, header or template ever sees a raw CR or LF from a feed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import DEFAULT, t
from bot.items.normalize import language_of
from bot.markup import one_line, safe_link
from bot.times import zone as zone_of
from bot.watch.explain import fewest

TITLE_MAX = 300  # characters; longer feed titles are cut with an ellipsis
LEDE_MAX = 280


@dataclass(frozen=True, slots=True)
class PendingMatch:
    """One stored match waiting for a recipient's digest, joined with its item and sightings."""

    match_id: int  # the matches row; recorded as delivered to the recipient once sent
    identity: str
    watchlist: str
    matched_at: datetime
    title: str
    link: str | None
    lede: str
    published: datetime | None
    feeds: tuple[str, ...]  # the feeds that carried the story, first sighting first
    terms: tuple[str, ...] = ()  # the matched texts that explain the match
    story: str = ""  # the story the item belongs to (items of one story are listed once); "" = its own
    feed_url: str = ""  # the feed that first carried the item (a chat's /mute source by address or host)
    source: str = ""  # that feed's name: the outlet this item's headline is credited to ("": the story's first)


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One story as a digest lists it."""

    identity: str
    title: str
    link: str | None
    lede: str
    source: str
    also_in: tuple[str, ...]
    when: datetime  # published (or first matched) time, in the recipient's zone
    also_matched: tuple[str, ...]  # the recipient's other watchlists (display names) it matched
    terms: tuple[str, ...]
    match_ids: tuple[int, ...] = ()  # the matches this listing settles


@dataclass(frozen=True, slots=True)
class DigestSection:
    """The stories of one watchlist, newest first."""

    watchlist: str
    name: str
    items: tuple[DigestItem, ...]

    @property
    def count(self) -> int:
        return len(self.items)


@dataclass(frozen=True, slots=True)
class Digest:
    """What one recipient receives: sections by watchlist, and the matches it covers."""

    recipient: str
    zone: str
    created: datetime  # `now`, in the recipient's zone
    since: datetime | None  # the window start, in the recipient's zone (None: from the beginning)
    sections: tuple[DigestSection, ...]
    match_ids: tuple[int, ...]  # every pending match this digest settles, listed or not

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)

    @property
    def empty(self) -> bool:
        return self.total == 0

    def counts(self) -> list[tuple[str, int]]:
        """(watchlist name, stories) for each non-empty section, in order."""
        return [(s.name, s.count) for s in self.sections if s.count]

    def subject(self, brand: str = "Watchbot digest", lang: str = DEFAULT) -> str:
        """A one-line subject with the date and counts, e.g. 'Watchbot digest 2026-03-27: 3 stories (ASML 2, …)'."""
        day = f"{self.created:%Y-%m-%d}"
        if self.empty:
            return one_line(t(lang, "mail.subject_empty", brand=brand, day=day))
        parts = t(lang, "separator").join(f"{name} {n}" for name, n in self.counts())
        return one_line(t(lang, "mail.subject", brand=brand, day=day, count=self.total, parts=parts))

    def zone_label(self) -> str:
        """The zone as a reader knows it: 'Asia/Shanghai (CST, UTC+08:00)'."""
        offset = self.created.strftime("%z")
        sign, hours, minutes = offset[:1], offset[1:3], offset[3:5]
        abbr = self.created.tzname() or ""
        utc = f"UTC{sign}{hours}:{minutes}"
        if abbr and abbr[0].isalpha() and abbr != "UTC" and abbr not in AMBIGUOUS_ZONE_NAMES:
            return f"{self.zone} ({abbr}, {utc})"
        return f"{self.zone} ({utc})"


# Zone abbreviations that name several zones: CST is China's and the US Central's, IST India's, Israel's and Ireland's
# (a reader in Taipei read "CST" as Chicago's); the zone's name and offset say it alone.
AMBIGUOUS_ZONE_NAMES = frozenset({"CST", "CDT", "IST", "BST", "AST", "GST"})


def build_digest(recipient: str, pending: Sequence[PendingMatch], *, watchlists: Sequence[str], zone: str,
                 now: datetime, since: datetime | None = None, names: Mapping[str, str] | None = None,
                 send_empty: bool = False, lang: str | None = None) -> Digest | None:
    """The digest for ``recipient``, or None when nothing is pending and ``send_empty`` is off.

    ``watchlists`` is the recipient's order of sections (an empty sequence: every watchlist seen,
    sorted by id). Matches of other watchlists are ignored but still settled by the digest. A story is headed by its
    report in the reader's ``lang`` where it has one, else its earliest (it had been the first matched, so an English
    digest could lead with the Chinese report, and another run with another outlet).
    """
    tz = zone_of(zone)
    names = names or {}
    order = list(dict.fromkeys(watchlists)) or sorted({m.watchlist for m in pending})
    rank = {w: i for i, w in enumerate(order)}
    mine = [m for m in pending if m.watchlist in rank]

    by_story: dict[str, list[PendingMatch]] = {}
    for m in mine:  # each story once, whichever of its items matched (the first to match speaks for it)
        by_story.setdefault(m.story or m.identity, []).append(m)

    placed: dict[str, list[DigestItem]] = {w: [] for w in order}
    sort_key: dict[str, datetime] = {}
    want = None if lang is None else "zh" if lang.startswith("zh") else "en"
    for identity, group in by_story.items():
        group.sort(key=lambda m: (rank[m.watchlist], m.matched_at, m.match_id))
        home = group[0].watchlist  # (the section: the first of the reader's watchlists that it matched)
        first = min(group, key=lambda m: (want is not None and language_of(m.title) != want, _story_time(m, now),
                                          m.match_id))
        when = _story_time(first, now)
        feeds = tuple(dict.fromkeys(one_line(f) for f in first.feeds if one_line(f)))
        source = one_line(first.source) or (feeds[0] if feeds else "")  # (the headline's own outlet, with its time)
        feeds = (source, *(f for f in feeds if f != source)) if source else feeds
        # the terms in the text shown (the story's other reports' terms had been listed beside a lede without them)
        shown = [m for m in group if m.identity == first.identity] or group
        terms = tuple(fewest(one_line(t) for m in shown for t in m.terms if one_line(t)))
        placed[home].append(DigestItem(
            identity=identity, title=one_line(first.title, TITLE_MAX) or "(untitled)", link=safe_link(first.link),
            lede=one_line(first.lede, LEDE_MAX), source=source, also_in=feeds[1:], when=when.astimezone(tz),
            also_matched=tuple(dict.fromkeys(_name(m.watchlist, names) for m in group
                                             if m.watchlist != home)), terms=terms,
            match_ids=tuple(sorted(m.match_id for m in group)),
        ))
        sort_key[identity] = when

    sections = tuple(
        DigestSection(watchlist=w, name=_name(w, names),
                      items=tuple(sorted(placed[w], key=lambda i: (sort_key[i.identity], i.identity), reverse=True)))
        for w in order
    )
    digest = Digest(recipient=recipient, zone=zone, created=now.astimezone(tz),
                    since=since.astimezone(tz) if since else None,
                    sections=tuple(s for s in sections if s.count),
                    match_ids=tuple(sorted(m.match_id for m in pending)))
    if digest.empty and not send_empty:
        return None
    return digest


def _story_time(m: PendingMatch, now: datetime) -> datetime:
    """Published time when it is plausible (not in the future), else when it matched."""
    if m.published is not None and m.published <= now + timedelta(hours=1):
        return m.published
    return m.matched_at


def _name(watchlist: str, names: Mapping[str, str]) -> str:
    return one_line(names.get(watchlist) or watchlist)
