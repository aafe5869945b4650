"""ChatStore on a real SQLite file: settings, subscriptions, recipients, blocking and migration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.store.chats import ChatStore
from bot.store.sqlite import SqliteStore

NOW = datetime(2024, 3, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def chats(tmp_path: Path) -> ChatStore:
    return ChatStore(SqliteStore(tmp_path / "w.db"))


def test_instant_recipients_skip_paused_inactive_and_digest(chats: ChatStore) -> None:
    for chat_id in (1, 2, 3, 4):
        chats.ensure(chat_id, type="private", title=f"c{chat_id}", now=NOW)
        chats.subscribe(chat_id, "asml", now=NOW)
    chats.subscribe(1, "semiconductors", now=NOW)
    chats.set_paused(2, True, now=NOW)
    chats.deactivate(3, "blocked", now=NOW)
    chats.subscribe(4, "asml", "digest", now=NOW)
    assert chats.instant_recipients(["asml", "semiconductors", "export-controls"]) == {
        "1": ("asml", "semiconductors")}
    assert [c.chat_id for c in chats.digest_chats()] == [4]
    assert chats.subscriptions(3) == []  # blocked chats are unsubscribed


def test_mode_changes_default_and_every_subscription(chats: ChatStore) -> None:
    chats.ensure(-5, type="group", title="g", now=NOW)
    chats.subscribe(-5, "asml", now=NOW)
    chats.subscribe(-5, "semiconductors", "digest", now=NOW)
    later = NOW + timedelta(hours=1)
    assert chats.set_mode(-5, "digest", now=later) == 1
    chat = chats.chat(-5)
    assert chat is not None and chat.mode == "digest" and chat.digest_since == later
    assert {s.mode for s in chats.subscriptions(-5)} == {"digest"}
    chats.subscribe(-5, "export-controls", now=later)  # the chat's default mode
    assert chats.subscriptions(-5)[0].mode == "digest"
    chats.set_mode(-5, "instant", now=later)
    assert chats.instant_recipients(["asml"]) == {"-5": ("asml",)}
    with pytest.raises(ValueError, match="instant, digest"):
        chats.set_mode(-5, "weekly", now=later)


def test_migrate_moves_settings_and_subscriptions(chats: ChatStore) -> None:
    chats.ensure(-7, type="group", title="g", now=NOW)
    chats.set_tz(-7, "Asia/Shanghai", now=NOW)
    chats.subscribe(-7, "asml", now=NOW)
    chats.migrate(-7, -1007, now=NOW)
    new, old = chats.chat(-1007), chats.chat(-7)
    assert new is not None and new.tz == "Asia/Shanghai" and new.type == "supergroup" and new.active
    assert old is not None and not old.active and old.migrated_to == -1007
    assert chats.instant_recipients(["asml"]) == {"-1007": ("asml",)}


def test_unsubscribe_one_and_all_and_reactivation(chats: ChatStore) -> None:
    chats.ensure(9, type="private", title="p", now=NOW)
    for wl in ("a", "b", "c"):
        chats.subscribe(9, wl, now=NOW)
    assert chats.unsubscribe(9, "a") == 1
    assert chats.unsubscribe(9, "zzz") == 0
    assert chats.unsubscribe(9) == 2
    chats.deactivate(9, "blocked", now=NOW)
    assert chats.ensure(9, type="private", title="p", now=NOW).active  # wrote to the bot again
    assert chats.counts() == {"active": 1, "inactive": 0, "paused": 0, "subscriptions": 0}


def test_notices_are_recorded_once(chats: ChatStore) -> None:
    assert not chats.noticed("k")
    chats.record_notice("k", "text", now=NOW)
    chats.record_notice("k", "other", now=NOW)
    assert chats.noticed("k")
