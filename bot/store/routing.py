"""Who gets an instant alert, from the subscriptions both stores read (``ChatStore.instant_recipients``). Pure."""

from __future__ import annotations

from collections.abc import Iterable


def instant_alerted(rows: Iterable[tuple[str, str, str]]) -> dict[str, tuple[str, ...]]:
    """(chat, watchlist, mode) of the matched watchlists' subscriptions -> {chat: every one it follows} for the chats
    that follow one instantly: a story alerted to a chat names every matched watchlist it follows, those it gets as a
    digest too (the digest then leaves the story out, as it reaches each chat once)."""
    followed: dict[str, list[str]] = {}
    instant: set[str] = set()
    for chat, watchlist, mode in rows:
        followed.setdefault(chat, []).append(watchlist)
        if mode == "instant":
            instant.add(chat)
    return {chat: tuple(ids) for chat, ids in followed.items() if chat in instant}
