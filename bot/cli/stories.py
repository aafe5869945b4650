"""`watchbot stories`: recent stories, each with every outlet and language that carried it."""

from __future__ import annotations

import argparse
import asyncio
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.cli.common import add_command, add_config_option, config_from, duration_arg, further, open_app, when
from bot.config import Config
from bot.markup import cut
from bot.times import utcnow

if TYPE_CHECKING:
    from bot.app.status import Story
    from bot.stories.likeness import Likeness


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "stories", help="recent stories with their outlets and languages",
        description="List the stories of matched items first seen since --since (newest first): the first "
                    "report's title, every outlet that carried the story (in English or Chinese) and how many "
                    "reports it holds. Reports of one story alert each chat once.",
        example="  watchbot stories --since 24h\n  watchbot stories --since 7d --merged --reports",
    )
    add_config_option(p)
    p.add_argument("--since", type=duration_arg, default=duration_arg("24h"), metavar="DURATION",
                   help="how far back (default 24h)")
    p.add_argument("--merged", action="store_true", help="only stories carried by more than one outlet")
    p.add_argument("--reports", action="store_true",
                   help="under each story, every report: outlet, when published, title, and the other report it is "
                        "most alike with what they share (to see what was joined and why)")
    p.set_defaults(func=run)


async def _stories(config: Config, since: float, explain: bool) -> list[Story]:
    async with open_app(config, offline=True, existing=True, upgrade=False) as app:
        return await app.status.stories(utcnow() - timedelta(seconds=since), explain=explain)


def run(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    stories = asyncio.run(_stories(config, args.since, args.reports))
    shown = [s for s in stories if len(s.outlets) > 1] if args.merged else stories
    now = utcnow()
    for s in shown:
        print(cut(s.title, 110))
        print(f"    {len(s.outlets)} outlet{'s' * (len(s.outlets) != 1)} ({', '.join(s.languages)}): "
              f"{cut(', '.join(s.outlets), 140)}; {_seen(s, now)}")
        for r in s.each if args.reports else ():
            published = f"{r.published_at:%Y-%m-%d %H:%M} UTC" if r.published_at else "undated"
            print(f"      · {cut(r.outlet, 40)}, {published}: {cut(r.title, 100)}")
            if r.likeness is not None:
                print(f"          {_why(r.alike or '', r.likeness)}")
    reports = sum(s.reports for s in stories)
    print(f"{len(stories)} stor{'y' if len(stories) == 1 else 'ies'} from {reports} report{'s' * (reports != 1)}"
          + (f"; {len(shown)} carried by more than one outlet" if args.merged else "")
          + (further(args.since) if not stories else ""))
    return 0


def _seen(s: Story, now: datetime) -> str:
    """When the story was first seen, and when published where that was more than an hour before (an archive)."""
    seen = f"first seen {when(s.first_seen_at, now)}"
    if s.published_at is None or s.first_seen_at - s.published_at <= timedelta(hours=1):
        return seen
    return f"published {s.published_at:%Y-%m-%d %H:%M} UTC, {seen}"


def _why(alike: str, like: Likeness) -> str:
    """"0.31 alike NHK's report: ASML, EUV, export licence, ship" ("... report across languages: ..." for an English
    and a Chinese report; six shared things at most, then how many more)."""
    shared = ", ".join(like.shared[:6]) + (f" +{len(like.shared) - 6}" if len(like.shared) > 6 else "")
    across = " across languages" if like.across else ""
    return cut(f"{like.similarity:.2f} alike {alike}'s report{across}" + (f": {shared}" if shared else ""), 130)
