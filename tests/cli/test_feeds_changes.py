"""`watchbot feeds add|remove|pause|resume|import|export`: the feeds use-case from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.feeds.opml import parse_opml
from tests.doubles.feedserver import FeedServer, rss


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "asml.yaml").write_text("id: asml\nany: [ASML]\n")
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n[rules]\npath = "rules"\n[[feeds]]\n'
                    f'url = "{tmp_path / "local.xml"}"\nname = "Local"\n')
    (tmp_path / "local.xml").write_bytes(rss([], title="Local"))
    return path


def test_add_pause_resume_remove_from_the_command_line(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with FeedServer() as feeds:
        url = feeds.feed("/news.xml", rss([("Story", "https://n.example/1")], title="Daily News"))
        assert main(["feeds", "add", url, "--config", str(config)]) == 0
        assert capsys.readouterr().out.strip() == f"Daily News: added ({url})"
    assert main(["feeds", "pause", url, "--config", str(config)]) == 0
    assert main(["feeds", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "Daily News (paused, added)" in out and "· Local" in out and "2 feeds" in out
    paused = next(line for line in out.splitlines() if "Daily News (paused, added)" in line)
    assert paused.endswith("; not polled until `watchbot feeds resume`")  # (it had said "due now")
    assert main(["feeds", "resume", url, "--config", str(config)]) == 0
    assert main(["feeds", "remove", str(config.parent / "local.xml"), "--config", str(config)]) == 1
    assert "remove its [[feeds]] entry there" in capsys.readouterr().err
    assert main(["feeds", "remove", url, "--config", str(config)]) == 0
    capsys.readouterr()
    assert main(["feeds", "--config", str(config)]) == 0
    assert "Daily News" not in capsys.readouterr().out


def test_poll_polls_the_feeds_added_and_leaves_the_paused_out(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`watchbot poll` polled the config's feeds alone (an added feed never, a paused one always), and `poll --feed`
    of an added feed turned it into a config feed without its name, which the service then never polled again."""
    with FeedServer() as feeds:
        url = feeds.feed("/news.xml", rss([("ASML story", "https://n.example/1")], title="Daily News"))
        assert main(["feeds", "add", url, "--name", "My News", "--config", str(config)]) == 0
        assert main(["feeds", "pause", str(config.parent / "local.xml"), "--config", str(config)]) == 0
        capsys.readouterr()
        assert main(["poll", "--config", str(config)]) == 0
        err = capsys.readouterr().err
        assert "Polling 1 feed (1 paused, left out)" in err and "✓ My News: 1 item, 1 new" in err
        assert main(["poll", "--feed", url, "--config", str(config)]) == 0
        assert "✓ My News: " in capsys.readouterr().err  # (by its name)
    assert main(["feeds", "--config", str(config)]) == 0
    assert "My News (added)" in capsys.readouterr().out  # still its name, still an added feed
    assert main(["feeds", "pause", url, "--config", str(config)]) == 0
    assert main(["poll", "--config", str(config)]) == 1
    assert "no feeds to poll (2 paused: `watchbot feeds resume URL`)" in capsys.readouterr().err


def test_pause_resume_and_remove_take_a_name_and_json_keeps_the_name_clean(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """They took URLs alone, and said "see the list of feeds for the URLs" where the list shows none; the json's name
    held "(paused) (added)"."""
    with FeedServer() as feeds:
        url = feeds.feed("/news.xml", rss([], title="Daily News"))
        assert main(["feeds", "add", url, "--config", str(config)]) == 0
    assert main(["feeds", "pause", "daily news", "--config", str(config)]) == 0
    assert main(["feeds", "pause", "local", "--config", str(config)]) == 0  # (a config feed, by its name)
    assert capsys.readouterr().out.splitlines()[-2:] == [f"Daily News ({url}): paused",
                                                         f"Local ({config.parent / 'local.xml'}): paused"]
    assert main(["feeds", "--format", "json", "--config", str(config)]) == 0
    rows = {r["name"]: r for r in json.loads(capsys.readouterr().out)}
    assert (rows["Daily News"]["paused"], rows["Daily News"]["origin"]) == (True, "added")
    assert (rows["Local"]["paused"], rows["Local"]["origin"]) == (True, "config")
    assert main(["feeds", "remove", "nowhere", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("watchbot: error: no feed is called 'nowhere' (feeds: 'Local' (") and "'Daily News' (http" in err
    assert main(["feeds", "remove", "Daily", "--config", str(config)]) == 0


def test_a_local_file_is_refused_with_where_it_goes(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    local = str(config.parent / "local.xml")
    assert main(["feeds", "add", local, "--config", str(config)]) == 1
    assert f"a local file goes in {config} as a [[feeds]] entry" in capsys.readouterr().err
    bare = tmp_path / "bare"
    bare.mkdir()
    monkeypatch.chdir(bare)  # no config.toml here: the built-in defaults, which no one can edit
    assert main(["feeds", "add", local]) == 1
    err = capsys.readouterr().err
    assert "goes in a config file (copy config.example.toml to config.toml)" in err and "built-in" not in err


def test_an_opml_import_says_what_it_left_out(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Entries that are no http(s) feed were left out without a word ("imported 2 feeds; 1 were already there")."""
    opml = config.parent / "subs.opml"
    opml.write_text('<opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/rss"/>'
                    '<outline text="B" xmlUrl="https://b.example/rss"/><outline text="Folder"/>'
                    '<outline text="Local" xmlUrl="/srv/feeds/local.xml"/><outline text="FTP" xmlUrl="ftp://x/y"/>'
                    '</body></opml>')
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == (
        "imported 2 feeds; 0 were already there; 2 left out: Local (/srv/feeds/local.xml): a local file: it goes in "
        "the config as a [[feeds]] entry; FTP (ftp://x/y): not a web address (ftp:): only http and https feeds are "
        "polled")  # (a folder is no feed: not said)
    opml.write_text('<opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/rss"/></body></opml>')
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    assert capsys.readouterr().out.strip() == "imported 0 feeds; 1 was already there"


def test_opml_import_and_export(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    opml = config.parent / "subs.opml"
    opml.write_text('<opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/rss"/></body></opml>')
    assert main(["feeds", "import", str(opml), "--config", str(config)]) == 0
    assert "imported 1 feed; 0 were already there" in capsys.readouterr().out
    assert main(["feeds", "export", "--config", str(config)]) == 0
    exported = parse_opml(capsys.readouterr().out.encode())
    # (a local file feed is left out: `feeds import` of the same file had refused it, as would a reader elsewhere)
    assert exported == [("https://a.example/rss", "A")]
    assert main(["feeds", "import", str(config.parent / "missing.opml"), "--config", str(config)]) == 1
