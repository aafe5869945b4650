"""The store contract for the web interface (#15): feeds added outside the config, recent items and
alerts, one-time login links and sessions. Run on every implementation by test_contract_web.py."""

from __future__ import annotations

from datetime import timedelta

from bot.store.protocols import Store
from tests.store.contract import NOW, stored_match


def test_feeds_added_outside_the_config_can_be_paused_and_removed(store: Store) -> None:
    store.feeds.sync([("f1", "Config feed")])
    assert store.feeds.add("f2", "Web feed", now=NOW) is True
    assert store.feeds.add("f2", "Again", now=NOW) is False  # already there
    assert store.feeds.add("f1", "Config feed", now=NOW) is False
    feeds = {f.url: f for f in store.feeds.all()}
    assert (feeds["f1"].origin, feeds["f2"].origin, feeds["f2"].name) == ("config", "store", "Web feed")
    assert not feeds["f2"].paused
    assert store.feeds.set_paused("f2", True) and store.feeds.get(["f2"])[0].paused
    assert store.feeds.set_paused("f2", False) and not store.feeds.get(["f2"])[0].paused
    assert store.feeds.set_paused("nope", True) is False
    assert store.feeds.remove("f1") is False  # the config owns it
    assert store.feeds.remove("f2") is True and store.feeds.get(["f2"]) == []
    assert store.feeds.remove("f2") is False


def test_a_feed_named_in_the_config_later_belongs_to_the_config(store: Store) -> None:
    store.feeds.add("f2", "Web feed", now=NOW)
    store.feeds.sync([("f2", "Now in the config")])
    (f2,) = store.feeds.get(["f2"])
    assert (f2.origin, f2.name) == ("config", "Now in the config")
    assert store.feeds.remove("f2") is False


def test_recent_items_newest_first_and_what_a_watchlist_matched(store: Store) -> None:
    for n in range(5):
        stored_match(store, n, ["asml"] if n % 2 else [], NOW + timedelta(minutes=n))
    recent = store.items.recent(3)
    assert [identity for identity, _, _ in recent] == ["v1:4", "v1:3", "v1:2"]
    assert recent[0][1:] == ("Title 4", "Lede")
    assert store.items.matched_by("asml", [i for i, _, _ in store.items.recent(10)]) == {"v1:1", "v1:3"}
    assert store.items.matched_by("asml", []) == set()


def test_a_login_link_works_once_and_not_after_it_expires(store: Store) -> None:
    store.sessions.add_login("h1", 42, expires_at=NOW + timedelta(minutes=10))
    store.sessions.add_login("h2", 43, expires_at=NOW + timedelta(minutes=10))
    assert store.sessions.use_login("h1", now=NOW) == 42
    assert store.sessions.use_login("h1", now=NOW) is None
    assert store.sessions.use_login("h2", now=NOW + timedelta(minutes=11)) is None
    assert store.sessions.use_login("unknown", now=NOW) is None


def test_sessions_open_expire_close_and_purge(store: Store) -> None:
    store.sessions.open("s1", 42, "csrf1", now=NOW, expires_at=NOW + timedelta(hours=1))
    store.sessions.open("s2", 43, "csrf2", now=NOW, expires_at=NOW + timedelta(hours=2))
    s1 = store.sessions.get("s1", now=NOW)
    assert s1 is not None and (s1.user_id, s1.csrf) == (42, "csrf1")
    assert store.sessions.get("s1", now=NOW + timedelta(hours=1)) is None  # expired
    store.sessions.close("s2")
    assert store.sessions.get("s2", now=NOW) is None
    store.sessions.add_login("h1", 42, expires_at=NOW + timedelta(minutes=10))
    assert store.sessions.purge(NOW + timedelta(hours=3)) == 2  # the expired session and the expired link


def test_watchlist_texts_saved_on_the_web_come_back_in_order_of_change(store: Store) -> None:
    store.rule_texts.put("asml.yaml", "id: asml\nany: [ASML]\n", now=NOW)
    store.rule_texts.put("chips.yaml", "id: chips\nany: [chip]\n", now=NOW + timedelta(seconds=1))
    store.rule_texts.put("asml.yaml", "# v2\nid: asml\nany: [ASML]\n", now=NOW + timedelta(seconds=2))
    assert [(n, t[:4]) for n, t, _ in store.rule_texts.changed_since(None)] == [("chips.yaml", "id: "),
                                                                           ("asml.yaml", "# v2")]
    assert [n for n, _, _ in store.rule_texts.changed_since(NOW + timedelta(seconds=2))] == ["asml.yaml"]
    assert store.rule_texts.changed_since(NOW + timedelta(seconds=3)) == []
