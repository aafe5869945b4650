"""`watchbot feeds`: feed health from the store; `feeds add|remove|pause|resume|import|export` change the
feeds kept in the store beside the config's (the same use-case as the web's feeds page: bot.app.feeds)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.app.build import open_app
from bot.cli.common import add_command, add_config_option, config_from, when
from bot.config import Config
from bot.errors import WatchbotError
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
    actions = p.add_subparsers(dest="action", metavar="ACTION")
    for name, help_, example, arg in [
        ("add", "add a feed by its URL or its site's URL (the page's feed links are followed)",
         "watchbot feeds add https://example.com/ --name 'Example News'", "URL"),
        ("remove", "remove a feed added with `feeds add` or on the web (config feeds: edit the config)",
         "watchbot feeds remove https://example.com/feed.xml", "URL"),
        ("pause", "stop polling a feed until `feeds resume`", "watchbot feeds pause https://example.com/feed.xml",
         "URL"),
        ("resume", "poll a paused feed again", "watchbot feeds resume https://example.com/feed.xml", "URL"),
        ("import", "add every feed of an OPML file", "watchbot feeds import subscriptions.opml", "FILE"),
        ("export", "print every feed as OPML", "watchbot feeds export > watchbot.opml", None),
    ]:
        sub = add_command(actions, name, help=help_, description=help_[0].upper() + help_[1:] + ".",
                          example="  " + example)
        sub.add_argument("--config", metavar="FILE", type=Path, default=argparse.SUPPRESS,
                         help="config file (default: ./config.toml if present, else built-in defaults)")
        if arg:
            sub.add_argument("target", metavar=arg)
        if name == "add":
            sub.add_argument("--name", default="", help="the feed's name (default: its title)")
        sub.set_defaults(func=change)


async def _states(config: Config) -> list[FeedState]:
    async with open_app(config, offline=True) as app:
        return await app.feed_manager().all()


def change(args: argparse.Namespace) -> int:
    """One feed change through the use-case; prints what happened."""
    data = b""
    if args.action == "import":
        try:
            data = Path(args.target).read_bytes()
        except OSError as e:
            raise WatchbotError(f"{args.target}: cannot read: {e.strerror or e}") from e
    return asyncio.run(_change(config_from(args), args, data))


async def _change(config: Config, args: argparse.Namespace, data: bytes) -> int:
    async with open_app(config, offline=True) as app:
        feeds = app.feed_manager()
        if args.action == "add":
            added = await feeds.add(args.target, args.name)
            if added.choices:
                print("that page links to several feeds; add one of them:")
                for url, title in added.choices:
                    print(f"  {url}  {title}")
                return 1
            assert added.feed is not None
            print(f"{added.feed.label}: {'already there' if added.already else 'added'} ({added.feed.url})")
        elif args.action in ("remove", "pause", "resume"):
            await getattr(feeds, args.action)(args.target)
            print(f"{args.target}: {args.action}d")
        elif args.action == "import":
            imported = await feeds.import_opml(data, source=args.target)
            print(f"imported {len(imported.added)} feeds; {len(imported.skipped)} were already there")
        else:
            sys.stdout.buffer.write(await feeds.export_opml())
    return 0


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    states = asyncio.run(_states(config))
    now = utcnow()
    failing = 0
    for f in states:
        ok = f.consecutive_failures == 0
        failing += not ok
        mark = "✓" if ok and f.last_success_at else ("·" if ok else "✗")
        print(f"{mark} {f.label}" + (" (paused)" if f.paused else "") + (" (added)" if f.origin == "store" else ""))
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
