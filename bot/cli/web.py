"""`watchbot web login`: a one-time sign-in link for the web interface, from a shell on the server (where there is
no Telegram bot to send /web to, or its admin is away from it)."""

from __future__ import annotations

import argparse
import asyncio

from bot.cli.common import add_command, add_config_option, config_from, help_of, open_app
from bot.config import Config
from bot.errors import WatchbotError


def register(commands: argparse._SubParsersAction) -> None:
    web = add_command(
        commands, "web", help="a sign-in link for the web interface (`watchbot web login`)",
        description="The web interface of `watchbot run` ([http] listen) is signed in to with one-time links: an "
                    "admin gets one with /web in Telegram, or anyone with a shell on the server with `web login`.",
        example="  watchbot web login\n  watchbot web login --config /etc/watchbot/config.toml",
    )
    sub = web.add_subparsers(dest="web_command", metavar="COMMAND")
    web.set_defaults(func=help_of(web))
    login = add_command(
        sub, "login", help="print a one-time sign-in link (valid 10 minutes)",
        description="Print a one-time link that signs this browser in to the web interface of the `watchbot run` "
                    "using this config's store. It works once, for 10 minutes; the session it opens lasts 12 hours. "
                    "The link's address is http.public_url, else http:// + http.listen.",
        example="  watchbot web login\n  ssh server watchbot web login --config /etc/watchbot/config.toml",
    )
    add_config_option(login)
    login.set_defaults(func=run)


async def _link(config: Config) -> str:
    from bot.app.web_auth import SHELL

    async with open_app(config, offline=True, existing=True, upgrade=False) as app:
        return await app.web_auth.link(SHELL)


def run(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    if config.http_listen is None:
        raise WatchbotError(f"{config.source}: no web interface: set [http] listen (e.g. \"127.0.0.1:9108\") and "
                            "restart `watchbot run`")
    print(asyncio.run(_link(config)))
    print("works once, for 10 minutes; open it in your browser and press Sign in")
    return 0
