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
