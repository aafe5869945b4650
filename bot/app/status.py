"""What the service knows of itself, for people: feed health and delivery counts. Use-case: store reads.

The CLI (`watchbot feeds`, `watchbot alerts`), Telegram's admin commands (/feeds, /stats) and /healthz read these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.app.recent_alerts import Judged, judgments_of, recent
from bot.store.protocols import AlertRecord, DeadLetter, FeedState, Store, StoryMember
from bot.stories import news_time, story_text
from bot.stories.likeness import Likeness, most_alike
from bot.times import utcnow


@dataclass(frozen=True, slots=True)
class Report:
    """One report of a story: where it ran, its title, when it was published (if its feed says) and first seen."""

    outlet: str
    title: str
    published_at: datetime | None
    first_seen_at: datetime
    # With ``explain``: the other report of the story it is most alike (its outlet), and how (bot.stories.likeness)
    alike: str | None = None
    likeness: Likeness | None = None


@dataclass(frozen=True, slots=True)
class Story:
    """A story as people read it: its first report, every outlet and language, how many reports."""

    id: str
    title: str
    first_seen_at: datetime
    outlets: tuple[str, ...]
    languages: tuple[str, ...]
    reports: int
    each: tuple[Report, ...] = ()  # every report by news time (group_stories), to see what was joined
    published_at: datetime | None = None  # the first report's, as its feed gives it


def group_stories(members: list[StoryMember], *, explain: bool = False) -> list[Story]:
    """Stories from their members, newest story first (by its first report's news time: a first poll's archive
    comes in publication order, not in the order of its feeds); in each, its reports by news time (when published, never
    later than first seen: a first poll sees weeks of archive at once), the first one's title the story's.
    ``explain``: each report after the first names the other one it is most alike, and what they share."""
    by_story: dict[str, list[StoryMember]] = {}
    for m in sorted(members, key=_news_time):
        by_story.setdefault(m.story, []).append(m)
    stories = [Story(id=story, title=group[0].title, first_seen_at=min(m.first_seen_at for m in group),
                     outlets=tuple(dict.fromkeys(m.feed_name or m.feed_url for m in group)),
                     languages=tuple(dict.fromkeys(m.language for m in group)), reports=len(group),
                     each=_reports(group, explain), published_at=group[0].published_at)
               for story, group in by_story.items()]
    news = {story: _news_time(group[0])[0] for story, group in by_story.items()}
    return sorted(stories, key=lambda s: (news[s.id], s.first_seen_at), reverse=True)


def _reports(group: list[StoryMember], explain: bool) -> tuple[Report, ...]:
    alike = most_alike([(story_text(m.title, m.lede), m.language) for m in group]) if explain and len(group) > 1 else []
    out = []
    for n, m in enumerate(group):
        why = alike[n] if n < len(alike) else None
        out.append(Report(m.feed_name or m.feed_url, m.title, m.published_at, m.first_seen_at,
                          alike=None if why is None else group[why.index].feed_name or group[why.index].feed_url,
                          likeness=None if why is None else why.likeness))
    return tuple(out)


def _news_time(m: StoryMember) -> tuple[datetime, datetime, str]:
    return news_time(m.first_seen_at, m.published_at), m.first_seen_at, m.identity


@dataclass(frozen=True, slots=True)
class Stats:
    outbox: dict[str, dict[str, int]]  # channel -> state -> count
    dead_reasons: list[tuple[str, int]]  # the most common dead-letter reasons
    feeds: list[FeedState]
    chats: dict[str, int]  # active, inactive, paused, subscriptions
    stories: tuple[int, int] = (0, 0)  # stories and the reports they hold, first seen in the last day
    dead_digests: tuple[DeadLetter, ...] = ()  # the last digest each recipient lost for good, newest first

    @property
    def failing(self) -> list[FeedState]:
        return [f for f in self.feeds if f.consecutive_failures]


class Status:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def feeds(self) -> list[FeedState]:
        return await self.store.run(self.store.feeds.all)

    async def stats(self) -> Stats:
        return await self.store.run(self.stats_now)

    def stats_now(self, now: datetime | None = None) -> Stats:
        day = group_stories(self.store.items.story_members((now or utcnow()) - timedelta(days=1)))
        dead = {d.key: d for d in self.store.digests.dead_letters()}.values()  # (the last of each recipient)
        return Stats(outbox=self.store.outbox.counts_by_channel(), dead_reasons=self.store.outbox.dead_reasons(),
                     feeds=self.store.feeds.all(), chats=self.store.chats.counts(),
                     stories=(len(day), sum(s.reports for s in day)),
                     dead_digests=tuple(sorted(dead, key=lambda d: d.at, reverse=True)))

    async def stories(self, since: datetime, *, explain: bool = False) -> list[Story]:
        """Stories with a report first seen since ``since``, newest first (``explain``: see ``group_stories``)."""
        return group_stories(await self.store.run(self.store.items.story_members, since), explain=explain)

    async def outbox(self) -> dict[str, int]:
        return await self.store.run(self.store.outbox.counts)

    async def alerts(self, since: datetime, *, search: str | None = None, watchlist: str | None = None,
                     target: str | None = None, limit: int = 100) -> list[AlertRecord]:
        """What was alerted since ``since``, newest first, with what explains each match."""
        return await self.store.run(recent, self.store, since, search=search, watchlist=watchlist, target=target,
                                    limit=limit)

    async def judgments(self, alerts: Sequence[AlertRecord]) -> Judged:
        """How each alert's chat judged it (``bot.app.recent_alerts.Judged``)."""
        return await self.store.run(judgments_of, self.store, [a.row for a in alerts])
