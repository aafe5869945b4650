"""The command line: every command's --help shows an example; errors are one line, not a traceback."""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append((*prefix, name))
                found.extend(_commands(sub, (*prefix, name)))
    return found


COMMANDS = _commands(build_parser())


def test_the_design_commands_exist() -> None:
    assert {("poll",), ("feeds",)} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_help_shows_an_example(command: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main([*command, "--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert "Example" in text
    assert f"watchbot {' '.join(command)}" in text


def test_a_config_error_is_one_line_and_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[poll]\nintervall = "5m"\n')
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"watchbot: error: {config}: poll.intervall: unknown key (did you mean 'interval'?)"


def test_usage_errors_exit_2() -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["poll", "--no-such-flag"])
    assert exit_.value.code == 2


@pytest.mark.parametrize(("argv", "said"), [
    (["alerts", "--limit", "99999999999999999999"], "argument --limit: must be from 1 to 100,000"),  # (OverflowError)
    (["alerts", "--limit", "-5"], "argument --limit: must be from 1 to 100,000 (got -5)"),  # (listed everything)
    (["alerts", "--limit", "0"], "argument --limit: must be from 1 to 100,000 (got 0)"),
    (["chats", "show", "99999999999999999999"], "argument ID: not a chat id"),  # (OverflowError)
    (["chats", "show", "@somebody"], "argument ID: not a chat id: chat ids are numbers"),
    (["match", "--input", "-", "--workers", "-3"], "argument --workers: must be from 1 to 256 (got -3)"),
    (["rules", "lint", "--limit", "x"], "argument --limit: not a whole number (got 'x')"),
])
def test_a_count_or_id_out_of_range_is_a_usage_error_not_a_traceback(
        argv: list[str], said: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2 and said in capsys.readouterr().err


def test_a_file_the_command_cannot_write_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`digest --preview --out FILE` where FILE is a file, and a full disk under `feeds export`, were tracebacks."""
    config = tmp_path / "c.toml"
    config.write_text('[storage]\nurl = "sqlite:///w.db"\n[email]\nhost = "127.0.0.1"\nport = 9\nsecurity = "none"\n'
                      'from = "w@example.com"\n[[email.digests]]\nto = ["a@example.com"]\n')
    (tmp_path / "afile").write_text("x")
    assert main(["digest", "--preview", "--out", str(tmp_path / "afile"), "--config", str(config)]) == 1
    assert capsys.readouterr().err == (f"watchbot: error: --out {tmp_path / 'afile'}: is a file; give a folder for "
                                       "the .txt, .html and .eml files\n")
    with Path("/dev/full").open("w") as full:
        done = subprocess.run([sys.executable, "-m", "bot", "feeds", "export", "--config", str(config)],
                              stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
    assert done.returncode == 1 and done.stderr == "watchbot: error: No space left on device\n"


def test_python_dash_m_bot_polls_the_seed(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bot", "poll"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert "[semiconductors] 习近平对吕特说" in done.stdout
    assert "1 alert sent" in done.stderr
    again = subprocess.run([sys.executable, "-m", "bot", "poll"], cwd=tmp_path, capture_output=True, text=True,
                           timeout=120)
    assert again.returncode == 0 and again.stdout == ""
    assert (tmp_path / "data" / "watchbot.db").is_file()


def test_a_poll_where_no_feed_host_answers_asks_whether_this_machine_is_offline(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.doubles.silent import SilentHosts

    with SilentHosts([f"127.0.0.{n}" for n in (2, 3, 4)]) as hosts:
        feeds = "".join(f'[[feeds]]\nurl = "{hosts.url(f"127.0.0.{n}")}"\nname = "Dead {n}"\n' for n in (2, 3, 4))
        config = tmp_path / "config.toml"
        config.write_text('[storage]\nurl = "sqlite:///w.db"\n[poll]\ntimeout = "1s"\n' + feeds, encoding="utf-8")
        assert main(["poll", "-q", "--config", str(config)]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "watchbot: none of the feeds' hosts answered (3 tried, no connection made): is this machine offline?")


def test_log_format_json_applies_to_every_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A top-level option that only `watchbot run` heeded: poll and digest still logged plain text."""
    import json
    import logging

    config = tmp_path / "c.toml"
    config.write_text('[storage]\nurl = "sqlite:///w.db"\n')
    try:
        assert main(["--log-format", "json", "feeds", "--config", str(config)]) == 0
        logging.getLogger("watchbot.digest").warning("a digest could not go: %s", "test")
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert json.loads(line)["msg"] == "a digest could not go: test"
        # and the command's fatal error, which had been plain text a log collector could not read
        assert main(["--log-format", "json", "feeds", "--config", str(tmp_path / "missing.toml")]) == 1
        fatal = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
        assert fatal["level"] == "error" and "missing.toml" in fatal["msg"]
    finally:
        logging.basicConfig(force=True)
