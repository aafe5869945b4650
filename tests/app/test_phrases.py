"""Every chat's phrases ride in one Matcher with the shared watchlists, rebuilt when phrases or rules change."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app.phrases import Phrases
from bot.store.sqlite import SqliteStore
from bot.watch import RuleBook
from bot.watch.personal import clean, describe, hashtags, owner, personal_watchlist
from tests.store.contract import item as contract_item
from tests.waiting import eventually

NOW = datetime(2024, 3, 27, 12, 0, tzinfo=UTC)


def phrases_of(store: SqliteStore, rules_dir: Path, **kwargs: int) -> Phrases:
    p = Phrases(store, RuleBook(rules_dir), clock=lambda: NOW, **kwargs)
    p.load()
    return p


def chat(store: SqliteStore, chat_id: int) -> int:
    store.chats.ensure(chat_id, type="private", title="c", now=NOW)
    return chat_id


async def test_one_matcher_for_shared_lists_and_every_chat(store: SqliteStore, rules_dir: Path) -> None:
    phrases = phrases_of(store, rules_dir)
    assert phrases.matcher() is phrases.rules.matcher  # no phrases yet: the shared lists alone
    await phrases.watch(chat(store, 5), "Huawei")
    await phrases.watch(chat(store, 6), "半導體")
    matcher = phrases.matcher()
    assert matcher.list_ids == {"asml", "chips", "chat:5", "chat:6"}
    assert {w.id for w in matcher.watchlists} == {"asml", "chips"}  # (the chats' lists go as phrases: plain.py)
    found = {m.watchlist: m for m in matcher.match({"title": "ASML and Huawei on 半导体", "lede": ""})}
    assert set(found) == {"asml", "chat:5", "chat:6"}
    assert found["chat:6"].hits[0].text == "半导体" and found["chat:5"].hits[0].pattern == "Huawei"
    assert phrases.matcher() is matcher  # nothing changed: no rebuild
    await phrases.unwatch(5, "huawei")
    assert phrases.matcher().list_ids == {"asml", "chips", "chat:6"}


async def test_start_up_loads_every_active_chats_phrases(store: SqliteStore, rules_dir: Path) -> None:
    for chat_id, phrase in ((5, "gallium"), (6, "germanium"), (7, "ASML")):
        chat(store, chat_id)
        store.phrases.add(chat_id, phrase, phrase.lower(), now=NOW)
    store.chats.deactivate(7, "blocked", now=NOW)
    matcher = phrases_of(store, rules_dir).matcher()
    assert [m.watchlist for m in matcher.match({"title": "Gallium and germanium", "lede": ""})] == ["chat:5", "chat:6"]


async def test_many_phrases_rebuild_in_the_background_while_the_old_matcher_matches(
        store: SqliteStore, rules_dir: Path) -> None:
    phrases = phrases_of(store, rules_dir, sync_rebuild=0)
    await phrases.watch(chat(store, 5), "gallium")
    first = phrases.matcher()  # the first build happens in the caller
    await phrases.watch(5, "germanium")
    assert phrases.matcher() is first  # the call that starts the rebuild does not wait for it
    newer = await eventually(lambda: (m := phrases.matcher()) is not first and m, "the background rebuild")
    assert [m.watchlist for m in newer.match({"title": "germanium", "lede": ""})] == ["chat:5"]


async def test_a_rule_reload_rebuilds_the_combined_matcher(store: SqliteStore, rules_dir: Path) -> None:
    phrases = phrases_of(store, rules_dir)
    await phrases.watch(chat(store, 5), "gallium")
    (rules_dir / "extra.yaml").write_text("id: extra\nname: Extra\nany: [germanium]\n", encoding="utf-8")
    phrases.rules.refresh()
    assert "extra" in {w.id for w in phrases.matcher().watchlists}


@pytest.mark.parametrize(("phrase", "facts"), [
    ("Huawei", {"whole_words": True, "fuzzy": True, "chinese": False, "too_short": False}),
    ("SMIC", {"whole_words": True, "fuzzy": False}),
    ("半導體", {"chinese": True, "whole_words": False, "folded_chinese": True}),
    ("半导体", {"folded_chinese": False}),
    ("芯", {"too_short": True}),
    ("AI", {"too_short": True, "everyday": False}),  # (one warning: the shorter one)
    ("the", {"everyday": True, "too_short": False}),
    ("Of The", {"everyday": True}),
    ("我們", {"everyday": True}),  # folded to 我们
    ("the Fed", {"everyday": False}),
    ("Huawei", {"everyday": False}),
    ("a|b", {"looks_like_regex": True}),
    ("?!", {"empty": True}),
])
def test_what_a_phrase_will_match(phrase: str, facts: dict[str, bool]) -> None:
    info = describe(phrase)
    assert {k: getattr(info, k) for k in facts} == facts


@pytest.mark.parametrize(("typed", "phrase", "hashtag"), [
    ("#ASML", "ASML", True),
    ("#芯片#", "芯片", True),  # a Weibo topic
    ('"#ASML export"', "ASML export", True),
    ("ASML #chips", "ASML chips", True),
    ("C#", "C#", False),  # a # inside or after a word stays
    ("F#m chord", "F#m chord", False),
    ("#1 seed", "#1 seed", False),  # a number, not a hashtag
    ("ASML", "ASML", False),
])
def test_a_hashtag_means_the_word(typed: str, phrase: str, hashtag: bool) -> None:
    assert (clean(typed), hashtags(typed)) == (phrase, hashtag)


@pytest.mark.parametrize(("typed", "phrase"), [
    ("AS\u200bML", "ASML"),  # a zero-width space
    ("\u202eASML", "ASML"),  # a right-to-left override
    ("AS\x00ML\x1b", "ASML"),  # controls (PostgreSQL refuses NUL)
    ("export\tban\u3000now", "export ban now"),  # whitespace stays whitespace
])
def test_invisible_and_control_characters_are_not_part_of_a_phrase(typed: str, phrase: str) -> None:
    assert clean(typed) == phrase


def test_personal_watchlists_belong_to_their_chat() -> None:
    lists = [personal_watchlist(5, ["a b"]), personal_watchlist(-100, ["x"])]
    assert [(w.id, owner(w.id)) for w in lists] == [("chat:5", 5), ("chat:-100", -100)]
    assert owner("asml") is None and owner("chat:x") is None


async def test_a_process_follows_the_phrases_and_mutes_another_process_changed(
        store: SqliteStore, rules_dir: Path) -> None:
    """Two processes on one store (the leader answers /watch and /mute; every process polls): each holds its own
    copy, and ``refresh`` brings in what the other changed."""
    leader, follower = phrases_of(store, rules_dir), phrases_of(store, rules_dir)
    item = {"title": "Gallium exports resume", "lede": "Bitcoin miners react."}
    await leader.watch(chat(store, 5), "gallium")
    assert follower.matcher().match(item) == []  # not read yet
    assert follower.refresh() is True
    assert [m.watchlist for m in follower.matcher().match(item)] == ["chat:5"]
    assert follower.refresh() is False  # nothing new: the matcher stays
    matcher = follower.matcher()
    await leader.mute(5, "phrase", "bitcoin")
    held = dataclasses.replace(contract_item(1), title=item["title"], lede=item["lede"])
    assert not follower.muted(5, held)
    assert follower.refresh() is True and follower.muted(5, held)
    assert follower.matcher() is matcher  # a mute changes no phrase: no rebuild
    store.chats.deactivate(5, "blocked", now=NOW)  # a chat that blocked the bot leaves every process's matcher
    assert follower.refresh() is True and follower.matcher().match(item) == []


async def test_a_source_muted_by_its_host_is_muted_in_alerts_and_digests(store: SqliteStore, rules_dir: Path) -> None:
    from bot.digest.build import PendingMatch

    phrases = phrases_of(store, rules_dir)
    store.feeds.sync([("https://www.reuters.com/world/rss", "Reuters World News"), ("https://ap.example/rss", "AP")])
    assert await phrases.source("reuters.com") == "reuters.com"  # its host, with or without www.
    assert await phrases.source("reuters world news") == "Reuters World News"  # its name, as the feed has it
    assert await phrases.source("Reuters") == "Reuters World News"  # part of one feed's name, from a word's start
    assert await phrases.source("euters") is None and await phrases.source("BBC") is None
    assert await phrases.sources(near="Reuter") == ["Reuters World News"]
    assert (await phrases.mute(chat(store, 5), "source", "reuters.com"))[0] == "added"
    wire = dataclasses.replace(contract_item(1), feed_url="https://www.reuters.com/world/rss", feed_title="Reuters")
    assert phrases.muted(5, wire) and not phrases.muted(6, wire)
    assert not phrases.muted(5, dataclasses.replace(wire, feed_url="https://ap.example/rss", feed_title="AP"))
    held = PendingMatch(1, "v1:1", "asml", NOW, "T", None, "", None, ("Reuters",),
                        feed_url="https://www.reuters.com/world/rss")
    assert not phrases.wanted(5)(held) and phrases.wanted(6)(held)
    assert phrases.wanted(5)(dataclasses.replace(held, feed_url="https://ap.example/rss", feeds=("AP",)))
