"""The store contract: what every implementation of ``bot.store.protocols.Store`` must do.

Each test takes a ``store`` made by the implementation under test (``tests/store/conftest.py``
parametrizes it: SQLite today; PostgreSQL passes the same suite). Tests reach the store only
through its API, never through SQL.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from bot.items.normalize import Item
from bot.store.protocols import FeedRhythm, Judgment, Store
from bot.watch import Hit, Match

NOW = datetime(2024, 3, 27, 16, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def item(n: int | str, feed: str = "f1") -> Item:
    return Item(identity=f"v1:{n}", url=f"https://x.com/{n}", link=f"https://x.com/{n}", guid=None,
                title=f"Title {n}", lede="Lede", language="en", published=NOW, feed_url=feed)


def match(watchlist: str) -> Match:
    return Match(watchlist, 100.0, (Hit(watchlist.upper(), "title", (0, 4), watchlist.upper(), 100.0),))


def stored_match(store: Store, n: int | str, watchlists: list[str], at: datetime, feed: str = "f1") -> None:
    store.items.add([item(n, feed)], feed_name=feed, now=at)
    store.items.record_matches(f"v1:{n}", [match(w) for w in watchlists], now=at)


# --- feeds ----------------------------------------------------------------------------------------------


def test_feeds_sync_names_and_record_fetches_and_failures(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    store.feeds.sync([("f1", "Renamed")])
    assert [(f.url, f.name) for f in store.feeds.all()] == [("f1", "Renamed"), ("f2", "Feed two")]
    later = NOW + timedelta(minutes=10)
    store.feeds.record_fetch("f1", now=NOW, status=200, etag='"e1"', last_modified=None, title="Title",
                             next_poll_at=later)
    assert store.feeds.record_failure("f1", now=later, status=503, error="HTTP 503", next_poll_at=later) == 1
    assert store.feeds.record_failure("f1", now=later, status=503, error="HTTP 503", next_poll_at=later) == 2
    (f1,) = store.feeds.get(["f1"])
    assert (f1.etag, f1.title, f1.consecutive_failures, f1.last_error, f1.last_success_at) == (
        '"e1"', "Title", 2, "HTTP 503", NOW)
    # not the feed's failure (this machine offline): kept, not counted
    offline, retry = later + timedelta(minutes=1), later + timedelta(minutes=3)
    assert store.feeds.record_failure("f1", now=offline, status=None, error="no route", next_poll_at=retry,
                                      counted=False) == 2
    (f1,) = store.feeds.get(["f1"])
    assert (f1.consecutive_failures, f1.last_error, f1.last_error_at, f1.next_poll_at, f1.last_status) == (
        2, "no route", offline, retry, None)
    store.feeds.mark_failure_notified("f1")
    assert store.feeds.get(["f1"])[0].failure_notified
    store.feeds.record_fetch("f1", now=later, status=304, etag=None, last_modified=None, title=None,
                             next_poll_at=later)
    (f1,) = store.feeds.get(["f1"])
    assert f1.consecutive_failures == 0 and not f1.failure_notified and f1.etag == '"e1"'  # validators kept
    assert store.feeds.get([]) == [] and store.feeds.get(["nope"]) == []


def test_feeds_keep_what_the_last_body_asked_and_the_chosen_interval(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one")])
    (f1,) = store.feeds.get(["f1"])
    assert (f1.last_items, f1.ttl_seconds, f1.update_seconds, f1.interval_seconds, f1.interval_reason) == (
        None, None, None, None, None)  # never polled
    store.feeds.record_body("f1", items=0, ttl=3600.0, update=1800.0)
    store.feeds.record_interval("f1", seconds=3600.0, reason="ttl 60 min")
    (f1,) = store.feeds.get(["f1"])
    assert (f1.last_items, f1.ttl_seconds, f1.update_seconds, f1.interval_seconds, f1.interval_reason) == (
        0, 3600.0, 1800.0, 3600.0, "ttl 60 min")
    store.feeds.record_body("f1", items=12, ttl=None, update=None)  # the feed dropped its <ttl>
    store.feeds.record_fetch("f1", now=NOW, status=304, etag=None, last_modified=None, title=None,
                             next_poll_at=NOW)  # a 304 keeps them
    (f1,) = store.feeds.all()
    assert (f1.last_items, f1.ttl_seconds, f1.update_seconds, f1.interval_reason) == (12, None, None, "ttl 60 min")


def test_a_feeds_last_body_keeps_what_was_wrong_with_it_until_a_body_without(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one")])
    assert store.feeds.get(["f1"])[0].last_warning is None
    warned = "not well-formed XML, line 3, column 20: undefined entity at '&colon;'; read leniently"
    store.feeds.record_body("f1", items=2, ttl=None, update=None, warning=warned)
    store.feeds.record_fetch("f1", now=NOW, status=304, etag=None, last_modified=None, title=None, next_poll_at=NOW)
    assert store.feeds.get(["f1"])[0].last_warning == warned  # a 304 read no body
    store.feeds.record_body("f1", items=2, ttl=None, update=None)
    assert store.feeds.all()[0].last_warning is None


def test_a_feeds_rhythm_is_when_its_recent_items_appeared(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    assert store.items.rhythm("f1", since=NOW - timedelta(days=7)) == FeedRhythm((), None)  # never seen
    first_poll = NOW - timedelta(days=3)

    def dated(n: int, published: datetime | None, feed: str = "f1") -> Item:
        return replace(item(n, feed), published=published)

    store.items.add([dated(1, NOW - timedelta(days=9)),  # before the window
                     dated(2, NOW - timedelta(days=5)),  # a backlog item inside it
                     dated(3, None),  # undated, there when first seen: appeared at some unknown time before
                     dated(4, NOW + timedelta(days=30))],  # dated in the future, there when first seen: likewise
                    feed_name="Feed one", now=first_poll)
    later = NOW - timedelta(hours=1)
    store.items.add([dated(5, later - timedelta(minutes=10)), dated(2, NOW - timedelta(days=5)),
                     dated(7, None)],  # undated, new since the first poll: appeared when first seen
                    feed_name="Feed one", now=later)
    store.items.add([dated(6, NOW - timedelta(hours=2), "f2")], feed_name="Feed two", now=later)  # another feed
    store.items.add([dated(6, NOW - timedelta(hours=2), "f1")], feed_name="Feed one", now=NOW)  # seen in f1 later
    rhythm = store.items.rhythm("f1", since=NOW - timedelta(days=7))
    assert rhythm.watched_since == first_poll
    assert list(rhythm.times) == [NOW - timedelta(days=5), NOW - timedelta(hours=2), later - timedelta(minutes=10),
                                  later]
    assert store.items.rhythm("f2", since=NOW - timedelta(days=7)) == FeedRhythm((NOW - timedelta(hours=2),), later)
    assert store.items.rhythm("f1", since=NOW).times == ()
    # A feed none of whose items has a date: first seen is all there is, its first poll's items too.
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two"), ("f3", "Feed three")])
    store.items.add([dated(8, None, "f3"), dated(9, None, "f3")], feed_name="Feed three", now=first_poll)
    assert store.items.rhythm("f3", since=NOW - timedelta(days=7)) == FeedRhythm((first_poll, first_poll), first_poll)
def test_due_feeds_are_handed_out_once_until_their_claim_runs_out(store: Store) -> None:
    store.feeds.sync([("f1", "One"), ("f2", "Two"), ("f3", "Three")])
    later = NOW + timedelta(minutes=10)
    store.feeds.record_fetch("f3", now=NOW, status=200, etag=None, last_modified=None, title=None, next_poll_at=later)
    claim = NOW + timedelta(minutes=1)
    assert store.feeds.claim_due(NOW, until=claim, limit=1) == ["f1"]  # never polled first
    assert store.feeds.claim_due(NOW, until=claim) == ["f2"]
    assert store.feeds.claim_due(NOW, until=claim) == []  # claimed ones are not handed out again ...
    assert store.feeds.claim_due(claim, until=claim + timedelta(minutes=1)) == ["f1", "f2"]  # ... until it runs out
    store.feeds.record_fetch("f1", now=claim, status=304, etag=None, last_modified=None, title=None,
                             next_poll_at=later + timedelta(minutes=5))
    assert store.feeds.claim_due(later, until=later + timedelta(minutes=1)) == ["f2", "f3"]  # f1 polled: not due
    store.feeds.set_paused("f2", True)  # no process polls a paused feed: it had been claimed every tick all the same
    much_later = later + timedelta(hours=1)
    assert store.feeds.claim_due(much_later, until=much_later + timedelta(minutes=1)) == ["f1", "f3"]


# --- items, sightings, matches -------------------------------------------------------------------------


def test_items_dedupe_and_keep_every_sighting(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    new = store.items.add([item(1), item(2), item(1)], feed_name="Feed one", now=NOW)
    assert [i.identity for i in new] == ["v1:1", "v1:2"]
    later = NOW + timedelta(minutes=5)
    assert store.items.add([item(1, "f2")], feed_name="Feed two", now=later) == []
    stored = store.items.get(["v1:1"])["v1:1"]
    assert [(url, name) for url, name, _ in stored.sightings] == [("f1", "Feed one"), ("f2", "Feed two")]
    assert stored.first_seen_at == NOW and stored.item.title == "Title 1"
    assert store.feeds.get(["f1"])[0].items_total == 2
    assert store.items.count_since(NOW) == 2 and [s.item.identity for s in store.items.since(NOW)] == ["v1:1", "v1:2"]
    assert store.items.count_since(later) == 0


def test_a_feeds_items_are_found_by_their_guid(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    guided = [replace(item(n), guid=f"g{n}") for n in (1, 2)]
    store.items.add([*guided, item(3)], feed_name="Feed one", now=NOW)
    store.items.add([replace(item(4, "f2"), guid="g1")], feed_name="Feed two", now=NOW)  # another feed's g1
    store.items.add([replace(item(5), guid="g2", title="Title 2, updated")], feed_name="Feed one", now=NOW + HOUR)
    assert store.items.by_guid("f1", ["g1", "g2", "g9"]) == {"g1": ("v1:1", "Title 1"),
                                                            "g2": ("v1:5", "Title 2, updated")}  # the latest
    assert store.items.by_guid("f2", ["g1"]) == {"g1": ("v1:4", "Title 4")}
    assert store.items.by_guid("f1", []) == {} and store.items.by_guid("nope", ["g1"]) == {}


def test_a_feeds_items_are_found_by_their_publication_time_and_title(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one"), ("f2", "Feed two")])
    shanghai = timezone(timedelta(hours=8))
    store.items.add([item(1), replace(item(2), published=NOW + HOUR), replace(item(3), published=None)],
                    feed_name="Feed one", now=NOW)
    store.items.add([replace(item(4, "f2"), title="Title 1")], feed_name="Feed two", now=NOW)  # another feed's
    store.items.add([replace(item(5), title="Title 1")], feed_name="Feed one", now=NOW + HOUR)  # the latest
    asked = [(NOW + timedelta(microseconds=5)).astimezone(shanghai), NOW + HOUR, NOW + 2 * HOUR]  # (to the second)
    assert store.items.by_published("f1", asked) == {(NOW, "Title 1"): "v1:5", (NOW + HOUR, "Title 2"): "v1:2"}
    assert store.items.by_published("f2", [NOW]) == {(NOW, "Title 1"): "v1:4"}
    assert store.items.by_published("f1", []) == {} and store.items.by_published("nope", [NOW]) == {}


def test_every_items_text_is_read_by_when_it_was_first_seen_matched_or_not(store: Store) -> None:
    store.feeds.sync([("f1", "Feed one")])
    store.items.add([item(1)], feed_name="Feed one", now=NOW)
    store.items.add([item(3), item(2)], feed_name="Feed one", now=NOW + HOUR)
    store.items.record_matches("v1:2", [match("asml")], now=NOW + HOUR)
    texts = store.items.texts_since(NOW + HOUR)  # at or after; by first seen, then identity
    assert [(t.identity, t.title, t.lede, t.first_seen_at, t.published_at) for t in texts] == [
        ("v1:2", "Title 2", "Lede", NOW + HOUR, NOW), ("v1:3", "Title 3", "Lede", NOW + HOUR, NOW)]
    assert [t.identity for t in store.items.texts_since(NOW - HOUR)] == ["v1:1", "v1:2", "v1:3"]
    assert store.items.texts_since(NOW + 2 * HOUR) == []


def test_matches_are_kept_with_their_hits(store: Store) -> None:
    stored_match(store, 1, ["asml", "chips"], NOW)
    store.items.record_matches("v1:1", [match("asml")], now=NOW + timedelta(hours=1))  # once per watchlist
    assert store.items.matched_watchlists("v1:1") == {"asml": 100.0, "chips": 100.0}
    assert store.items.match_hits("v1:1")["asml"][0] == {"pattern": "ASML", "field": "title", "span": [0, 4],
                                                         "text": "ASML", "score": 100.0}


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        store.items.add([item(1)], feed_name="F", now=datetime(2024, 1, 1))  # noqa: DTZ001


def test_a_transaction_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.items.add([item(1)], feed_name="F", now=NOW)
        store.outbox.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)
        raise RuntimeError("crash between seen and queued")
    assert store.items.get(["v1:1"]) == {} and store.outbox.counts() == {}


# --- outbox ---------------------------------------------------------------------------------------------


def test_outbox_states_and_crash_recovery(store: Store) -> None:
    store.items.add([item(1), item(2)], feed_name="F", now=NOW)
    assert store.outbox.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)
    assert not store.outbox.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)  # one alert per (item, target)
    assert store.outbox.enqueue("v1:2", "telegram", "42", ["chips", "asml"], now=NOW)
    claimed = store.outbox.claim_due("telegram", now=NOW)
    assert [r.identity for r in claimed] == ["v1:1", "v1:2"] and all(r.state == "sending" for r in claimed)
    assert claimed[1].watchlists == ("asml", "chips") and claimed[0].attempts == 1
    assert store.outbox.claim_due("telegram", now=NOW) == []  # claimed rows are not handed out twice
    store.outbox.mark_sent([claimed[0].id], now=NOW)
    assert store.outbox.release_in_flight() == 1  # the process died with v1:2 in flight
    (again,) = store.outbox.claim_due("telegram", now=NOW)
    assert again.identity == "v1:2" and again.attempts == 2
    store.outbox.mark_retry([again.id], error="timed out", next_attempt_at=NOW + timedelta(minutes=1))
    assert store.outbox.claim_due("telegram", now=NOW) == []
    (retry,) = store.outbox.claim_due("telegram", now=NOW + timedelta(minutes=1))
    store.outbox.mark_dead([retry.id], error="Bad Request: can't parse entities")
    assert store.outbox.counts() == {"sent": 1, "dead": 1}
    assert store.outbox.counts_by_channel() == {"telegram": {"dead": 1, "sent": 1}}
    assert store.outbox.dead_reasons() == [("Bad Request: can't parse entities", 1)]
    assert store.outbox.alerted_watchlists("v1:2") == {"asml", "chips"}
    assert [r.identity for r in store.outbox.rows(state="dead")] == ["v1:2"]


def test_a_targets_alerts_held_for_later_are_hastened_together(store: Store) -> None:
    store.items.add([item(n) for n in (1, 2, 3, 4)], feed_name="F", now=NOW)
    for n, target in ((1, "5"), (2, "5"), (3, "6"), (4, "5")):
        store.outbox.enqueue(f"v1:{n}", "telegram", target, ["asml"], now=NOW)
    held = store.outbox.claim_due("telegram", now=NOW)
    later = NOW + timedelta(hours=3)
    store.outbox.mark_retry([r.id for r in held if r.identity != "v1:4"], error="quiet hours", next_attempt_at=later)
    store.outbox.mark_sent([r.id for r in held if r.identity == "v1:4"], now=NOW)
    assert store.outbox.hasten_target("telegram", "5", now=NOW + timedelta(minutes=1)) == 2  # not chat 6's, not sent
    assert sorted(r.identity for r in store.outbox.claim_due("telegram", now=NOW + timedelta(minutes=1))) == [
        "v1:1", "v1:2"]
    assert store.outbox.hasten_target("email", "5", now=NOW) == 0


def test_alerts_waiting_after_a_failed_channel_are_hastened_only_while_pending(store: Store) -> None:
    store.items.add([item(n) for n in (1, 2, 3)], feed_name="F", now=NOW)
    for n in (1, 2, 3):
        store.outbox.enqueue(f"v1:{n}", "telegram", str(n), ["asml"], now=NOW)
    one, two, three = store.outbox.claim_due("telegram", now=NOW)
    later = NOW + timedelta(hours=1)
    store.outbox.mark_retry([one.id, two.id], error="Bot API unavailable", next_attempt_at=later)
    store.outbox.mark_sent([three.id], now=NOW)
    assert store.outbox.hasten([one.id, three.id], now=NOW + timedelta(minutes=1)) == 1  # a sent one stays sent
    assert [r.identity for r in store.outbox.claim_due("telegram", now=NOW + timedelta(minutes=1))] == ["v1:1"]
    assert store.outbox.hasten([two.id], now=later + timedelta(minutes=1)) == 0  # already due: unchanged
    assert store.outbox.hasten([], now=NOW) == 0
    assert store.outbox.counts() == {"pending": 1, "sending": 1, "sent": 1}


def test_dead_letters_are_told_once_and_skips_never(store: Store) -> None:
    store.items.add([item(1), item(2)], feed_name="F", now=NOW)
    for n in (1, 2):
        store.outbox.enqueue(f"v1:{n}", "telegram", "42", ["asml"], now=NOW)
    one, two = store.outbox.claim_due("telegram", now=NOW)
    store.outbox.mark_dead([one.id], error="Bad Request")
    store.outbox.mark_dead([two.id], error="skipped: the chat paused alerts", notify=False)
    assert [r.id for r in store.outbox.unnotified_dead()] == [one.id]
    store.outbox.mark_dead_notified([one.id])
    assert store.outbox.unnotified_dead() == []


def test_claims_by_target_and_retargeting(store: Store) -> None:
    store.items.add([item(1), item(2)], feed_name="F", now=NOW)
    store.outbox.enqueue("v1:1", "telegram", "-7", ["asml"], now=NOW)
    store.outbox.enqueue("v1:2", "telegram", "42", ["asml"], now=NOW)
    assert store.outbox.retarget("telegram", "-7", "-1007") == 1
    assert [r.target for r in store.outbox.claim_due("telegram", now=NOW, targets=["-1007"])] == ["-1007"]


def test_a_claim_takes_at_most_so_many_of_one_target_oldest_first(store: Store) -> None:
    """One chat's flood of 1,000 alerts filled a round that took 500 s at its 1 s pacing, and another chat's alert
    waited behind it: a round takes a few of each target's."""
    store.items.add([item(n) for n in range(8)], feed_name="F", now=NOW)
    for n, target in enumerate(["a", "a", "b", "a", "a", "c", "a", "c"]):
        store.outbox.enqueue(f"v1:{n}", "telegram", target, ["asml"], now=NOW)
    first = store.outbox.claim_due("telegram", now=NOW, per_target=2)
    assert [(r.identity, r.target) for r in first] == [("v1:0", "a"), ("v1:1", "a"), ("v1:2", "b"), ("v1:5", "c"),
                                                       ("v1:7", "c")]
    assert [r.identity for r in store.outbox.claim_due("telegram", now=NOW, per_target=2)] == ["v1:3", "v1:4"]
    assert [r.identity for r in store.outbox.claim_due("telegram", now=NOW, per_target=2, limit=1)] == ["v1:6"]
    assert store.outbox.claim_due("telegram", now=NOW, per_target=2) == []


def test_retargeting_never_gives_a_chat_a_second_alert_of_one_story(store: Store) -> None:
    store.items.add([item(1), item(2)], feed_name="F", now=NOW)
    store.outbox.enqueue("v1:1", "telegram", "-7", ["asml"], now=NOW, story="s")
    store.outbox.enqueue("v1:2", "telegram", "-1007", ["asml"], now=NOW, story="s")  # the new id has the story
    assert store.outbox.retarget("telegram", "-7", "-1007") == 0
    assert sorted((r.identity, r.target) for r in store.outbox.rows()) == [("v1:1", "-7"), ("v1:2", "-1007")]


# --- chats ----------------------------------------------------------------------------------------------


def test_instant_recipients_skip_paused_inactive_and_digest(store: Store) -> None:
    chats = store.chats
    for chat_id in (1, 2, 3, 4):
        chats.ensure(chat_id, type="private", title=f"c{chat_id}", now=NOW)
        chats.subscribe(chat_id, "asml", now=NOW)
    chats.subscribe(1, "semiconductors", now=NOW)
    chats.update(2, paused=True, now=NOW)
    chats.deactivate(3, "blocked", now=NOW)
    chats.subscribe(4, "asml", "digest", now=NOW)
    assert chats.instant_recipients(["asml", "semiconductors", "export-controls"]) == {
        "1": ("asml", "semiconductors")}
    assert [c.chat_id for c in chats.digest_chats()] == [4]
    assert chats.digest_watchlists(4) == ["asml"]
    assert chats.subscriptions(3) == []  # blocked chats are unsubscribed
    chats.subscribe(1, "export-controls", "digest", now=NOW)  # (named by the alert: the digest leaves it out then)
    assert chats.instant_recipients(["asml", "export-controls"]) == {"1": ("asml", "export-controls")}
    assert chats.instant_recipients(["export-controls"]) == {}  # (a digest's alone: no alert)


def test_mode_changes_default_and_every_subscription(store: Store) -> None:
    chats = store.chats
    chats.ensure(-5, type="group", title="g", now=NOW)
    chats.subscribe(-5, "asml", now=NOW)
    chats.subscribe(-5, "semiconductors", "digest", now=NOW)
    later = NOW + timedelta(hours=1)
    assert chats.set_mode(-5, "digest", now=later) == 1
    chat = chats.get(-5)
    assert chat is not None and chat.mode == "digest" and chat.digest_since == later
    assert {s.mode for s in chats.subscriptions(-5)} == {"digest"}
    chats.subscribe(-5, "export-controls", now=later)  # the chat's default mode
    assert chats.subscriptions(-5)[0].mode == "digest"
    chats.set_mode(-5, "instant", now=later)
    assert chats.instant_recipients(["asml"]) == {"-5": ("asml",)}
    with pytest.raises(ValueError, match="instant, digest"):
        chats.set_mode(-5, "weekly", now=later)


def test_settings_and_unknown_settings(store: Store) -> None:
    store.chats.ensure(8, type="private", title="p", now=NOW)
    store.chats.update(8, tz="Asia/Taipei", quiet_start="22:00", quiet_end="07:00", digest_at="07:30", now=NOW)
    chat = store.chats.get(8)
    assert chat is not None and (chat.tz, chat.quiet, chat.digest_at) == ("Asia/Taipei", ("22:00", "07:00"), "07:30")
    with pytest.raises(ValueError, match="not a chat setting"):
        store.chats.update(8, active=False, now=NOW)


def test_migrate_moves_settings_and_subscriptions(store: Store) -> None:
    chats = store.chats
    chats.ensure(-7, type="group", title="g", now=NOW)
    chats.update(-7, tz="Asia/Shanghai", now=NOW)
    chats.subscribe(-7, "asml", now=NOW)
    chats.migrate(-7, -1007, now=NOW)
    new, old = chats.get(-1007), chats.get(-7)
    assert new is not None and new.tz == "Asia/Shanghai" and new.type == "supergroup" and new.active
    assert old is not None and not old.active and old.migrated_to == -1007
    assert chats.instant_recipients(["asml"]) == {"-1007": ("asml",)}


def test_unsubscribe_one_and_all_and_reactivation(store: Store) -> None:
    chats = store.chats
    chats.ensure(9, type="private", title="p", now=NOW)
    for wl in ("a", "b", "c"):
        chats.subscribe(9, wl, now=NOW)
    assert chats.unsubscribe(9, "a") == 1
    assert chats.unsubscribe(9, "zzz") == 0
    assert chats.unsubscribe(9) == 2
    chats.deactivate(9, "blocked", now=NOW)
    assert chats.ensure(9, type="private", title="p", now=NOW).active  # wrote to the bot again
    assert chats.counts() == {"active": 1, "inactive": 0, "paused": 0, "subscriptions": 0, "own_lists": 0}
    assert [c.chat_id for c in chats.all()] == [9]
    chats.subscribe(9, "a", now=NOW)
    chats.subscribe(9, "chat:9", now=NOW)  # (its own phrases' list: /watch)
    assert chats.counts() == {"active": 1, "inactive": 0, "paused": 0, "subscriptions": 1, "own_lists": 1}


def test_a_renamed_watchlist_keeps_its_followers_and_what_it_matched(store: Store) -> None:
    chats = store.chats
    for chat_id in (1, 2, 3):
        chats.ensure(chat_id, type="private", title="p", now=NOW)
        chats.subscribe(chat_id, "chips", mode="digest" if chat_id == 2 else None, now=NOW)
    chats.subscribe(3, "semis", now=NOW)  # (already followed the new id: keeps that one)
    chats.subscribe(1, "asml", now=NOW)
    assert (chats.followers("chips"), chats.followers("semis"), chats.followers("none")) == (3, 1, 0)
    stored_match(store, 1, ["chips"], NOW)
    stored_match(store, 2, ["chips", "semis"], NOW)
    assert chats.rename_watchlist("chips", "semis") == 3
    assert (chats.followers("chips"), chats.followers("semis")) == (0, 3)
    assert {s.watchlist: s.mode for s in chats.subscriptions(2)} == {"semis": "digest"}
    assert {s.watchlist for s in chats.subscriptions(1)} == {"asml", "semis"}
    assert store.items.rename_watchlist("chips", "semis") == 1
    assert store.items.matched_by("semis", ["v1:1", "v1:2"]) == {"v1:1", "v1:2"}
    assert store.items.matched_by("chips", ["v1:1"]) == set()
    assert chats.rename_watchlist("chips", "semis") == 0 and store.items.rename_watchlist("chips", "semis") == 0


def test_a_renamed_watchlist_keeps_its_held_alerts_alerts_and_judgments(store: Store) -> None:
    """Alerts held over a chat's hourly cap for the old id left its next digest (the digest joins them to the
    matches, which moved); the web's alert list and /suggest lost everything before the rename."""
    store.chats.ensure(5, type="private", title="p", now=NOW)
    store.chats.subscribe(5, "chips", now=NOW)
    stored_match(store, "capped", ["chips"], NOW)
    stored_match(store, "both", ["chips", "semis"], NOW)
    stored_match(store, "other", ["chipsets"], NOW)
    store.phrases.hold(5, "v1:capped", ["chips"], now=NOW)
    store.phrases.hold(5, "v1:both", ["chips", "semis"], now=NOW)
    store.outbox.enqueue("v1:capped", "telegram", "5", ["asml", "chips"], now=NOW)
    store.outbox.enqueue("v1:both", "telegram", "6", ["semis", "chips"], now=NOW)
    store.outbox.enqueue("v1:other", "telegram", "5", ["chipsets"], now=NOW)
    store.judgments.record(judgment(5, "s1", 7, "down", NOW))  # (asml and chips; hits for asml)
    store.judgments.record(replace(judgment(5, "s2", 7, "up", NOW), watchlists=("chips",),
                                   hits={"chips": [{"pattern": "chip", "text": "chip"}]}))
    store.judgments.record(replace(judgment(5, "s3", 7, "up", NOW), watchlists=("asml",)))

    assert store.chats.rename_watchlist("chips", "semis") == 1 and store.items.rename_watchlist("chips", "semis") == 1
    assert store.phrases.rename_watchlist("chips", "semis") == 1  # (v1:both was held for semis already)
    assert store.outbox.rename_watchlist("chips", "semis") == 2
    assert store.judgments.rename_watchlist("chips", "semis") == 2

    store.digests.ensure("chat:5", channel="telegram", target="5", watchlists=(), since=None, now=NOW)
    pending = {(p.identity, p.watchlist) for p in store.digests.pending_chat("chat:5", 5)}
    assert pending == {("v1:capped", "semis"), ("v1:both", "semis")}
    assert store.phrases.held_count(5, since=NOW) == 2
    assert sorted(tuple(r.watchlists) for r in store.outbox.rows()) == [("asml", "semis"), ("chipsets",), ("semis",)]
    assert {r.row.identity for r in store.outbox.recent(NOW - timedelta(hours=1), watchlist="semis")} == {
        "v1:both", "v1:capped"}
    judged = {j.story: (j.watchlists, sorted(j.hits)) for j in store.judgments.all()}
    assert judged == {"s1": (("asml", "semis"), ["asml"]), "s2": (("semis",), ["semis"]), "s3": (("asml",), ["asml"])}
    assert (store.phrases.rename_watchlist("chips", "semis"), store.outbox.rename_watchlist("chips", "semis"),
            store.judgments.rename_watchlist("chips", "semis")) == (0, 0, 0)


def test_notices_are_recorded_once(store: Store) -> None:
    assert not store.notices.noticed("k")
    store.notices.record("k", "text", now=NOW)
    store.notices.record("k", "other", now=NOW)
    assert store.notices.noticed("k")


# --- digests --------------------------------------------------------------------------------------------


def test_pending_is_what_was_not_delivered_at_or_above_the_floor(store: Store) -> None:
    d = store.digests
    state = d.ensure("email:a@x|*", channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    assert state.since == NOW and d.recipients() == [state]
    stored_match(store, "old", ["asml"], NOW - timedelta(hours=1))
    stored_match(store, 1, ["asml"], NOW + timedelta(minutes=1))
    stored_match(store, 2, ["chips"], NOW + timedelta(minutes=2))
    pending = d.pending_email("email:a@x|*", watchlists=(), since=NOW)
    assert [p.identity for p in pending] == ["v1:1", "v1:2"]
    assert [p.identity for p in d.pending_email("email:a@x|*", watchlists=["chips"], since=NOW)] == ["v1:2"]
    assert pending[0].terms == ("ASML",) and pending[0].feeds == ("f1",) and pending[0].feed_url == "f1"
    d.settle("email:a@x|*", [pending[0].match_id], now=NOW + timedelta(minutes=3))
    assert [p.identity for p in d.pending_email("email:a@x|*", watchlists=(), since=NOW)] == ["v1:2"]


def test_pending_credits_each_item_to_its_own_outlet_and_lists_the_storys_outlets(store: Store) -> None:
    """A digest showed Reuters' headline and time credited to 中央社, the story's first-seen outlet."""
    store.digests.ensure("email:a@x|*", channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    stored_match(store, "cna", ["asml"], NOW + timedelta(minutes=1), feed="中央社")
    stored_match(store, "reuters", ["asml"], NOW + timedelta(minutes=2), feed="Reuters")
    store.items.set_story("v1:cna", "s1")
    store.items.set_story("v1:reuters", "s1")
    pending = {p.identity: p for p in store.digests.pending_email("email:a@x|*", watchlists=(), since=NOW)}
    assert (pending["v1:reuters"].source, pending["v1:cna"].source) == ("Reuters", "中央社")
    assert pending["v1:reuters"].feeds == pending["v1:cna"].feeds == ("中央社", "Reuters")  # first seen first


def test_pending_terms_read_like_an_alerts_matched_line(store: Store) -> None:
    """A digest names what matched as an alert does: a near hit as its two words, a text another holds left out."""
    d = store.digests
    d.ensure("email:a@x|*", channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    store.items.add([item(1)], feed_name="f1", now=NOW)
    hits = (Hit("memory chips", "title", (0, 12), "memory chips", 100.0),
            Hit("memory chip", "lede", (4, 15), "memory chip", 100.0),
            Hit("near(export…, ban…)/3", "lede", (20, 40), "export of AI chips ban", 100.0))
    store.items.record_matches("v1:1", [Match("chips", 100.0, hits)], now=NOW + timedelta(minutes=1))
    [pending] = d.pending_email("email:a@x|*", watchlists=(), since=NOW)
    assert pending.terms == ("memory chips", "export … ban")


def test_a_match_committed_late_with_an_earlier_time_is_never_skipped(store: Store) -> None:
    """Two writers: one matches at 12:00 but commits after another's 12:01 match was digested."""
    d = store.digests
    key = "email:a@x|*"
    d.ensure(key, channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    stored_match(store, "b", ["asml"], NOW + timedelta(minutes=1))
    first = d.pending_email(key, watchlists=(), since=NOW)
    d.settle(key, [p.match_id for p in first], now=NOW + timedelta(minutes=2))
    stored_match(store, "a", ["asml"], NOW)  # the slower writer's match: earlier time, later commit
    state = d.recipient(key)
    assert state is not None
    assert [p.identity for p in d.pending_email(key, watchlists=(), since=state.since)] == ["v1:a"]


def test_a_sent_digest_clears_the_error_and_a_failure_counts(store: Store) -> None:
    d = store.digests
    key = "chat:5"
    d.ensure(key, channel="telegram", target="5", watchlists=(), since=None, now=NOW)
    assert d.fail(key, error="timed out", now=NOW, next_attempt_at=NOW + timedelta(minutes=1)) == 1
    assert d.fail(key, error="timed out", now=NOW, next_attempt_at=NOW + timedelta(minutes=1)) == 2
    assert [s.key for s in d.due_retries(NOW + timedelta(minutes=1))] == [key]
    d.settle(key, [], now=NOW + timedelta(minutes=2))
    state = d.recipient(key)
    assert state is not None and state.last_error is None and state.failures == 0 and state.next_attempt_at is None
    assert state.last_sent_at == NOW + timedelta(minutes=2)
    d.record_run(key, now=NOW, stories=3, outcome="sent")


def test_a_partly_sent_digest_does_not_repeat_its_sent_pages(store: Store) -> None:
    d = store.digests
    key = "email:a@x|*"
    d.ensure(key, channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    for n in (1, 2):
        stored_match(store, n, ["asml"], NOW + timedelta(minutes=n))
    one, two = d.pending_email(key, watchlists=(), since=NOW)
    d.settle(key, [one.match_id], now=NOW, complete=False)
    assert [p.identity for p in d.pending_email(key, watchlists=(), since=NOW)] == ["v1:2"]
    state = d.recipient(key)
    assert state is not None and state.last_sent_at is None  # not a sent digest yet


def test_dead_digests_and_rekeying(store: Store) -> None:
    d = store.digests
    d.ensure("chat:-7", channel="telegram", target="-7", watchlists=(), since=None, now=NOW)
    stored_match(store, 1, ["asml"], NOW)
    (p,) = d.pending_email("chat:-7", watchlists=(), since=None)
    d.bury("chat:-7", [p.match_id], stories=1, error="550 no such user", now=NOW)
    assert d.pending_email("chat:-7", watchlists=(), since=None) == []
    (dead,) = d.unnotified_dead()
    assert (dead.key, dead.stories, dead.error) == ("chat:-7", 1, "550 no such user")
    d.mark_notified([dead.id])
    assert d.unnotified_dead() == [] and len(d.dead_letters("chat:-7")) == 1
    d.rekey("chat:-7", "chat:-1007", target="-1007")
    assert d.recipient("chat:-7") is None and d.dead_letters("chat:-1007")[0].id == dead.id
    moved = d.recipient("chat:-1007")
    assert moved is not None and moved.target == "-1007"
    assert d.pending_email("chat:-1007", watchlists=(), since=None) == []  # delivered marks moved along


def test_pending_for_a_chat_follows_its_digest_subscriptions_from_the_switch_on(store: Store) -> None:
    store.chats.ensure(5, type="private", title="p", now=NOW)
    store.chats.subscribe(5, "asml", now=NOW)
    stored_match(store, "before", ["asml"], NOW + timedelta(minutes=1))
    store.chats.set_mode(5, "digest", now=NOW + timedelta(minutes=2))
    stored_match(store, "after", ["asml"], NOW + timedelta(minutes=3))
    stored_match(store, "other", ["chips"], NOW + timedelta(minutes=3))
    store.digests.ensure("chat:5", channel="telegram", target="5", watchlists=(), since=None, now=NOW)
    assert [p.identity for p in store.digests.pending_chat("chat:5", 5)] == ["v1:after"]


def test_a_match_too_old_to_alert_reaches_no_digest_and_keeps_nothing_from_pruning(store: Store) -> None:
    """poll.backlog and poll.max_age hold an archive back from digests as from instant alerts."""
    store.chats.ensure(5, type="private", title="p", now=NOW)
    store.chats.subscribe(5, "asml", "digest", now=NOW)
    store.digests.ensure("chat:5", channel="telegram", target="5", watchlists=(), since=None, now=NOW)
    store.digests.ensure("email:a@x|*", channel="email", target="a@x", watchlists=(), since=NOW, now=NOW)
    later = NOW + timedelta(minutes=1)
    store.items.add([item("archive"), item("news")], feed_name="f1", now=later)
    store.items.record_matches("v1:archive", [match("asml")], now=later, backlog=True)
    store.items.record_matches("v1:news", [match("asml")], now=later)
    assert [p.identity for p in store.digests.pending_chat("chat:5", 5)] == ["v1:news"]
    assert [p.identity for p in store.digests.pending_email("email:a@x|*", watchlists=(), since=NOW)] == ["v1:news"]
    assert store.items.matched_watchlists("v1:archive") == {"asml": 100.0}  # still a match (backtests, stories)
    assert store.items.prune(later + timedelta(minutes=1))["items"] == 1  # the archive goes; the pending news stays
    assert [p.identity for p in store.digests.pending_chat("chat:5", 5)] == ["v1:news"]


def test_recent_alerts_are_found_by_time_text_watchlist_and_target(store: Store) -> None:
    stored_match(store, "euv", ["asml", "chips"], NOW)
    stored_match(store, "fab", ["chips"], NOW + timedelta(minutes=1))
    stored_match(store, "pct", ["chips"], NOW + timedelta(minutes=2))
    store.outbox.enqueue("v1:euv", "telegram", "5", ["asml", "chips"], now=NOW)
    store.outbox.enqueue("v1:fab", "telegram", "6", ["chips"], now=NOW + timedelta(minutes=1))
    store.outbox.enqueue("v1:pct", "console", "stdout", ["chips"], now=NOW + timedelta(minutes=2))
    assert [a.row.identity for a in store.outbox.recent(NOW)] == ["v1:pct", "v1:fab", "v1:euv"]
    assert [a.row.identity for a in store.outbox.recent(NOW + timedelta(minutes=1))] == ["v1:pct", "v1:fab"]
    assert [a.row.identity for a in store.outbox.recent(NOW, watchlist="asml")] == ["v1:euv"]
    assert [a.row.identity for a in store.outbox.recent(NOW, target="6")] == ["v1:fab"]
    assert [a.row.identity for a in store.outbox.recent(NOW, search="title EUV")] == ["v1:euv"]  # any case
    assert store.outbox.recent(NOW, search="100%") == [] and store.outbox.recent(NOW, search="_") == []
    (euv,) = store.outbox.recent(NOW, watchlist="asml")
    assert euv.title == "Title euv" and euv.hits["asml"][0]["text"] == "ASML" and len(store.outbox.recent(NOW, limit=1)) == 1


# --- stories --------------------------------------------------------------------------------------------


def test_stories_join_items_and_every_outlet_is_named_once(store: Store) -> None:
    store.feeds.sync([("f1", "Reuters"), ("f2", "NHK"), ("f3", "AP")])
    store.items.add([item(1, "f1")], feed_name="Reuters", now=NOW)
    undated = replace(item(2, "f2"), published=None)
    store.items.add([undated], feed_name="NHK", now=NOW + timedelta(minutes=1))
    store.items.add([item(1, "f3")], feed_name="AP", now=NOW + timedelta(minutes=2))  # a copy of item 1
    store.items.set_story("v1:2", "v1:1")
    assert store.items.outlets("v1:1") == ["Reuters", "NHK", "AP"]
    assert store.items.story_members(NOW) == []  # only matched items join stories
    for n in (1, 2):
        store.items.record_matches(f"v1:{n}", [match("asml")], now=NOW)
    members = store.items.story_members(NOW + timedelta(minutes=1))  # older members of its stories come too
    assert [(m.identity, m.story, m.feed_name) for m in members] == [("v1:1", "v1:1", "Reuters"),
                                                                     ("v1:2", "v1:1", "NHK")]
    # (the news time the story index compares: when published, else first seen)
    assert [(m.first_seen_at, m.published_at) for m in members] == [(NOW, NOW), (NOW + timedelta(minutes=1), None)]
    assert store.items.story_members(NOW + timedelta(hours=1)) == []


def test_placements_are_numbered_and_read_back_after_a_number(store: Store) -> None:
    store.feeds.sync([("f1", "A"), ("f2", "B"), ("f3", "C")])
    store.items.add([item(1, "f1"), item(2, "f2"), item(3, "f3")], feed_name="F", now=NOW)
    assert store.items.last_placed() == 0
    assert store.items.placed_after(0) == ([], 0)
    with store.transaction():
        store.items.lock_stories()  # (held to the end of the transaction where processes share the store)
        assert store.items.mark_placed(["v1:1", "v1:2"]) == 1
    store.items.set_story("v1:3", "v1:1")
    assert store.items.mark_placed(["v1:3"]) == 2
    members, last = store.items.placed_after(0)
    assert [(m.identity, m.story) for m in members] == [("v1:1", "v1:1"), ("v1:2", "v1:2"), ("v1:3", "v1:1")]
    assert {m.published_at for m in members} == {NOW}
    assert last == store.items.last_placed() == 2
    members, last = store.items.placed_after(1)
    assert [m.identity for m in members] == ["v1:3"] and last == 2
    assert store.items.placed_after(2) == ([], 2)


def test_one_alert_per_story_and_target_and_edits_of_sent_alerts(store: Store) -> None:
    store.items.add([item(1), item(2)], feed_name="F", now=NOW)
    assert store.outbox.enqueue("v1:1", "telegram", "5", ["asml"], now=NOW, story="s")
    assert not store.outbox.enqueue("v1:2", "telegram", "5", ["chips"], now=NOW, story="s")  # the chat has it
    assert store.outbox.enqueue("v1:2", "telegram", "6", ["chips"], now=NOW, story="s")  # another chat does not
    one, two = store.outbox.claim_due("telegram", now=NOW)
    store.outbox.mark_sent([one.id], now=NOW, message_id=41)
    store.outbox.mark_dead([two.id], error="blocked")
    assert store.outbox.queue_edits("s", now=NOW, sent_since=NOW - timedelta(hours=48)) == 1  # sent ones only
    assert store.outbox.queue_edits("s", now=NOW, sent_since=NOW + timedelta(hours=1)) == 0  # too old to edit
    assert store.outbox.queue_edits("s", now=NOW, sent_since=NOW - timedelta(hours=48)) == 1  # the same edit
    (edit,) = store.outbox.claim_edits("telegram", now=NOW)
    assert (edit.id, edit.message_id, edit.story, edit.attempts) == (one.id, 41, "s", 1)
    assert store.outbox.claim_edits("telegram", now=NOW) == []
    store.outbox.edit_retry([edit.id], error="timed out", next_attempt_at=NOW + timedelta(minutes=1))
    assert store.outbox.claim_edits("telegram", now=NOW) == []
    (again,) = store.outbox.claim_edits("telegram", now=NOW + timedelta(minutes=1))
    assert again.attempts == 2
    assert store.outbox.release_in_flight() == 0 and store.outbox.edit_counts() == {"pending": 1}  # a crash
    (again,) = store.outbox.claim_edits("telegram", now=NOW + timedelta(minutes=1))
    store.outbox.edit_done([again.id])
    assert store.outbox.edit_counts() == {"done": 1}


def test_an_edit_that_fails_for_good_is_dead_until_a_later_report_queues_it_afresh(store: Store) -> None:
    store.items.add([item(1)], feed_name="F", now=NOW)
    store.outbox.enqueue("v1:1", "telegram", "5", ["asml"], now=NOW, story="s")
    (alert,) = store.outbox.claim_due("telegram", now=NOW)
    store.outbox.mark_sent([alert.id], now=NOW, message_id=7)
    store.outbox.queue_edits("s", now=NOW, sent_since=NOW)
    (edit,) = store.outbox.claim_edits("telegram", now=NOW)
    assert store.outbox.claim_edits("console", now=NOW) == []  # another channel's sender does not get it
    store.outbox.edit_dead([edit.id], error="message to edit not found")
    assert store.outbox.edit_counts() == {"dead": 1} and store.outbox.claim_edits("telegram", now=NOW) == []
    assert store.outbox.queue_edits("s", now=NOW, sent_since=NOW) == 1
    (afresh,) = store.outbox.claim_edits("telegram", now=NOW)
    assert (afresh.id, afresh.attempts, afresh.sent_at) == (alert.id, 1, NOW)


# --- judgments -----------------------------------------------------------------------------------------


def judgment(chat: int, story: str, user: int, verdict: str, at: datetime) -> Judgment:
    return Judgment(chat_id=chat, story=story, user_id=user, verdict=verdict, identity=story,
                    watchlists=("asml", "chips"), hits={"asml": [{"pattern": "ASML", "text": "ASML"}]}, at=at)


def test_one_judgment_per_chat_story_and_user_a_later_tap_replaces_it(store: Store) -> None:
    assert store.judgments.record(judgment(5, "s1", 7, "down", NOW)) is None
    assert store.judgments.record(judgment(5, "s1", 8, "down", NOW)) is None  # another person in the group
    assert store.judgments.record(judgment(6, "s1", 7, "up", NOW)) is None  # the same person in another chat
    later = NOW + timedelta(minutes=5)
    replaced = store.judgments.record(judgment(5, "s1", 7, "up", later))
    assert replaced is not None and replaced.verdict == "down" and replaced.at == NOW
    every = store.judgments.all()
    assert sorted((j.chat_id, j.user_id, j.verdict) for j in every) == [(5, 7, "up"), (5, 8, "down"), (6, 7, "up")]
    mine = next(j for j in every if (j.chat_id, j.user_id) == (5, 7))
    assert mine.at == later and mine.watchlists == ("asml", "chips") and mine.hits["asml"][0]["text"] == "ASML"
    assert [j.user_id for j in store.judgments.all(since=later)] == [7]
    assert store.judgments.counts() == {"down": 1, "up": 2}


def test_an_alerts_judgments_are_tallied_per_verdict_for_its_buttons(store: Store) -> None:
    assert store.judgments.tally(5, "s1") == {}
    for user, verdict in ((7, "up"), (8, "up"), (9, "down")):
        store.judgments.record(judgment(5, "s1", user, verdict, NOW))
    store.judgments.record(judgment(6, "s1", 7, "down", NOW))  # another chat's alert of the story
    store.judgments.record(judgment(5, "s2", 7, "down", NOW))  # another story in the chat
    assert store.judgments.tally(5, "s1") == {"up": 2, "down": 1}
    store.judgments.record(judgment(5, "s1", 8, "down", NOW + timedelta(minutes=1)))  # a changed mind
    assert store.judgments.tally(5, "s1") == {"up": 1, "down": 2}
    assert store.judgments.tally(6, "s1") == {"down": 1}


def test_an_outbox_row_is_found_by_its_id(store: Store) -> None:
    store.items.add([item(1)], feed_name="f1", now=NOW)
    store.outbox.enqueue("v1:1", "telegram", "5", ["asml"], now=NOW, story="s1")
    [row] = store.outbox.rows()
    got = store.outbox.get(row.id)
    assert got is not None and (got.target, got.story, got.watchlists) == ("5", "s1", ("asml",))
    assert store.outbox.get(row.id + 1) is None


def test_the_stories_alerted_to_a_target_are_known_unless_their_alert_died(store: Store) -> None:
    store.items.add([item(1), item(2), item(3)], feed_name="f1", now=NOW)
    store.outbox.enqueue("v1:1", "telegram", "5", ["asml"], now=NOW, story="s1")
    store.outbox.enqueue("v1:2", "telegram", "5", ["asml"], now=NOW, story="s2")
    store.outbox.enqueue("v1:3", "telegram", "6", ["asml"], now=NOW, story="s3")  # another chat's
    dead = next(r for r in store.outbox.rows() if r.story == "s2")
    store.outbox.mark_dead([dead.id], error="blocked")
    assert store.outbox.alerted_stories("telegram", "5", ["s1", "s2", "s3", "s4"]) == {"s1"}
    assert store.outbox.alerted_stories("telegram", "5", []) == set()


# --- archive (store copy, backups) ----------------------------------------------------------------------


def test_every_table_exported_loads_back_the_same(store: Store) -> None:
    from bot.store.portable import TABLES

    store.feeds.sync([("f1", "Feed one")])
    stored_match(store, 1, ["asml", "chips"], NOW)
    store.outbox.enqueue("v1:1", "telegram", "42", ["asml"], now=NOW)
    store.chats.ensure(42, type="private", title="p", now=NOW)
    store.chats.subscribe(42, "asml", "digest", now=NOW)
    store.digests.ensure("chat:42", channel="telegram", target="42", watchlists=(), since=None, now=NOW)
    (first,) = store.digests.pending_chat("chat:42", 42)
    store.digests.settle("chat:42", [first.match_id], now=NOW, complete=False)
    with store.archive.snapshot():
        tables = {t.name: [r for rows in store.archive.export(t.name, batch=1) for r in rows] for t in TABLES}
    assert {n: len(rows) for n, rows in tables.items() if rows} == {
        "feeds": 1, "items": 1, "sightings": 1, "matches": 2, "outbox": 1, "chats": 1, "subscriptions": 1,
        "digest_recipients": 1, "digest_delivered": 1}
    assert tables["items"][0]["first_seen_at"] == "2024-03-27T16:00:00+00:00"  # portable: ISO strings in UTC
    pending = store.digests.pending_email("chat:42", watchlists=(), since=None)
    store.archive.clear()
    assert all(store.archive.count(t.name) == 0 for t in TABLES)
    for t in TABLES:
        store.archive.load(t.name, tables[t.name])
    assert store.digests.pending_email("chat:42", watchlists=(), since=None) == pending
    assert store.outbox.rows()[0].watchlists == ("asml",) and store.feeds.all()[0].name == "Feed one"


# --- retention ------------------------------------------------------------------------------------------


def test_prune_forgets_old_items_but_never_what_is_still_to_be_delivered(store: Store) -> None:
    old = NOW - timedelta(days=200)
    for n, watchlists in (("quiet", []), ("waiting", ["asml"]), ("sent", ["asml"]), ("emailed", ["mail"]),
                          ("unmailed", ["mail"]), ("for-chat", ["chips"]), ("chat-got", ["chips"])):
        stored_match(store, n, watchlists, old)
    stored_match(store, "new", ["asml"], NOW)
    store.outbox.enqueue("v1:waiting", "telegram", "42", ["asml"], now=old)
    store.outbox.enqueue("v1:sent", "telegram", "42", ["asml"], now=old)
    store.outbox.mark_sent([r.id for r in store.outbox.claim_due("telegram", now=old) if r.identity == "v1:sent"],
                           now=old)  # "waiting" stays in flight (sending)
    d = store.digests
    d.ensure("email:a@x|mail", channel="email", target="a@x", watchlists=["mail"], since=old, now=old)
    emailed = [p for p in d.pending_email("email:a@x|mail", watchlists=["mail"], since=old) if p.identity == "v1:emailed"]
    d.settle("email:a@x|mail", [p.match_id for p in emailed], now=old, complete=False)
    store.chats.ensure(5, type="private", title="p", now=old)
    store.chats.subscribe(5, "chips", "digest", now=old - timedelta(days=1))
    d.ensure("chat:5", channel="telegram", target="5", watchlists=(), since=None, now=old)
    got = [p for p in d.pending_chat("chat:5", 5) if p.identity == "v1:chat-got"]
    d.settle("chat:5", [p.match_id for p in got], now=old, complete=False)
    pending_mail = d.pending_email("email:a@x|mail", watchlists=["mail"], since=old)
    pending_chat = d.pending_chat("chat:5", 5)

    counts = store.items.prune(NOW - timedelta(days=180))

    left = set(store.items.get([f"v1:{n}" for n in ("quiet", "waiting", "sent", "emailed", "unmailed", "for-chat",
                                                   "chat-got", "new")]))
    assert left == {"v1:waiting", "v1:unmailed", "v1:for-chat", "v1:new"}
    assert counts == {"items": 4, "sightings": 4, "matches": 3, "alerts": 1}
    assert [r.identity for r in store.outbox.rows()] == ["v1:waiting"]
    assert d.pending_email("email:a@x|mail", watchlists=["mail"], since=old) == pending_mail
    assert d.pending_chat("chat:5", 5) == pending_chat
    assert store.items.prune(NOW - timedelta(days=180)) == {"items": 0, "sightings": 0, "matches": 0, "alerts": 0}
# --- a chat's own phrases, mutes, and the hourly cap ---------------------------------------------------


def test_phrases_one_per_folded_key_active_chats_only_and_removal(store: Store) -> None:
    for chat in (5, 6):
        store.chats.ensure(chat, type="private", title="c", now=NOW)
    assert store.phrases.add(5, "Huawei", "huawei", now=NOW)
    assert not store.phrases.add(5, "HUAWEI", "huawei", now=NOW)  # one per folded form
    assert store.phrases.add(5, "半導體", "半导体", now=NOW + timedelta(seconds=1))
    assert store.phrases.add(6, "gallium", "gallium", now=NOW)
    assert store.phrases.phrases(5) == ["Huawei", "半導體"]
    assert store.phrases.all_phrases() == {5: ("Huawei", "半導體"), 6: ("gallium",)}
    store.chats.deactivate(6, "blocked", now=NOW)
    assert set(store.phrases.all_phrases()) == {5}
    assert store.phrases.remove(5, "nope") == 0
    assert store.phrases.remove(5, "huawei") == 1
    assert store.phrases.remove(5) == 1 and store.phrases.phrases(5) == []


def test_mutes_by_kind_and_key(store: Store) -> None:
    store.chats.ensure(5, type="private", title="c", now=NOW)
    assert store.phrases.mute(5, "phrase", "Bitcoin", "bitcoin", now=NOW)
    assert not store.phrases.mute(5, "phrase", "BITCOIN", "bitcoin", now=NOW)
    assert store.phrases.mute(5, "source", "Daily Spam", "daily spam", now=NOW)
    with pytest.raises(ValueError, match="unknown mute kind"):
        store.phrases.mute(5, "regex", "x", "x", now=NOW)
    assert [(m.kind, m.value) for m in store.phrases.mutes(5)] == [("phrase", "Bitcoin"), ("source", "Daily Spam")]
    assert [m.key for m in store.phrases.all_mutes()[5]] == ["bitcoin", "daily spam"]
    assert store.phrases.unmute(5, "source", "bitcoin") == 0
    assert store.phrases.unmute(5, "phrase", "bitcoin") == 1
    assert store.phrases.unmute(5) == 1 and store.phrases.mutes(5) == []


def test_held_alerts_go_to_the_chats_next_digest_once(store: Store) -> None:
    store.chats.ensure(5, type="private", title="c", now=NOW)
    store.chats.subscribe(5, "asml", "instant", now=NOW)
    stored_match(store, 1, ["asml"], NOW)
    stored_match(store, 2, ["asml"], NOW)
    assert store.chats.digest_chats() == []
    store.phrases.hold(5, "v1:2", ["asml"], now=NOW)
    assert store.phrases.held_count(5, since=NOW) == 1 and store.phrases.held_count(5, since=NOW + HOUR) == 0
    assert [c.chat_id for c in store.chats.digest_chats()] == [5]  # it has a digest to get now
    store.digests.ensure("chat:5", channel="telegram", target="5", watchlists=(), since=None, now=NOW)
    pending = store.digests.pending_chat("chat:5", 5)
    assert [p.identity for p in pending] == ["v1:2"]  # the instant subscription's other match is not pending
    store.digests.settle("chat:5", [p.match_id for p in pending], now=NOW + 2 * HOUR)
    assert store.digests.pending_chat("chat:5", 5) == [] and store.chats.digest_chats() == []


def test_cap_spells_are_told_once(store: Store) -> None:
    assert store.phrases.over_cap(5, now=NOW)
    assert not store.phrases.over_cap(5, now=NOW + HOUR)  # the same spell
    assert store.phrases.untold() == [5]
    store.phrases.told(5, now=NOW)
    assert store.phrases.untold() == []
    store.phrases.under_cap(5)
    assert store.phrases.over_cap(5, now=NOW + 2 * HOUR) and store.phrases.untold() == [5]


def test_outbox_counts_a_targets_recent_alerts(store: Store) -> None:
    for n in range(3):
        store.items.add([item(n)], feed_name="f1", now=NOW)
        store.outbox.enqueue(f"v1:{n}", "telegram", "5", ["asml"], now=NOW + n * HOUR)
    assert store.outbox.count_recent("telegram", "5", since=NOW + HOUR) == 2
    assert store.outbox.count_recent("telegram", "6", since=NOW) == 0


def test_a_migrated_group_keeps_its_phrases_mutes_and_language(store: Store) -> None:
    store.chats.ensure(-5, type="group", title="g", now=NOW)
    store.chats.update(-5, language="zh-hant", heard_language="zh-hans", now=NOW)
    store.phrases.add(-5, "gallium", "gallium", now=NOW)
    store.phrases.mute(-5, "source", "Spam", "spam", now=NOW)
    store.chats.subscribe(-5, "chat:-5", now=NOW)
    store.chats.migrate(-5, -1005, now=NOW)
    store.phrases.rekey(-5, -1005)
    assert [s.watchlist for s in store.chats.subscriptions(-1005)] == ["chat:-1005"]
    moved = store.chats.get(-1005)
    assert moved is not None and (moved.language, moved.heard_language, moved.speaks) == ("zh-hant", "zh-hans",
                                                                                          "zh-hant")
    assert store.phrases.phrases(-1005) == ["gallium"] and store.phrases.phrases(-5) == []
    assert [m.value for m in store.phrases.mutes(-1005)] == ["Spam"]


def test_latest_items_newest_first(store: Store) -> None:
    for n in range(5):
        store.items.add([item(n)], feed_name="f1", now=NOW + n * HOUR)
    assert [i.identity for i in store.items.latest(3)] == ["v1:4", "v1:3", "v1:2"]
    assert store.items.latest(0) == []


def test_prune_takes_an_alerts_edits_with_it_and_keeps_judgments(store: Store) -> None:
    old = NOW - timedelta(days=200)
    stored_match(store, "old", ["asml"], old)
    store.outbox.enqueue("v1:old", "telegram", "5", ["asml"], now=old)
    (alert,) = store.outbox.claim_due("telegram", now=old)
    store.outbox.mark_sent([alert.id], now=old, message_id=9)
    store.outbox.queue_edits("v1:old", now=old, sent_since=old)
    (edit,) = store.outbox.claim_edits("telegram", now=old)
    store.outbox.edit_done([edit.id])
    store.judgments.record(judgment(5, "v1:old", 7, "down", old))

    assert store.items.prune(NOW - timedelta(days=180)) == {"items": 1, "sightings": 1, "matches": 1, "alerts": 1}
    assert store.outbox.rows() == [] and store.outbox.edit_counts() == {}
    assert [(j.identity, j.verdict) for j in store.judgments.all()] == [("v1:old", "down")]  # evidence outlives items


# --- the store's threads ---------------------------------------------------------------------------------


async def test_work_someone_waits_for_goes_before_queued_background_work(store: Store) -> None:
    """Polling queues its store calls (run_background); a command's call (run) is taken before them."""
    import asyncio
    import threading

    release = threading.Event()
    order: list[str] = []

    def background(n: int) -> None:
        release.wait(10)
        order.append(f"background {n}")

    def person() -> list[object]:
        order.append("person")
        return store.feeds.all()

    queued = [store.run_background(background, n) for n in range(24)]  # (more than any store has threads)
    await asyncio.sleep(0.2)  # every thread holds one, the rest wait in the queue
    answer = store.run(person)
    release.set()
    await asyncio.gather(answer, *queued)
    before = order.index("person")
    assert 1 <= before <= 10, order  # only the calls already running went first, not the queue behind them


async def test_store_errors_come_back_from_either_lane(store: Store) -> None:
    import pytest as _pytest

    def boom() -> None:
        raise ValueError("boom")

    with _pytest.raises(ValueError, match="boom"):
        await store.run_background(boom)
    with _pytest.raises(ValueError, match="boom"):
        await store.run(boom)


def test_a_lease_is_held_by_one_holder_at_a_time(store: Store) -> None:
    """What keeps two processes from mailing one digest twice (`watchbot digest --send` beside the service): on SQLite
    it was always held, by everyone."""
    a, b = store.lease("email-digests"), store.lease("email-digests")
    assert a.acquire() and a.held()
    assert not b.acquire() and not b.held()
    other = store.lease("another")
    assert other.acquire()  # (another name is another lease)
    other.release()
    a.release()
    assert b.acquire()
    b.release()


def test_followed_watchlists_are_counted_for_active_chats(store: Store) -> None:
    chats = store.chats
    for chat_id in (1, 2, 3):
        chats.ensure(chat_id, type="private", title="p", now=NOW)
        chats.subscribe(chat_id, "asml", now=NOW)
    chats.subscribe(1, "chips", "digest", now=NOW)
    chats.subscribe(2, "chat:2", now=NOW)
    chats.update(3, paused=True, now=NOW)  # (paused: follows still)
    chats.deactivate(1, "blocked", now=NOW)  # (gone: unsubscribed)
    assert chats.followed() == {"asml": 2, "chat:2": 1}
