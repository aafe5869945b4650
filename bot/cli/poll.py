"""`watchbot poll`: one poll of all (or the named) feeds, deliver, print a summary."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bot.cli.common import add_command, add_config_option, config_from, open_app
from bot.config import Config
from bot.errors import RuleError, WatchbotError
from bot.feeds.urls import check_feed_url

if TYPE_CHECKING:
    from bot.app.pipeline import FeedResult


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "poll", help="poll feeds once, deliver alerts, exit",
        description="Poll every configured feed once (or only those named with --feed), match new items, "
                    "deliver alerts and print a summary. Without a config this polls the shipped seed feed. "
                    "Exit status: 0 when at least one feed was read (the failures are listed), 1 when every feed "
                    "failed or the store refused what was read.",
        example="  watchbot poll\n  watchbot poll --config config.toml --feed https://feedx.net/rss/rfi.xml\n"
                "  watchbot poll --feed seeds/rfi-feedx.xml",
    )
    add_config_option(p)
    p.add_argument("--feed", metavar="URL_OR_PATH", action="append", default=[],
                   help="poll only this feed (repeatable); one not in the config is polled as given")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="print only the feeds that failed and the summary line (alerts still go to their channels)")
    p.set_defaults(func=run)


def named_feeds(named: list[str]) -> list[str]:
    """The URLs of the feeds named with --feed (a local path made absolute, as config feeds are)."""
    urls = []
    for raw in named:
        raw = check_feed_url(raw, source="--feed")
        urls.append(raw if urlsplit(raw).scheme in ("http", "https") else str(Path(raw).resolve()))
    return urls


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    return asyncio.run(_poll(config, named_feeds(args.feed) if args.feed else None, quiet=args.quiet))


async def _poll(config: Config, only: list[str] | None, *, quiet: bool) -> int:
    def progress(result: FeedResult) -> None:
        if result.error:  # (quiet or not: a scheduled poll's output is where a failing feed must show)
            print(f"  ✗ {result.label}: {result.error}", file=sys.stderr)
            return
        if quiet:
            return
        line = (f"  ✓ {result.label}: {result.items} item{'s' * (result.items != 1)}, {result.new} new, "
                f"{result.matched} matched" + (f" ({result.old} too old to alert)" if result.old else "")
                + (f" ({result.joined} joined a story already alerted)" if result.joined else ""))
        if result.skipped:
            line += f", {result.skipped} unreadable skipped"
        print(f"{line} ({result.ms:.0f} ms)" + (f"; {result.warning}" if result.warning else ""), file=sys.stderr)

    def delivering(sent: int) -> None:
        print(f"  … {sent} alert{'s' * (sent != 1)} sent so far, delivering the rest", file=sys.stderr)

    # The progress lines say what failed; the pipeline's own warnings would say it twice.
    logging.getLogger("watchbot.poll").setLevel(logging.ERROR)
    async with open_app(config) as rt:
        if not rt.rules.watchlists:
            first = f": {rt.rules.errors[0]}" if rt.rules.errors else ""
            raise RuleError(str(config.rules_path), None,
                            f"no valid watchlist, nothing could match{first}; check rules.path in {config.source} "
                            f"and run `watchbot rules check {config.rules_path}`")
        if not quiet:
            for error in rt.rules.errors:
                print(f"watchbot: warning: {error} (this watchlist is skipped)", file=sys.stderr)
        feeds, paused = await rt.feed_manager().to_poll(only)
        if not feeds:
            raise WatchbotError(f"{config.source}: no feeds to poll" + (
                f" ({paused} paused: `watchbot feeds resume URL`)" if paused else
                ": add a [[feeds]] table with url = \"...\" (see config.example.toml), add one with "
                "`watchbot feeds add URL`, or name one with --feed URL"))
        if not quiet:
            print(f"Polling {len(feeds)} feed{'s' * (len(feeds) != 1)}"
                  + (f" ({paused} paused, left out)" if paused else "") + f" with "
                  f"{len(rt.rules.watchlists)} watchlist{'s' * (len(rt.rules.watchlists) != 1)} ({config.source})…",
                  file=sys.stderr)
        summary = await rt.pipeline.poll_once([f.url for f in feeds], progress=progress, by_hand=True,
                                              delivering=None if quiet else delivering)
        offline = rt.pipeline.reachability.offline(rt.pipeline.clock())
    sys.stdout.flush()  # (the alerts printed before the summary line, also when both go to one pipe)
    print(summary.line(), file=sys.stderr)
    if offline:
        print(f"watchbot: none of the feeds' hosts answered ({offline} tried, no connection made): is this machine "
              "offline?", file=sys.stderr)
    refused = [f for f in summary.feeds if f.failed == "store"]
    if refused:  # not a feed's trouble, nor passing: nothing of these feeds was kept, so a scheduled poll must say so
        print(f"watchbot: error: nothing of {len(refused)} feed{'s' * (len(refused) != 1)} was stored (the next "
              f"poll reads {'them' if len(refused) != 1 else 'it'} again): {refused[0].error}", file=sys.stderr)
        return 1
    return 1 if summary.failed and len(summary.failed) == len(summary.feeds) else 0
