"""`watchbot poll` with [telegram] configured delivers to the subscribed chats, not to the console."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.cli import main
from bot.shipped import shipped_path
from bot.store.sqlite import SqliteStore
from tests.doubles.botapi import BotApiDouble


def _config(tmp_path: Path, api_url: str, token: str) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///w.db"\n[poll]\nbacklog = "0"\n[rules]\npath = "{shipped_path("rules")}"\n'
        f'[[feeds]]\nurl = "{shipped_path("seeds") / "rfi-feedx.xml"}"\nname = "RFI"\n'
        f'[telegram]\ntoken = "{token}"\napi_url = "{api_url}"\n', encoding="utf-8")
    return config


def test_poll_sends_the_seed_alert_to_a_subscribed_chat(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with BotApiDouble() as api:
        config = _config(tmp_path, api.url, api.token)
        store = SqliteStore(tmp_path / "w.db")
        chats = store.chats
        now = datetime(2024, 3, 27, tzinfo=UTC)
        chats.ensure(42, type="private", title="analyst", now=now)
        chats.subscribe(42, "semiconductors", now=now)
        chats.ensure(43, type="private", title="other", now=now)
        chats.subscribe(43, "asml", now=now)
        store.close()

        assert main(["poll", "--config", str(config)]) == 0
        (sent,) = api.sent_messages(42)
        assert "习近平对吕特说" in sent.text and sent.parse_mode == "HTML"
        assert api.sent_messages(43) == []
        out = capsys.readouterr()
        assert out.out == "" and "1 alert sent" in out.err

        assert main(["poll", "--config", str(config)]) == 0
        assert len(api.sent_messages(42)) == 1


def test_poll_with_an_unreachable_bot_api_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", "123:SECRETTOKEN")
    assert main(["poll", "--config", str(config)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("watchbot: error: telegram: cannot reach the Bot API at http://127.0.0.1:9")
    assert "SECRETTOKEN" not in err and "\n" not in err
