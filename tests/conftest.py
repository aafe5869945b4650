"""Shared fixtures. Every test runs offline: a connection to anything but loopback fails loudly."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app.build import open_app
from bot.store.sqlite import SqliteStore
from tests.doubles.botapi import BotApiDouble
from tests.doubles.smtp import SmtpServer, TlsCerts
from tests.worlds import RULES, Clock, World, fast_pacer, make_config

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
# The captured feeds sit beside the repo (../shared); WATCHBOT_CORPUS points elsewhere (a git worktree).
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS") or SHARED / "corpus" / "feeds")

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex
_real_getaddrinfo = socket.getaddrinfo


class InternetAccessError(RuntimeError):
    """A test tried to leave the machine."""


def _check(address: object) -> None:
    if isinstance(address, tuple) and address:
        host = str(address[0])
        try:
            if ipaddress.ip_address(host.split("%")[0]).is_loopback:
                return
        except ValueError:
            if host == "localhost":
                return
        raise InternetAccessError(f"test tried to reach {host!r}: tests must stay on 127.0.0.1")


def _guarded_connect(self: socket.socket, address: object) -> None:
    _check(address)
    return _real_connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> int:
    _check(address)
    return _real_connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host, *args, **kwargs):  # type: ignore[no-untyped-def]
    if host not in (None, "localhost", b"localhost") and not _is_loopback_literal(host):
        raise InternetAccessError(f"test tried to resolve {host!r}: tests must stay on 127.0.0.1")
    return _real_getaddrinfo(host, *args, **kwargs)


def _is_loopback_literal(host: object) -> bool:
    try:
        text = host.decode() if isinstance(host, bytes) else str(host)
        return ipaddress.ip_address(text.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True, scope="session")
def _offline() -> Iterator[None]:
    """Fail any attempt to reach beyond loopback (python-telegram-bot's OfflineRequest does alike)."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _guarded_getaddrinfo
    yield
    socket.socket.connect = _real_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]
    socket.getaddrinfo = _real_getaddrinfo


@pytest.fixture
def corpus_dir() -> Path:
    """The captured real feeds beside the repo; skips where they are absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"corpus not found at {CORPUS}")
    return CORPUS


# --- shared worlds (tests/worlds.py): stores, SMTP servers, the Bot API double with the app wired to it ---


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    s = SqliteStore(tmp_path / "watchbot.db")
    yield s
    s.close()


@pytest.fixture(scope="session")
def certs() -> TlsCerts:
    return TlsCerts()


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture
def rules_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    for name, text in RULES.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
async def api() -> AsyncIterator[BotApiDouble]:
    async with BotApiDouble() as double:
        yield double


@pytest.fixture
async def world(tmp_path: Path, api: BotApiDouble, rules_dir: Path) -> AsyncIterator[World]:
    """The app as `watchbot run` wires it, its bot started against the Bot API double."""
    config = make_config(tmp_path, api, rules_dir)
    clock = Clock()
    async with open_app(config, serve=True, clock=clock, pacer=fast_pacer(), poll_timeout=1) as app:
        assert app.telegram is not None
        await app.telegram.start()
        try:
            yield World(api=api, app=app, clock=clock, config=config, tmp=tmp_path)
        finally:
            await app.telegram.stop()
