"""The pure digest builder: grouping, order, "also in", zones, nothing-pending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.digest.build import PendingMatch, build_digest, one_line

NOW = datetime(2026, 3, 27, 0, 30, tzinfo=UTC)


def pm(match_id: int, identity: str, watchlist: str, *, title: str = "", minutes_ago: int = 0,
       feeds: tuple[str, ...] = ("Reuters",), link: str | None = "https://news.example/x",
       published: bool = True, terms: tuple[str, ...] = ()) -> PendingMatch:
    when = NOW - timedelta(minutes=minutes_ago)
    return PendingMatch(match_id=match_id, identity=identity, watchlist=watchlist, matched_at=NOW,
                        title=title or f"story {identity}", link=link, lede="", published=when if published else None,
                        feeds=feeds, terms=terms)


def test_groups_by_watchlist_in_recipient_order_newest_first() -> None:
    pending = [
        pm(1, "old", "semiconductors", minutes_ago=300),
        pm(2, "new", "semiconductors", minutes_ago=5),
        pm(3, "ec", "export-controls", minutes_ago=60),
    ]
    d = build_digest("r", pending, watchlists=["export-controls", "semiconductors"], zone="UTC", now=NOW)
    assert d is not None
    assert [s.watchlist for s in d.sections] == ["export-controls", "semiconductors"]
    assert [i.identity for i in d.sections[1].items] == ["new", "old"]
    assert d.counts() == [("export-controls", 1), ("semiconductors", 2)]
    assert d.total == 3
    assert d.match_ids == (1, 2, 3)


def test_each_story_once_with_its_other_watchlists_and_feeds() -> None:
    pending = [
        pm(1, "a", "semiconductors", feeds=("RFI 中文", "BBC 中文", "RFI 中文", "Reuters")),
        pm(2, "a", "asml", feeds=("RFI 中文", "BBC 中文", "Reuters"), terms=("阿斯麦",)),
    ]
    d = build_digest("r", pending, watchlists=["asml", "semiconductors"], zone="UTC", now=NOW,
                     names={"semiconductors": "Semiconductors"})
    assert d is not None
    assert [s.watchlist for s in d.sections] == ["asml"]
    item = d.sections[0].items[0]
    assert item.source == "RFI 中文"
    assert item.also_in == ("BBC 中文", "Reuters")
    assert item.also_matched == ("Semiconductors",)
    assert item.terms == ("阿斯麦",)
    assert d.match_ids == (1, 2)  # both matches are settled by this one listing


def test_a_headline_is_credited_to_the_outlet_that_wrote_it() -> None:
    """Reuters' headline, link and time had been credited to 中央社 (the story's first-seen outlet), Reuters listed
    under "also in"."""
    from dataclasses import replace

    reuters = replace(pm(1, "r", "asml", title="ASML bookings beat expectations", minutes_ago=30,
                         feeds=("中央社", "Reuters", "联合早报")), story="s", source="Reuters")
    cna = replace(pm(2, "c", "asml", title="艾司摩爾訂單優於預期", minutes_ago=10, feeds=("中央社", "Reuters", "联合早报")),
                  story="s", source="中央社")
    d = build_digest("r", [reuters, cna], watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None
    [item] = d.sections[0].items
    assert (item.title, item.source, item.also_in) == ("ASML bookings beat expectations", "Reuters", ("中央社", "联合早报"))
    assert item.when == NOW - timedelta(minutes=30)  # the time of the report shown


def test_a_storys_terms_from_several_matches_are_named_once() -> None:
    pending = [pm(1, "a", "semiconductors", terms=("memory chips", "DRAM")), pm(2, "a", "asml", terms=("Memory chip",))]
    d = build_digest("r", pending, watchlists=["asml", "semiconductors"], zone="UTC", now=NOW)
    assert d is not None and d.sections[0].items[0].terms == ("memory chips", "DRAM")


def test_all_watchlists_when_none_named_sorted_by_id() -> None:
    d = build_digest("r", [pm(1, "x", "semiconductors"), pm(2, "y", "asml")], watchlists=[], zone="UTC", now=NOW)
    assert d is not None and [s.watchlist for s in d.sections] == ["asml", "semiconductors"]


def test_other_watchlists_are_not_listed_but_settled() -> None:
    d = build_digest("r", [pm(1, "x", "asml"), pm(2, "y", "gallium")], watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None and d.total == 1 and d.match_ids == (1, 2)


@pytest.mark.parametrize(("zone", "shown", "label"), [
    ("Asia/Shanghai", "2026-03-27 08:25", "Asia/Shanghai (UTC+08:00)"),  # (CST: US Central too)
    ("America/New_York", "2026-03-26 20:25", "America/New_York (EDT, UTC-04:00)"),
    ("UTC", "2026-03-27 00:25", "UTC (UTC+00:00)"),
])
def test_times_in_the_recipients_zone(zone: str, shown: str, label: str) -> None:
    d = build_digest("r", [pm(1, "x", "asml", minutes_ago=5)], watchlists=["asml"], zone=zone, now=NOW)
    assert d is not None
    assert f"{d.sections[0].items[0].when:%Y-%m-%d %H:%M}" == shown
    assert d.zone_label() == label


def test_published_in_the_future_or_missing_falls_back_to_matched_time() -> None:
    future = PendingMatch(1, "f", "asml", NOW - timedelta(minutes=3), "t", None, "", NOW + timedelta(days=3), ("A",))
    d = build_digest("r", [future, pm(2, "n", "asml", published=False)], watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None
    whens = {i.identity: i.when for i in d.sections[0].items}
    assert whens == {"f": NOW - timedelta(minutes=3), "n": NOW}


def test_nothing_pending_gives_nothing_unless_send_empty() -> None:
    assert build_digest("r", [], watchlists=["asml"], zone="UTC", now=NOW) is None
    assert build_digest("r", [pm(1, "x", "gallium")], watchlists=["asml"], zone="UTC", now=NOW) is None
    d = build_digest("r", [], watchlists=["asml"], zone="UTC", now=NOW, send_empty=True)
    assert d is not None and d.empty and d.subject() == "Watchbot digest 2026-03-27: no new stories"


def test_subject_has_date_in_zone_and_counts() -> None:
    d = build_digest("r", [pm(1, "x", "asml"), pm(2, "y", "asml"), pm(3, "z", "export-controls")],
                     watchlists=["asml", "export-controls"], zone="Asia/Shanghai", now=NOW,
                     names={"asml": "ASML 阿斯麦"})
    assert d is not None
    assert d.subject() == "Watchbot digest 2026-03-27: 3 stories (ASML 阿斯麦 2, export-controls 1)"


@pytest.mark.parametrize(("raw", "clean"), [
    ("a\r\nBcc: x@evil.example", "a Bcc: x@evil.example"),
    ("  tabs\tand\u2028separators\x00 ", "tabs and separators"),
    ("中文\n标题", "中文 标题"),
])
def test_feed_text_is_one_line(raw: str, clean: str) -> None:
    assert one_line(raw) == clean
    d = build_digest("r", [pm(1, "x", "asml", title=raw)], watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None and d.sections[0].items[0].title == clean


@pytest.mark.parametrize(("link", "kept"), [
    ("https://a.example/x?y=1", True), ("http://a.example", True), ("javascript:alert(1)", False),
    ("data:text/html,<b>", False), ("https://a.example/\r\nX: y", False), (None, False),
])
def test_only_http_links_are_offered(link: str | None, kept: bool) -> None:
    d = build_digest("r", [pm(1, "x", "asml", link=link)], watchlists=["asml"], zone="UTC", now=NOW)
    assert d is not None and (d.sections[0].items[0].link is not None) is kept


def test_a_story_is_headed_by_its_report_in_the_readers_language_else_its_earliest() -> None:
    """An English digest led with the Chinese report of a story (naming the English outlet without a link), another
    run with another outlet, and the matched terms listed were those of reports not shown."""
    from dataclasses import replace

    story = [replace(pm(1, "zh", "asml", title="阿斯麦对华出货受阻", minutes_ago=30, feeds=("RFI 中文", "AP News"),
                        terms=("阿斯麦",)), story="s", source="RFI 中文"),
             replace(pm(2, "en2", "asml", title="ASML shipments to China halted", minutes_ago=10,
                        feeds=("RFI 中文", "AP News"), terms=("ASML",)), story="s", source="AP News"),
             replace(pm(3, "en1", "asml", title="ASML halts China shipments", minutes_ago=20,
                        feeds=("RFI 中文", "Reuters"), terms=("ASML shipments",)), story="s", source="Reuters")]
    for order in (story, story[::-1]):  # (whatever order the store gives them in)
        english = build_digest("r", order, watchlists=["asml"], zone="UTC", now=NOW, lang="en")
        chinese = build_digest("r", order, watchlists=["asml"], zone="UTC", now=NOW, lang="zh-hant")
        plain = build_digest("r", order, watchlists=["asml"], zone="UTC", now=NOW)
        assert english is not None and chinese is not None and plain is not None
        [e], [c], [p] = english.sections[0].items, chinese.sections[0].items, plain.sections[0].items
        assert (e.title, e.source, e.terms) == ("ASML halts China shipments", "Reuters", ("ASML shipments",))
        assert (c.title, c.source, c.terms) == ("阿斯麦对华出货受阻", "RFI 中文", ("阿斯麦",))
        assert p.title == "阿斯麦对华出货受阻"  # (no language asked: the earliest)
