"""The web interface under test: the real app (as `watchbot run` wires it, its bot on the Bot API double)
with its web front door, reached through httpx on the ASGI app; and signing in the way a person does."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.app.build import open_app, web_app
from bot.config import EmailConfig, EmailDigestConfig
from tests.doubles.botapi import BotApiDouble
from tests.doubles.feedserver import FeedServer
from tests.worlds import ADMIN, Clock, World, fast_pacer, make_config

PUBLIC = "http://watch.test"
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_LINK = re.compile(r"(http://watch\.test/login/[A-Za-z0-9_-]+)")


@dataclass
class Web:
    world: World
    client: httpx.AsyncClient

    async def link(self, user_id: int = ADMIN, chat_type: str = "private") -> str:
        """/web in Telegram; the login link from the bot's reply."""
        reply = await self.world.ask(user_id, "/web", user_id=user_id, chat_type=chat_type)
        found = _LINK.search(reply.text)
        assert found, reply.text
        return found[1]

    async def sign_in(self) -> str:
        """Ask the bot, open the link, press Sign in; the page's CSRF token."""
        link = await self.link()
        assert (await self.client.get(link)).status_code == 200
        r = await self.client.post(link)
        assert r.status_code == 303 and r.headers["location"] == "/watchlists"
        return await self.csrf()

    async def csrf(self) -> str:
        page = await self.client.get("/watchlists")
        assert page.status_code == 200, page.text
        return _CSRF.findall(page.text)[0]


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
async def web(tmp_path: Path, api: BotApiDouble, rules_dir: Path) -> AsyncIterator[Web]:
    email = EmailConfig(host="127.0.0.1", port=9, security="none", sender="Watchbot <alerts@example.com>",
                        digests=(EmailDigestConfig(to=("analyst@example.com",), watchlists=("asml",)),))
    config = dataclasses.replace(make_config(tmp_path, api, rules_dir), http_listen=("127.0.0.1", 9108),
                                 http_public_url=PUBLIC, email=email, source=str(tmp_path / "config.toml"))
    clock = Clock()
    async with open_app(config, serve=True, clock=clock, pacer=fast_pacer(), poll_timeout=1) as app:
        assert app.telegram is not None
        await app.telegram.start()
        try:
            transport = httpx.ASGITransport(app=web_app(app))
            async with httpx.AsyncClient(transport=transport, base_url=PUBLIC) as client:
                yield Web(World(api=api, app=app, clock=clock, config=config, tmp=tmp_path), client)
        finally:
            await app.telegram.stop()
