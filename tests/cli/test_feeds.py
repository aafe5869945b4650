"""`watchbot feeds`: one line per feed in config order with its interval and why; --verbose, show NAME,
--format json, --check; an empty feed says so (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.shipped import shipped_path

EMPTY = ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Empty</title>'
         "<ttl>90</ttl></channel></rss>")


def _config(tmp_path: Path, *, broken: bool = True, extra: str = "") -> Path:
    (tmp_path / "empty.xml").write_text(EMPTY, encoding="utf-8")
    (tmp_path / "copy.xml").write_bytes((shipped_path("seeds") / "rfi-feedx.xml").read_bytes())
    feeds = [("Seed", shipped_path("seeds") / "rfi-feedx.xml", ""), ("Empty", tmp_path / "empty.xml", ""),
             ("Pinned", tmp_path / "copy.xml", 'interval = "15m"')]
    if broken:
        feeds.insert(1, ("Broken", tmp_path / "missing.xml", ""))
    text = f'[storage]\nurl = "sqlite:///w.db"\n[rules]\npath = "{shipped_path("rules")}"\n{extra}'
    for name, path, more in feeds:
        text += f'[[feeds]]\nurl = "{path}"\nname = "{name}"\n{more}\n'
    config = tmp_path / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


def test_one_line_per_feed_in_config_order(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, broken=False)
    assert main(["feeds", "--config", str(config)]) == 0
    before = capsys.readouterr().out.splitlines()
    assert before == [
        "· Seed: not polled yet; interval chosen after its first poll; due now",
        "· Empty: not polled yet; interval chosen after its first poll; due now",
        "· Pinned: not polled yet; every 15 min (fixed by config); due now",
        f"3 feeds, 0 failing; no store yet at {tmp_path / 'w.db'}: `watchbot poll` polls them",
    ]
    assert main(["poll", "--config", str(config), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["feeds", "--config", str(config), "--check"]) == 0  # (for cron: only what needs a look)
    checked = capsys.readouterr().out.splitlines()
    assert len(checked) == 2 and checked[0].startswith("! Empty: no items: is this the feed URL?")
    assert checked[1] == "3 feeds, 0 failing"
    assert main(["feeds", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[-1] == "3 feeds, 0 failing"
    seed, empty, pinned = lines[:3]
    assert seed.startswith("✓ Seed: ok ") and "; every 6 h (no new items in the last week); next poll in 6" in seed
    # its <ttl> asks for less than its (empty) rhythm: the rhythm's reason stands
    assert empty.startswith("! Empty: no items: is this the feed URL?; every 6 h (no new items in the last week); ")
    assert pinned.startswith("✓ Pinned: ok ") and "; every 15 min (fixed by config); next poll in 1" in pinned


def test_check_fails_when_a_feed_fails_and_json_says_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    main(["poll", "--config", str(config), "--quiet"])
    capsys.readouterr()
    assert main(["feeds", "--config", str(config)]) == 0  # without --check: a report, not a verdict
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].startswith("✗ Broken: file not found (1 failure in a row); ") and lines[-1] == "4 feeds, 1 failing"
    assert lines[1].endswith(" (backing off after 1 failure)")  # (later than its interval: it says why)
    assert main(["feeds", "--config", str(config), "--check"]) == 1
    capsys.readouterr()

    assert main(["feeds", "--config", str(config), "--format", "json"]) == 0
    feeds = json.loads(capsys.readouterr().out)
    assert [f["name"] for f in feeds] == ["Seed", "Broken", "Empty", "Pinned"]
    assert [f["health"] for f in feeds] == ["ok", "failing", "no items", "ok"]
    seed, broken, empty, pinned = feeds
    assert (seed["interval_seconds"], seed["interval_reason"], seed["pinned"]) == (
        21600, "no new items in the last week", False)
    assert (broken["consecutive_failures"], broken["last_error"]) == (1, "file not found")
    assert (empty["last_items"], empty["ttl_seconds"], empty["health_text"]) == (0, 5400, "no items: is this the feed URL?")
    assert (pinned["interval_seconds"], pinned["interval_reason"], pinned["pinned"]) == (900, "fixed by config", True)


def test_verbose_and_show_give_the_details(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path)
    main(["poll", "--config", str(config), "--quiet"])
    capsys.readouterr()
    assert main(["feeds", "--config", str(config), "--verbose"]) == 0
    text = capsys.readouterr().out
    assert text.count("    interval:     ") == 4 and "at the next poll" not in text
    assert "    interval:     every 6 h (no new items in the last week)\n    feed asks:    ttl 90 min\n" in text

    assert main(["feeds", "show", "empty", "--config", str(config)]) == 0  # a name, any case
    shown = capsys.readouterr().out.splitlines()
    assert shown[0] == "! Empty" and "    health:       no items: is this the feed URL?" in shown
    assert "    items:        0 in the last body read, 0 new since added" in shown

    assert main(["feeds", "show", "nothing-like-it", "--config", str(config)]) == 1
    assert "no feed matches 'nothing-like-it' (feeds: 'Seed', 'Broken', 'Empty', 'Pinned')" in capsys.readouterr().err


def test_a_feed_read_with_a_warning_says_so_until_its_body_reads_clean(tmp_path: Path,
                                                                       capsys: pytest.CaptureFixture[str]) -> None:
    seed = (shipped_path("seeds") / "rfi-feedx.xml").read_text(encoding="utf-8")
    broken = seed.replace("</title>", "&colon;</title>", 2)  # (an HTML entity XML does not define: a captured feed's)
    config = _config(tmp_path, broken=False)
    (tmp_path / "copy.xml").write_text(broken, encoding="utf-8")
    main(["poll", "--config", str(config), "--quiet"])
    capsys.readouterr()
    main(["feeds", "--config", str(config)])
    pinned = capsys.readouterr().out.splitlines()[2]
    assert pinned.startswith("✓ Pinned: ok ") and " (warning: not well-formed XML, line " in pinned
    assert ": undefined entity at '&colon;" in pinned and "; read leniently); every 15 min" in pinned
    main(["feeds", "show", "Pinned", "--config", str(config), "--format", "json"])
    assert "undefined entity" in json.loads(capsys.readouterr().out)[0]["last_warning"]

    (tmp_path / "copy.xml").write_text(seed, encoding="utf-8")  # the publisher fixed it
    main(["poll", "--config", str(config), "--quiet"])
    capsys.readouterr()
    main(["feeds", "--config", str(config)])
    assert "warning" not in capsys.readouterr().out


def test_feeds_not_reached_while_this_machine_seemed_offline_say_so(tmp_path: Path,
                                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A poll whose hosts never answered is not held against the feeds (pipeline.py): `watchbot feeds` says that
    they were not reached, not that they are fine, nor that they are failing."""
    from tests.doubles.silent import SilentHosts

    with SilentHosts([f"127.0.0.{n}" for n in (2, 3, 4)]) as hosts:
        feeds = "".join(f'[[feeds]]\nurl = "{hosts.url(f"127.0.0.{n}")}"\nname = "Site {n}"\n' for n in (2, 3, 4))
        config = tmp_path / "config.toml"
        config.write_text('[storage]\nurl = "sqlite:///w.db"\n[poll]\ntimeout = "1s"\n' + feeds, encoding="utf-8")
        assert main(["poll", "-q", "--config", str(config)]) == 1
    capsys.readouterr()
    assert main(["feeds", "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    # the first two count (two dead feeds are two dead feeds), the third is this machine's
    assert [line.split(":")[0] for line in lines[:3]] == ["✗ Site 2", "✗ Site 3", "? Site 4"]
    assert lines[2].startswith("? Site 4: not reached while this machine seemed offline (timed out after 1 s without "
                               "a connection): not held against it; ")
    assert lines[2].endswith("next poll in 2 min")
    assert lines[-1] == "3 feeds, 2 failing, 1 not reached while this machine seemed offline"
    assert main(["feeds", "--format", "json", "--config", str(config)]) == 0
    assert [f["health"] for f in json.loads(capsys.readouterr().out)] == ["failing", "failing", "unreached"]


def test_one_feed_header_is_worded_alike_in_the_list_and_its_details() -> None:
    """`feeds` said "sy:updateFrequency: every 12 h" and `feeds --verbose` "sy:updatePeriod every 12 h" of one feed."""
    from bot.app.polling import Asks
    from bot.cli.feeds import _asks
    from bot.store.protocols import FeedState

    state = FeedState(url="u", name="n", title=None, etag=None, last_modified=None, last_status=None,
                      last_polled_at=None, last_success_at=None, last_error=None, last_error_at=None,
                      consecutive_failures=0, next_poll_at=None, items_total=0, update_seconds=43200.0,
                      ttl_seconds=5400.0)
    asked = Asks(ttl=5400.0, update=43200.0).longest()
    assert asked is not None and asked[1] in _asks(state) and "ttl 90 min" in _asks(state)


def test_check_says_nothing_when_every_feed_is_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A cron job's `feeds --check` mailed the whole list on every run, healthy or not."""
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///w.db"\n[[feeds]]\nurl = "{seed}"\nname = "Seed"\n', encoding="utf-8")
    assert main(["poll", "--config", str(config), "--quiet"]) == 0
    capsys.readouterr()
    assert main(["feeds", "--config", str(config), "--check"]) == 0
    assert capsys.readouterr().out == ""
