"""`watchbot chats [show ID]`: chats with their subscriptions, own phrases and mutes, from the store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.store.sqlite import SqliteStore

NOW = datetime(2024, 3, 27, 12, 0, tzinfo=UTC)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n', encoding="utf-8")
    store = SqliteStore(tmp_path / "w.db")
    store.chats.ensure(5, type="private", title="Ann", now=NOW)
    store.chats.subscribe(5, "asml", "digest", now=NOW)
    store.chats.subscribe(5, "chat:5", "instant", now=NOW)
    store.phrases.add(5, "Huawei", "huawei", now=NOW)
    store.phrases.add(5, "光刻机", "光刻机", now=NOW)
    store.phrases.mute(5, "source", "Spam Wire", "spam wire", now=NOW)
    store.chats.ensure(-200, type="group", title="Desk", now=NOW)
    store.chats.update(-200, language="zh-hant", paused=True, now=NOW)
    store.close()
    return path


def test_chats_lists_every_chat_with_subscriptions_phrases_and_mutes(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chats", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "-200  group  Desk  paused" in out and "5  private  Ann  active" in out
    assert "subscriptions: asml (digest)\n" in out and "chat:5" not in out
    assert "phrases:       Huawei, 光刻机 (instant)" in out
    assert "mutes:         source Spam Wire" in out
    assert out.rstrip().endswith("2 chats (2 active), 2 own phrases")


def test_no_chats_yet_says_how_a_chat_is_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n', encoding="utf-8")
    assert main(["chats", "--config", str(path)]) == 0
    assert capsys.readouterr().out == ("no chats yet: with a [telegram] token in the config, a chat is added when "
                                       "someone sends the bot /start (`watchbot run` answers it)\n")
    path.write_text(path.read_text(encoding="utf-8") + '[telegram]\ntoken = "1:x"\n', encoding="utf-8")
    assert main(["chats", "--config", str(path)]) == 0
    assert capsys.readouterr().out.startswith("no chats yet: it is added when someone sends the bot /start")


def test_chats_show_one_chat_with_its_settings(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chats", "show", "-200", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "language:      zh-hant" in out and "phrases:       none" in out and "time zone:     UTC" in out
    assert "digest at:     08:00 UTC (telegram.digest_at)" in out  # the configured time, not the key alone


def test_chats_show_names_the_chats_own_digest_time_and_the_configured_one(
        config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config.write_text(config.read_text(encoding="utf-8") + '[telegram]\ntoken = "1:x"\ndigest_at = "07:15"\n',
                      encoding="utf-8")
    store = SqliteStore(config.parent / "w.db")
    store.chats.update(5, digest_at="18:30", tz="Asia/Taipei", now=NOW)
    store.close()
    assert main(["chats", "show", "-200", "--config", str(config)]) == 0
    assert "digest at:     07:15 UTC (telegram.digest_at)" in capsys.readouterr().out
    assert main(["chats", "show", "5", "--config", str(config)]) == 0
    assert "digest at:     18:30 Asia/Taipei\n" in capsys.readouterr().out


def test_an_unknown_chat_is_one_line_and_exit_1(config: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chats", "show", "42", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.strip() == "watchbot: error: no chat 42 in the store (`watchbot chats` lists the chats it knows)"
