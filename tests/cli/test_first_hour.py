"""What a newcomer hits in the first hour with `watchbot poll`: clear errors for what cannot work, each said once."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.shipped import shipped_path
from bot.store.protocols import Judgment
from bot.store.sqlite import SqliteStore
from bot.times import utcnow
from tests.worlds import seed as seed_story


def _config(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(body, encoding="utf-8")
    return config


def test_config_before_the_command_is_accepted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[poll]\nbacklog = "0"\n[[feeds]]\nurl = "{seed}"\nname = "Seed"\n')
    assert main(["--config", str(config), "poll", "-q"]) == 0
    assert "1 alert sent" in capsys.readouterr().err


def test_a_config_without_feeds_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '[storage]\nurl = "sqlite:///w.db"\n')
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("watchbot: error: ") and "no feeds to poll" in err and "--feed" in err


def test_a_wrong_rules_path_is_an_error_not_a_silent_poll(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[rules]\npath = "no-such-rules"\n[[feeds]]\nurl = "{seed}"\n')
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "no valid watchlist" in err and "rules.path" in err and "Traceback" not in err


def test_a_failing_feed_is_reported_once_and_quiet_still_names_it(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str]) -> None:
    """-q is what a scheduled poll runs with: it hid why a feed failed, which is what its output is read for."""
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n[[feeds]]\nurl = "{tmp_path / "gone.xml"}"\n')
    assert main(["poll", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert err.count("gone.xml") == 1 and "✗" in err
    assert main(["poll", "--config", str(config), "-q"]) == 0
    quiet = capsys.readouterr().err.strip().splitlines()
    assert len(quiet) == 2 and quiet[0].startswith("✗ ") and "gone.xml" in quiet[0]  # (the first line, stripped)
    assert quiet[1].startswith("polled 2 feeds: 1 ok, 1 failed")


@pytest.mark.parametrize(("url", "words"), [("ftp://example.com/rss", "unsupported scheme 'ftp'"),
                                            ("example.com:8080/rss", "did you mean 'http://example.com:8080/rss'")])
def test_unknown_schemes_and_scheme_less_urls(tmp_path: Path, capsys: pytest.CaptureFixture[str], url: str,
                                              words: str) -> None:
    config = _config(tmp_path, f'[[feeds]]\nurl = "{url}"\n')
    assert main(["poll", "--config", str(config)]) == 1
    assert words in capsys.readouterr().err
    assert main(["poll", "--feed", url]) == 1
    assert words in capsys.readouterr().err


def test_a_token_that_is_no_token_is_a_config_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '[telegram]\ntoken = "abc"\n')
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert "telegram.token: not a bot token" in err and "abc" not in err.replace("telegram", "")


def test_commands_that_send_nothing_need_no_secret_in_the_environment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A shell on the server without the service's env file: `rules check` had failed on the bot's token."""
    monkeypatch.delenv("WB_TEST_TOKEN", raising=False)
    monkeypatch.delenv("WB_TEST_MAIL", raising=False)
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[poll]\nbacklog = "0"\n[[feeds]]\nurl = "{seed}"\nname = "RFI"\n'
                               '[telegram]\ntoken = "${WB_TEST_TOKEN}"\n'
                               '[email]\nhost = "127.0.0.1"\nport = 9\nusername = "me"\npassword = "${WB_TEST_MAIL}"\n'
                               '[[email.digests]]\nto = ["desk@example.com"]\n')
    for command in (["rules", "check"], ["rules", "test", "ASML 光刻机"], ["chats"],
                    ["feeds"], ["digest"]):
        assert main([*command, "--config", str(config)]) == 0, command
        assert "WB_TEST_TOKEN" not in capsys.readouterr().err
    for command in (["poll"], ["digest", "--send"], ["run"]):  # (these contact Telegram or the mail server)
        assert main([*command, "--config", str(config)]) == 1, command
        err = capsys.readouterr().err
        assert "telegram.token: environment variable WB_TEST_TOKEN is not set" in err, command
        assert "email.password: environment variable WB_TEST_MAIL is not set" in err, command


def test_alerts_lists_what_was_alerted_and_why(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[poll]\nbacklog = "0"\n[[feeds]]\nurl = "{seed}"\nname = "RFI"\n')
    assert main(["poll", "--config", str(config), "-q"]) == 0
    alert = capsys.readouterr().out  # the console alert: its link readable, as a browser's address bar shows it
    assert "  link:      https://www.rfi.fr/cn/中国/20240327-习近平对吕特说-任何力量" in alert and "%E4" not in alert
    assert main(["alerts", "--config", str(config), "--since", "1h", "--search", "吕特"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[semiconductors] 习近平对吕特说") and "to console stdout" in out and "delivered" in out
    assert "    https://www.rfi.fr/cn/中国/20240327-习近平对吕特说" in out
    assert "semiconductors: lede: '半导体' — phrase" in out and out.rstrip().endswith("1 alert")
    assert main(["alerts", "--config", str(config), "--since", "1h", "--search", "習近平"]) == 0  # (in Traditional)
    assert capsys.readouterr().out.startswith("[semiconductors] 习近平对吕特说")
    assert main(["alerts", "--config", str(config), "--watchlist", "asml"]) == 0
    assert capsys.readouterr().out.strip() == "0 alerts in the last 24h (--since 7d looks further back)"
    assert main(["alerts", "--config", str(config), "--watchlist", "asm"]) == 0  # a typo: no such watchlist
    assert capsys.readouterr().out.strip() == ("0 alerts (no watchlist is called 'asm': asml, export-controls, "
                                               "semiconductors)")
    with pytest.raises(SystemExit) as usage:
        main(["alerts", "--config", str(config), "--since", "soon"])
    assert usage.value.code == 2 and "not a duration (got 'soon'); write e.g. 24h" in capsys.readouterr().err


def test_alerts_say_how_the_chat_judged_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, '[storage]\nurl = "sqlite:///w.db"\n')
    store = SqliteStore(tmp_path / "w.db")
    at = utcnow() - timedelta(minutes=30)
    seed_story(store, "a", watchlists=["asml"], at=at, title="ASML ships its newest EUV machine")
    store.outbox.enqueue("a", "telegram", "-100", ["asml"], now=at)
    for user, verdict in ((1, "down"), (2, "down"), (3, "up")):
        store.judgments.record(Judgment(chat_id=-100, story="a", user_id=user, verdict=verdict, identity="a",
                                        watchlists=("asml",), hits={}, at=at))
    store.close()
    assert main(["alerts", "--config", str(config)]) == 0
    assert "(30 min ago): waiting; judged 1 relevant, 2 not relevant\n" in capsys.readouterr().out


def test_an_unreachable_bot_api_is_one_line_and_a_pasted_token_is_never_shown(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    token = "123456789:AAsecret-token_0123456789abcdef"
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n[telegram]\ntoken = "{token}"\n'
                               f'api_url = "http://127.0.0.1:9/{token}"\n')  # pasted into the URL by mistake
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert token not in err and "secret" not in err and "Traceback" not in err
    assert "telegram: cannot reach the Bot API at http://127.0.0.1:9/(hidden)" in err
    assert err.rstrip().endswith("cannot connect; is telegram.api_url right and the network up?")
    assert len(err.strip().splitlines()) == 1


def test_a_first_poll_says_why_an_old_match_was_not_alerted(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The seed story is from 2024: poll.backlog keeps a new feed's archive from alerting, and the summary says so,
    with the feed named by its own title (no name in the config)."""
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n')
    assert main(["poll", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "1 matched (1 too old to alert: poll.backlog on a feed's first poll, poll.max_age, or older than storage.keep); 0 alerts sent" in err
    assert f"✓ {seed}" not in err and "✓ RFI" in err


def test_the_poll_header_counts_one_watchlist_in_the_singular(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    seed = shipped_path("seeds") / "rfi-feedx.xml"
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "mine.yaml").write_text("id: mine\nany: [半导体]\n", encoding="utf-8")
    config = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n')
    assert main(["poll", "--config", str(config)]) == 0
    assert "Polling 1 feed with 1 watchlist (" in capsys.readouterr().err


def test_an_empty_store_says_what_would_fill_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A fresh install's first look: each listing says what it would show and how to get there, not just "0"."""
    config = _config(tmp_path, '[storage]\nurl = "sqlite:///w.db"\n')

    def out(*args: str) -> str:
        assert main([*args, "--config", str(config)]) == 0
        return capsys.readouterr().out

    # Before anything was polled (or run in the wrong folder) it says so, and leaves no empty store behind.
    assert main(["alerts", "--config", str(config)]) == 1
    assert capsys.readouterr().err == (f"watchbot: error: {tmp_path / 'w.db'}: no store yet (nothing was polled with "
                                       f"{config}): run `watchbot poll` first, or give the --config of the install "
                                       "to read\n")
    assert not (tmp_path / "w.db").exists()
    assert out("feeds").strip() == "no feeds: add [[feeds]] tables to the config, or `watchbot feeds add URL`"
    assert not (tmp_path / "w.db").exists()  # (a look at the config's feeds makes no store either)
    SqliteStore(tmp_path / "w.db").close()  # (then a first poll that stored nothing)
    assert out("alerts").strip() == "0 alerts in the last 24h (--since 7d looks further back)"
    assert out("alerts", "--since", "90m").strip() == "0 alerts in the last 90m (--since 7d looks further back)"
    assert out("stories", "--since", "3d").strip() == (
        "0 stories from 0 reports in the last 3d (--since 7d looks further back)")
    assert out("stories", "--since", "7d").strip() == (
        "0 stories from 0 reports in the last 7d (--since 30d looks further back)")
    assert out("alerts", "--since", "400d").strip() == "0 alerts in the last 400d"
    assert out("feeds").strip() == "no feeds: add [[feeds]] tables to the config, or `watchbot feeds add URL`"
    assert out("rules", "lint").splitlines()[1] == "Nothing to look at yet: poll some feeds first (`watchbot poll`)."


def test_durations_are_shown_as_they_are_written() -> None:
    from bot.cli.common import span

    assert [span(s) for s in (86400, 172800, 604800, 5400, 3600, 90, 1.5)] == ["24h", "2d", "7d", "90m", "1h", "90s",
                                                                               "1.5s"]


def test_a_span_without_a_unit_asks_for_one(capsys: pytest.CaptureFixture[str]) -> None:
    """`--since 3` had listed the last 3 seconds: nothing, without a word."""
    for argv in (["stories", "--since", "3"], ["alerts", "--since", "0"]):
        with pytest.raises(SystemExit) as exited:
            main(argv)
        assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "argument --since: give a unit (got '3'): e.g. 3h or 3d" in err
    assert "argument --since: not a duration (got '0'); write e.g. 24h, 7d or 90m" in err


@pytest.mark.parametrize("argv", [[], ["rules"], ["store"]])
def test_a_command_line_without_its_command_shows_the_help(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    out = capsys.readouterr().out
    assert out.startswith("usage: watchbot") and "Example" in out


def test_web_login_prints_a_link_that_signs_in_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A web interface without Telegram had no way in: its page said to ask a bot there was none of."""
    import asyncio
    import re

    from bot.app.build import open_app
    from bot.config import load_config

    seed = shipped_path("seeds") / "rfi-feedx.xml"
    config = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n[http]\nlisten = "127.0.0.1:9188"\n')
    assert main(["web", "login", "--config", str(config)]) == 1  # (no store yet: nothing to sign in to)
    assert "no store yet" in capsys.readouterr().err
    assert main(["poll", "--config", str(config), "-q"]) == 0
    capsys.readouterr()
    assert main(["web", "login", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    link = re.search(r"http://127\.0\.0\.1:9188/login/([A-Za-z0-9_-]+)", out)
    assert link and "works once, for 10 minutes" in out

    async def sign_in() -> list[bool]:
        async with open_app(load_config(config)) as app:
            signed = [await app.web_auth.login(link[1]) for _ in range(2)]
            # the session it opens is one (it signed in, then every page signed it out: no admin is user 0)
            assert signed[0] is not None and await app.web_auth.session(signed[0].token) is not None
            return [s is not None for s in signed]

    assert asyncio.run(sign_in()) == [True, False]
    bare = _config(tmp_path, f'[[feeds]]\nurl = "{seed}"\n')
    assert main(["web", "login", "--config", str(bare)]) == 1
    assert "no web interface: set [http] listen" in capsys.readouterr().err


def test_local_times_name_their_offset_beside_an_abbreviation() -> None:
    """"02:22 CST" read as US Central time to an operator in Shanghai: the offset goes with the abbreviation."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from bot.cli.common import zone_words

    at = datetime(2026, 12, 6, 18, 22, tzinfo=UTC)
    assert [zone_words(at.astimezone(ZoneInfo(z))) for z in ("UTC", "Asia/Shanghai", "Asia/Kolkata", "Asia/Dubai")] \
        == ["UTC", "CST+08:00", "IST+05:30", "UTC+04:00"]
