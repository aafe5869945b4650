"""`watchbot stories`: recent stories with their outlets; --merged, and --reports to see what was joined."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore
from bot.watch import Hit, Match

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


def item(n: int, feed: str, title: str, published: datetime | None) -> Item:
    return Item(identity=f"v1:{n}", url=f"https://x.com/{n}", link=f"https://x.com/{n}", guid=None, title=title,
                lede="Lede", language="en", published=published, feed_url=feed)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n', encoding="utf-8")
    store = SqliteStore(tmp_path / "w.db")
    store.feeds.sync([("https://a.example/rss", "Reuters"), ("https://b.example/rss", "NHK"),
                      ("https://c.example/rss", "AP")])
    # First seen at one instant (a first poll), NHK's report published before Reuters': it comes first.
    store.items.add([item(1, "https://a.example/rss", "ASML wins EUV licence", NOW - timedelta(hours=2))],
                    feed_name="Reuters", now=NOW)
    store.items.add([item(2, "https://b.example/rss", "Dutch let ASML ship EUV tools", NOW - timedelta(hours=5))],
                    feed_name="NHK", now=NOW)
    store.items.add([item(3, "https://c.example/rss", "TSMC opens a fab in Kumamoto", None)],
                    feed_name="AP", now=NOW)
    store.items.set_story("v1:2", "v1:1")
    for n in (1, 2, 3):
        store.items.record_matches(f"v1:{n}", [Match("asml", 100.0, (Hit("ASML", "title", (0, 4), "ASML", 100.0),))],
                                   now=NOW)
    store.close()
    return path


def test_stories_lists_each_story_once_with_its_outlets(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    # Published 5 h before it was first seen (an archive a first poll brought): both are said.
    assert ("Dutch let ASML ship EUV tools\n    2 outlets (en): NHK, Reuters; published "
            f"{NOW - timedelta(hours=5):%Y-%m-%d %H:%M} UTC, first seen ") in out
    assert "TSMC opens a fab in Kumamoto\n    1 outlet (en): AP; first seen " in out  # undated: news when seen
    assert out.index("Kumamoto") < out.index("Dutch let")  # newest first: news time, first seen alike
    assert "·" not in out  # reports only with --reports
    assert out.rstrip().endswith("2 stories from 3 reports")


def test_merged_reports_show_what_was_joined(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--config", str(config), "--merged", "--reports"]) == 0
    out = capsys.readouterr().out
    nhk, reuters = (NOW - timedelta(hours=5)), (NOW - timedelta(hours=2))
    assert (f"      · NHK, {nhk:%Y-%m-%d %H:%M} UTC: Dutch let ASML ship EUV tools\n"
            f"      · Reuters, {reuters:%Y-%m-%d %H:%M} UTC: ASML wins EUV licence\n") in out
    assert "Kumamoto" not in out
    assert out.rstrip().endswith("2 stories from 3 reports; 1 carried by more than one outlet")


def test_an_undated_report_says_so(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--config", str(config), "--reports"]) == 0
    assert "      · AP, undated: TSMC opens a fab in Kumamoto" in capsys.readouterr().out


def test_reports_say_which_earlier_report_each_is_most_alike_and_what_they_share(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["stories", "--config", str(config), "--merged", "--reports"]) == 0
    lines = capsys.readouterr().out.splitlines()
    reuters = next(n for n, line in enumerate(lines) if "· Reuters" in line)
    assert lines[reuters + 1].startswith("          0.") and " alike NHK's report: ASML, EUV" in lines[reuters + 1]
    assert "alike" not in lines[reuters - 1]  # the story's first report


def test_a_first_polls_stories_come_newest_published_first_whatever_order_the_feeds_came_in(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A first poll ingests feed after feed over seconds: the feed read last may hold the oldest archive."""
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n', encoding="utf-8")
    store = SqliteStore(tmp_path / "w.db")
    store.feeds.sync([("https://a.example/rss", "Reuters"), ("https://b.example/rss", "NHK")])
    for n, (feed, name, days) in enumerate([("https://a.example/rss", "Reuters", 1), ("https://b.example/rss", "NHK", 40)]):
        store.items.add([item(n, feed, f"story {days} days old", NOW - timedelta(days=days))], feed_name=name,
                        now=NOW + timedelta(seconds=n))  # NHK's 40-day-old report seen a second later
        store.items.record_matches(f"v1:{n}", [Match("asml", 100.0, (Hit("ASML", "title", (0, 4), "ASML", 100.0),))],
                                   now=NOW)
    store.close()
    assert main(["stories", "--config", str(path), "--since", "90d"]) == 0
    out = capsys.readouterr().out
    assert out.index("story 1 days old") < out.index("story 40 days old")
