"""`watchbot alerts`: what was alerted, to whom, and why, newest first."""

from __future__ import annotations

import argparse
import asyncio
from datetime import timedelta

from bot.app.recent_alerts import Judged
from bot.cli.common import add_command, add_config_option, config_from, count_arg, duration_arg, further, open_app, when
from bot.config import Config
from bot.markup import readable_link
from bot.store.protocols import AlertRecord
from bot.times import utcnow
from bot.watch import Match, Watchlist
from bot.watch.explain import explain, hits_from_json


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "alerts", help="what was alerted, to whom, and why",
        description="List the alerts written since --since (newest first): the story, its watchlists, where it "
                    "went and whether it was delivered, the words that made it match, and how the chat judged it "
                    "(👍/👎).",
        example="  watchbot alerts --since 24h\n  watchbot alerts --since 7d --watchlist asml --search EUV",
    )
    add_config_option(p)
    p.add_argument("--since", type=duration_arg, default=duration_arg("24h"), metavar="DURATION",
                   help="how far back (default 24h)")
    p.add_argument("--search", metavar="TEXT", help="only stories whose title or lede contains TEXT")
    p.add_argument("--watchlist", metavar="ID", help="only alerts for this watchlist")
    p.add_argument("--limit", type=count_arg(100_000), default=50, metavar="N", help="at most N alerts (default 50)")
    p.set_defaults(func=run)


async def _alerts(config: Config, args: argparse.Namespace) -> tuple[list[AlertRecord], dict[str, Watchlist], Judged]:
    async with open_app(config, offline=True, existing=True, upgrade=False) as app:
        found = await app.status.alerts(utcnow() - timedelta(seconds=args.since), search=args.search,
                                        watchlist=args.watchlist, limit=args.limit)
        return found, {w.id: w for w in app.rules.watchlists}, await app.status.judgments(found)


def judged_words(votes: dict[str, int]) -> str:
    """"1 relevant, 2 not relevant": the chat's 👍 and 👎 on an alert."""
    parts = [f"{votes['up']} relevant"] if votes.get("up") else []
    return ", ".join(parts + ([f"{votes['down']} not relevant"] if votes.get("down") else []))


def run(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    found, watchlists, judged = asyncio.run(_alerts(config, args))
    now = utcnow()
    for a in found:
        state = {"sent": "delivered", "pending": "waiting", "sending": "in flight", "dead": "undeliverable"}.get(
            a.row.state, a.row.state)
        print(f"[{', '.join(a.row.watchlists)}] {a.title}")
        votes = judged.get((a.row.channel, a.row.target, a.row.story), {})
        print(f"    to {a.row.channel} {a.row.target}, {when(a.row.created_at, now)}: {state}"
              + (f" ({a.row.last_error})" if a.row.last_error and a.row.state != "sent" else "")
              + (f"; judged {judged_words(votes)}" if votes else ""))
        if a.link:
            print(f"    {readable_link(a.link)}")
        for wl in a.row.watchlists:
            hits = hits_from_json(a.hits.get(wl, []))
            if hits:
                for line in explain(Match(wl, 0.0, hits), watchlists.get(wl)):
                    print(f"    {wl}: {line}")
    n = len(found)
    more = (f" (the newest {args.limit}; --limit N for more)" if n == args.limit else
            further(args.since) if n == 0 else "")
    if n == 0 and args.watchlist and args.watchlist not in watchlists and not args.watchlist.startswith("chat:"):
        more = f" (no watchlist is called {args.watchlist!r}: {', '.join(sorted(watchlists)) or 'none is loaded'})"
    print(f"{n} alert{'s' * (n != 1)}{more}")
    return 0
