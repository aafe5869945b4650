"""Recent alerts for people: search, filter by watchlist and chat, each with why it matched and how the
chat's people judged it (👍/👎 under a Telegram alert). Use-case: store reads. The web's alerts page shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.markup import one_line, safe_link
from bot.store.protocols import AlertRecord, OutboxRow, Store
from bot.watch import Match, Watchlist
from bot.watch.explain import explain, hits_from_json
from bot.watch.personal import owner
from bot.watch.text import spellings

EVER = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class AlertView:
    identity: str
    title: str
    link: str | None  # http(s) only: a feed's javascript: link is no link
    outlets: tuple[str, ...]
    channel: str
    target: str
    chat: str  # the chat's title, or the target
    state: str
    created_at: datetime
    last_error: str | None
    why: tuple[tuple[str, tuple[str, ...]], ...]  # (watchlist, explanation lines)
    ups: int = 0  # people of the chat who judged the alert's story relevant (👍) ...
    downs: int = 0  # ... and not relevant (👎)
    published: datetime | None = None  # the item's publication time (UTC), when its feed gave one


# How the people of each alert's chat judged it: (channel, target, story) -> verdict ("up" 👍, "down" 👎) -> people
Judged = dict[tuple[str, str, str], dict[str, int]]


def judgments_of(store: Store, rows: Sequence[OutboxRow]) -> Judged:
    """The judgments of these alerts (``Judged``). Store thread. Judgments come after their alert, so the oldest
    row bounds the read."""
    out: Judged = {}
    if rows:
        for j in store.judgments.all(since=min(r.created_at for r in rows)):
            votes = out.setdefault(("telegram", str(j.chat_id), j.story), {})
            votes[j.verdict] = votes.get(j.verdict, 0) + 1
    return out


class RecentAlerts:
    def __init__(self, store: Store, watchlists: Callable[[], tuple[Watchlist, ...]]) -> None:
        self.store = store
        self.watchlists = watchlists

    async def search(self, *, text: str = "", watchlist: str = "", chat: str = "", limit: int = 100) -> list[AlertView]:
        """What the web's alerts page shows for its filters (one_line: a control character in a crafted URL, which
        PostgreSQL refuses in a query, is a space)."""
        known = {w.id: w for w in self.watchlists()}
        return await self.store.run(self._search, one_line(text), one_line(watchlist), one_line(chat), limit, known)

    async def chats(self) -> list[tuple[str, str]]:
        """(target, label) of every chat, for the filter."""
        chats = await self.store.run(self.store.chats.all)
        return [(str(c.chat_id), c.title or str(c.chat_id)) for c in chats]

    def _search(self, text: str, watchlist: str, chat: str, limit: int,
                known: dict[str, Watchlist]) -> list[AlertView]:
        rows = [a.row for a in recent(self.store, EVER, search=text or None, watchlist=watchlist or None,
                                      target=chat or None, limit=limit)]
        items = self.store.items.get(list(dict.fromkeys(r.identity for r in rows)))
        titles = {str(c.chat_id): c.title for c in self.store.chats.all()}
        judged = judgments_of(self.store, rows)
        hits: dict[str, dict[str, list[dict[str, object]]]] = {}
        out = []
        for r in rows:
            stored = items.get(r.identity)
            if stored is None:
                continue
            if r.identity not in hits:
                hits[r.identity] = self.store.items.match_hits(r.identity)
            why = []
            for w in r.watchlists:
                found = hits[r.identity].get(w)
                lines = explain(Match(w, 100.0, hits_from_json(found)), known.get(w)) if found else []
                of = owner(w)  # (the chat's own phrases: "chat:5" says nothing to a reader)
                why.append((f"chat {of}'s own phrases" if of is not None else w, tuple(lines)))
            outlets = tuple(self.store.items.outlets(r.story)) or tuple(
                dict.fromkeys(name or url for url, name, _ in stored.sightings))
            votes = judged.get((r.channel, r.target, r.story), {})
            out.append(AlertView(r.identity, stored.item.title, safe_link(stored.item.link), outlets, r.channel,
                                 r.target, titles.get(r.target) or r.target, r.state, r.created_at, r.last_error,
                                 tuple(why), votes.get("up", 0), votes.get("down", 0), stored.item.published))
        return out


def recent(store: Store, since: datetime, *, search: str | None = None, watchlist: str | None = None,
           target: str | None = None, limit: int = 100) -> list[AlertRecord]:
    """``store.outbox.recent`` for every spelling of ``search`` (Simplified and Traditional alike: 半导体 finds 半導體,
    as matching does), newest first (store thread)."""
    found: dict[int, AlertRecord] = {}
    for spelling in spellings(search) if search else [None]:
        for a in store.outbox.recent(since, search=spelling, watchlist=watchlist, target=target, limit=limit):
            found.setdefault(a.row.id, a)
    return sorted(found.values(), key=lambda a: (a.row.created_at, a.row.id), reverse=True)[:limit]
