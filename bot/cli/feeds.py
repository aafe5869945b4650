"""`watchbot feeds`: feed health from the store."""

from __future__ import annotations

import argparse
import asyncio

from bot.app.build import open_app
from bot.cli.common import add_command, add_config_option, config_from, when
from bot.config import Config
from bot.store.protocols import FeedState
from bot.times import utcnow


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "feeds", help="feed health: last success, last error, failures, next poll",
        description="Show each configured feed's health as stored by earlier polls.",
        example="  watchbot feeds --config config.toml",
    )
    add_config_option(p)
    p.set_defaults(func=run)


async def _states(config: Config) -> list[FeedState]:
    async with open_app(config, offline=True) as app:
        states = {f.url: f for f in await app.status.feeds()}
    return [states[f.url] for f in config.feeds if f.url in states]


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    states = asyncio.run(_states(config))
    now = utcnow()
    failing = 0
    for f in states:
        ok = f.consecutive_failures == 0
        failing += not ok
        mark = "✓" if ok and f.last_success_at else ("·" if ok else "✗")
        print(f"{mark} {f.label}")
        if f.label != f.url:
            print(f"    url:          {f.url}")
        print(f"    last success: {when(f.last_success_at, now)}")
        if f.last_error:
            print(f"    last error:   {f.last_error} ({when(f.last_error_at, now)})")
        print(f"    failures:     {f.consecutive_failures} in a row" if f.consecutive_failures else
              "    failures:     none")
        print(f"    items:        {f.items_total}")
        print(f"    next poll:    {when(f.next_poll_at, now) if f.next_poll_at else 'at the next poll'}")
    print(f"{len(states)} feed{'s' * (len(states) != 1)}, {failing} failing")
    return 0
