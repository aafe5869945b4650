"""`watchbot digest [--send]`: recipients with their state; sending every email digest now."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import digest as digest_cli
from bot.store.sqlite import SqliteStore
from tests.doubles.smtp import SmtpServer, closed_port
from tests.worlds import seed


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="watchbot")
    digest_cli.register(p.add_subparsers(dest="command", required=True))
    return p


def write_config(folder: Path, port: int) -> Path:
    path = folder / "config.toml"
    path.write_text(f"""
[storage]
url = "sqlite:///w.db"

[email]
host = "127.0.0.1"
port = {port}
security = "none"
from = "监控 <alerts@example.com>"

[[email.digests]]
to = ["analyst@example.com", "team@example.com"]
watchlists = ["asml"]
at = "08:00"
timezone = "Asia/Shanghai"
""", encoding="utf-8")
    return path


def run(*argv: str) -> int:
    args = parser().parse_args(["digest", *argv])
    return int(args.func(args))


def seeded(folder: Path) -> None:
    store = SqliteStore(folder / "w.db")
    now = datetime.now(UTC)
    seed(store, "a", watchlists=["asml"], at=now - timedelta(hours=2), title="阿斯麦 news")
    seed(store, "b", watchlists=["asml", "semiconductors"], at=now - timedelta(hours=1))
    store.close()


def test_help_has_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args(["digest", "--help"])
    out = capsys.readouterr().out
    assert "Example:" in out and "watchbot digest --send" in out


def test_lists_recipients_then_send_then_nothing_pending(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    seeded(tmp_path)
    with SmtpServer() as server:
        config = write_config(tmp_path, server.port)
        assert run("--config", str(config)) == 0
        out = capsys.readouterr().out
        assert "analyst@example.com (asml)" in out and "team@example.com (asml)" in out
        assert out.count("pending:      2 stories") == 2 and "last sent:    never" in out

        assert run("--send", "--config", str(config)) == 0
        out, err = capsys.readouterr()
        assert "2 digests sent (4 stories)" in out
        # said before the wait, on stderr: a server that does not answer takes a while
        assert err == f"sending to 2 email digest recipients through 127.0.0.1:{server.port} (none) …\n"
        assert sorted(m.rcpt_tos[0] for m in server.messages) == ["analyst@example.com", "team@example.com"]

        assert run("--config", str(config)) == 0
        out = capsys.readouterr().out
        assert out.count("pending:      0 stories") == 2 and "last sent:    never" not in out


def test_a_digest_of_a_watchlist_that_does_not_exist_is_warned_of(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in watchlists = [...] left the digest empty every day, with nothing said anywhere."""
    config = write_config(tmp_path, 9)
    config.write_text(config.read_text(encoding="utf-8").replace('["asml"]', '["asml", "asm1"]'), encoding="utf-8")
    assert run("--config", str(config)) == 0
    err = capsys.readouterr().err
    assert err == ("watchbot: warning: email.digests[0].watchlists: no watchlist is called 'asm1' (did you mean "
                   "'asml'? known: asml, "
                   "export-controls, semiconductors): analyst@example.com, team@example.com get none of it\n")
    # an id in capitals is that watchlist, as /subscribe takes it ("ASML" had matched nothing, every day)
    config.write_text(config.read_text(encoding="utf-8").replace('["asml", "asm1"]', '["ASML"]'), encoding="utf-8")
    assert run("--config", str(config)) == 0
    assert capsys.readouterr().err == ""


def test_send_fails_with_exit_1_and_keeps_the_stories_pending(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                              caplog: pytest.LogCaptureFixture) -> None:
    seeded(tmp_path)
    config = write_config(tmp_path, closed_port())
    assert run("--send", "--config", str(config)) == 1
    out = capsys.readouterr().out
    assert "2 will be retried" in out and "cannot reach the SMTP server" in out
    assert out.count("✗ analyst@example.com (asml): cannot reach the SMTP server") == 1
    assert "watchbot.digest" not in [r.name for r in caplog.records]  # (the ✗ lines say it: not twice)
    assert run("--config", str(config)) == 0
    out = capsys.readouterr().out
    assert out.count("pending:      2 stories") == 2
    assert "last error:   cannot reach the SMTP server" in out and "retry:" in out


def test_send_without_email_section_is_a_config_error(tmp_path: Path) -> None:
    from bot.errors import ConfigError

    path = tmp_path / "config.toml"
    path.write_text('[storage]\nurl = "sqlite:///w.db"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="email"):
        run("--send", "--config", str(path))


def test_preview_writes_the_email_as_it_would_go_without_sending(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 smtp: SmtpServer) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\nurl = "sqlite:///w.db"\n[email]\nhost = "127.0.0.1"\nport = {smtp.port}\nsecurity = "none"\n'
        'from = "Watchbot <w@example.com>"\n[[email.digests]]\nto = ["analyst@example.com"]\n', encoding="utf-8")
    store = SqliteStore(tmp_path / "w.db")
    seed(store, "a", watchlists=["asml"], at=datetime.now(UTC) - timedelta(hours=1), title="ASML 阿斯麦 story")
    store.close()
    out = tmp_path / "preview"
    assert digest_cli.run(argparse.Namespace(config=config, send=False, preview="analyst@example.com",
                                             out=out)) == 0
    printed = capsys.readouterr().out
    assert "analyst@example.com: Watchbot digest" in printed and "nothing was sent" in printed
    assert "ASML 阿斯麦 story" in (out / "analyst_at_example.com.txt").read_text(encoding="utf-8")
    assert "ASML 阿斯麦 story" in (out / "analyst_at_example.com.html").read_text(encoding="utf-8")
    assert (out / "analyst_at_example.com.eml").read_bytes().startswith(b"Subject:")
    assert smtp.messages == []
    # the preview changed nothing: the digest is still pending, and the listing names no internal key
    assert digest_cli.run(argparse.Namespace(config=config, send=False, preview=None, out=out)) == 0
    listing = capsys.readouterr().out
    assert "pending:      1 story" in listing and "email:" not in listing and "1 recipient, 1 story pending" in listing
