"""`watchbot feeds`: feed health from the store, one line per feed in config order (details on request);
`feeds add|remove|pause|resume|import|export` change the feeds kept in the store beside the config's (the same
use-case as the web's feeds page: bot.app.feeds)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from bot.app.polling import Interval, Policy, describe_ttl, describe_update
from bot.cli.common import add_command, add_config_option, config_from, open_app, relative, when
from bot.config import Config, FeedConfig
from bot.errors import WatchbotError
from bot.store.protocols import FeedState
from bot.times import utcnow

T = TypeVar("T")

NO_ITEMS = "no items: is this the feed URL?"


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "feeds", help="feed health: one line per feed, its poll interval and why",
        description="Show each configured feed's health as stored by earlier polls, one line per feed in config "
                    "order: whether it works, how often it is polled and why, when it is polled next.",
        example="  watchbot feeds --config config.toml\n  watchbot feeds --verbose\n"
                "  watchbot feeds --format json\n  watchbot feeds --check     # exit 1 when a feed is failing\n"
                "  watchbot feeds show \"BBC News\"",
    )
    _options(p)
    p.add_argument("--check", action="store_true",
                   help="for monitoring (cron): print only the feeds that need a look, nothing when none does; exit 1 "
                        "when any feed is failing")
    p.set_defaults(func=run, name=None)
    sub = p.add_subparsers(dest="feeds_command", metavar="[ACTION]")
    show = add_command(sub, "show", help="everything known about one feed",
                       description="Show one feed's details, found by its name, title or URL.",
                       example="  watchbot feeds show \"BBC News\"\n  watchbot feeds show https://feeds.bbci.co.uk/news/rss.xml")
    show.add_argument("name", metavar="NAME", help="the feed's name, title or URL (or a unique part of it)")
    _options(show, verbose=False)
    show.set_defaults(func=run, verbose=True, check=False)
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
        action = add_command(sub, name, help=help_, description=help_[0].upper() + help_[1:] + ".",
                             example="  " + example)
        add_config_option(action)
        if arg:
            action.add_argument("target", metavar=arg)
        if name == "add":
            action.add_argument("--name", default="", help="the feed's name (default: its title)")
        action.set_defaults(func=change, action=name)


def _options(p: argparse.ArgumentParser, *, verbose: bool = True) -> None:
    add_config_option(p)
    if verbose:
        p.add_argument("--verbose", "-v", action="store_true", help="every detail of every feed")
    p.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")


@dataclass(frozen=True, slots=True)
class Row:
    """One configured feed with what the store knows of it (None: never polled)."""

    config: FeedConfig
    state: FeedState | None
    policy: Policy


async def _rows(config: Config) -> list[Row]:
    """The config's feeds in config order, then those added with `feeds add` or on the web; with no store yet, the
    config's feeds, none polled (the look at a new config made an empty store, where a mistyped path had put it)."""
    states: dict[str, FeedState] = {}
    if not config.store_missing:
        async with open_app(config, offline=True, upgrade=False) as app:
            states = {f.url: f for f in await app.feed_manager().all()}
    configured = {f.url for f in config.feeds}
    added = [FeedConfig(url=s.url, name=s.name) for s in states.values() if s.url not in configured]
    return [Row(f, states.get(f.url), Policy.of(config.poll, f)) for f in (*config.feeds, *added)]


def run(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    rows = asyncio.run(_rows(config))
    if args.name is not None:
        rows = [_find(rows, args.name)]
    now = utcnow()
    if args.format == "json":
        print(json.dumps([as_json(r, now) for r in rows], ensure_ascii=False, indent=2))
    else:
        # --check (a cron job's): only the feeds that need a look, and nothing at all when none does (cron mailed the
        # whole list on every run, healthy or not)
        shown = [r for r in rows if health(r)[0] not in ("ok", "new")] if args.check else rows
        for r in shown:
            print("\n".join(details(r, now)) if args.verbose else line(r, now))
        if args.name is None and not rows:
            print("no feeds: add [[feeds]] tables to the config, or `watchbot feeds add URL`")
        elif args.name is None and shown:
            kinds = [health(r)[0] for r in rows]
            unreached = kinds.count("unreached")
            print(f"{len(rows)} feed{'s' * (len(rows) != 1)}, {kinds.count('failing')} failing"
                  + (f", {unreached} not reached while this machine seemed offline" if unreached else "")
                  + (f"; no store yet at {config.db_path}: `watchbot poll` polls them" if config.store_missing else ""))
    return 1 if args.check and any(health(r)[0] == "failing" for r in rows) else 0


def _find(rows: list[Row], name: str) -> Row:
    """The configured or added feed ``name`` names, for `feeds show`."""
    return _pick(rows, name, lambda r: [r.config.name, r.config.url, r.state.title if r.state else ""],
                 lambda r: repr(_label(r)), "matches", "none configured")


def _pick(candidates: Sequence[T], given: str, names: Callable[[T], list[str]], shown: Callable[[T], str],
          verb: str, empty: str) -> T:
    """The one candidate ``given`` names: all of one of its ``names``, else a part of one that names one candidate
    (any case); a WatchbotError that lists them otherwise ("no feed {verb} ...")."""
    wanted = given.strip().casefold()
    folded = [[n.casefold() for n in names(c) if n] for c in candidates]
    found = ([c for c, ns in zip(candidates, folded, strict=True) if wanted in ns]
             or [c for c, ns in zip(candidates, folded, strict=True) if any(wanted in n for n in ns)])
    if len(found) == 1:
        return found[0]
    labels = ", ".join(shown(c) for c in (found or candidates)[:10])
    if found:
        raise WatchbotError(f"{len(found)} feeds match {given!r}: {labels}; give more of the name or the URL")
    raise WatchbotError(f"no feed {verb} {given!r} (feeds: {labels or empty})")


def _name(r: Row) -> str:
    return r.config.name or (r.state.label if r.state else r.config.url)


def _target(feeds: list[FeedState], given: str) -> FeedState:
    """The feed ``given`` names for pause, resume or remove: its URL, its file's path, or its name, as `feeds show`
    takes it."""
    path = str(Path(given).resolve()) if "://" not in given else given
    by_url = [f for f in feeds if f.url in (given, path)]
    if by_url:
        return by_url[0]
    return _pick(feeds, given, lambda f: [f.name, f.title], lambda f: f"{f.label!r} ({f.url})", "is called", "none")


def _label(r: Row) -> str:
    """Its name, and "(paused, added)" as the case may be: added with `watchbot feeds add` or on the web, which
    `feeds remove` removes."""
    marks = [m for m, on in (("paused", r.state is not None and r.state.paused),
                              ("added", r.state is not None and r.state.origin == "store")) if on]
    return _name(r) + (f" ({', '.join(marks)})" if marks else "")


def health(r: Row) -> tuple[str, str]:
    """("ok" | "failing" | "unreached" | "no items" | "new", the words), for one feed. "unreached": its last poll
    failed, not through its own fault (this machine seemed offline: the pipeline did not count it)."""
    s = r.state
    if s is None or s.last_polled_at is None:
        return "new", "not polled yet"
    if s.consecutive_failures:
        streak = f"{s.consecutive_failures} failure{'s' * (s.consecutive_failures != 1)} in a row"
        return "failing", f"{s.last_error or 'failed'} ({streak})"
    if s.unreached:
        return "unreached", f"not reached while this machine seemed offline ({s.last_error}): not held against it"
    if s.last_items == 0:
        return "no items", NO_ITEMS
    return "ok", "ok"


def schedule(r: Row) -> Interval | None:
    """The feed's poll interval and why: as configured when pinned, else as chosen after its last poll."""
    if r.policy.fixed is not None:
        return Interval(r.policy.fixed, "fixed by config")
    s = r.state
    if s is None or s.interval_seconds is None or s.interval_reason in (None, "fixed by config"):
        return None  # adaptive, and not chosen yet (or chosen while the config pinned it)
    return Interval(s.interval_seconds, s.interval_reason)


def _schedule_words(r: Row) -> str:
    chosen = schedule(r)
    return f"{chosen.every} ({chosen.reason})" if chosen else "interval chosen after its first poll"


def _next(r: Row, now: datetime) -> str:
    s = r.state
    if s is not None and s.paused:
        return "not polled until `watchbot feeds resume`"
    if s is None or s.next_poll_at is None or s.next_poll_at <= now:
        return "due now"
    return f"next poll {relative(s.next_poll_at, now)}{_backing_off(s)}"


def _backing_off(s: FeedState) -> str:
    """Why the next poll is later than the interval says: " (backing off after 2 failures)"."""
    n = s.consecutive_failures
    return f" (backing off after {n} failure{'s' * (n != 1)})" if n else ""


MARKS = {"ok": "✓", "failing": "✗", "unreached": "?", "no items": "!", "new": "·"}


def line(r: Row, now: datetime) -> str:
    """'✓ BBC News: ok 3 min ago; every 6 min (about 25 new items a day); next poll in 4 min'."""
    kind, words = health(r)
    s = r.state
    if kind == "ok" and s is not None and s.last_success_at is not None:
        words = f"ok {relative(s.last_success_at, now)}"
    if kind == "ok" and s is not None and s.last_warning:
        words += f" (warning: {s.last_warning})"
    return f"{MARKS[kind]} {_label(r)}: {words}; {_schedule_words(r)}; {_next(r, now)}"


def details(r: Row, now: datetime) -> list[str]:
    kind, words = health(r)
    s = r.state
    out = [f"{MARKS[kind]} {_label(r)}", f"    url:          {r.config.url}", f"    health:       {words}"]
    if s is not None:
        out.append(f"    last success: {when(s.last_success_at, now)}")
        if s.last_error:
            out.append(f"    last error:   {s.last_error} ({when(s.last_error_at, now)})")
        if s.last_warning:
            out.append(f"    warning:      {s.last_warning} (in the last body read)")
        out.append(f"    failures:     {s.consecutive_failures} in a row" if s.consecutive_failures else
                   "    failures:     none")
        body = "unknown" if s.last_items is None else str(s.last_items)
        out.append(f"    items:        {body} in the last body read, {s.items_total} new since added")
    out.append(f"    interval:     {_schedule_words(r)}")
    asks = _asks(s)
    if asks:
        out.append(f"    feed asks:    {asks}")
    if s is not None and s.paused:
        out.append("    next poll:    none while paused (`watchbot feeds resume` polls it again)")
    elif s is not None and s.next_poll_at is not None and s.next_poll_at > now:
        out.append(f"    next poll:    {when(s.next_poll_at, now)}{_backing_off(s)}")
    else:
        out.append("    next poll:    due now")
    return out


def _asks(s: FeedState | None) -> str:
    if s is None:
        return ""
    parts = []
    if s.ttl_seconds:
        parts.append(describe_ttl(s.ttl_seconds))
    if s.update_seconds:
        parts.append(describe_update(s.update_seconds))
    return ", ".join(parts)


def as_json(r: Row, now: datetime) -> dict[str, Any]:
    kind, words = health(r)
    s = r.state
    chosen = schedule(r)

    def iso(value: datetime | None) -> str | None:
        return value.isoformat(timespec="seconds") if value else None

    return {
        "url": r.config.url, "name": _name(r), "health": kind, "health_text": words,
        "paused": bool(s and s.paused), "origin": "added" if s and s.origin == "store" else "config",
        "interval_seconds": chosen.seconds if chosen else None, "interval_reason": chosen.reason if chosen else None,
        "pinned": r.policy.fixed is not None,
        "next_poll_at": iso(s.next_poll_at) if s else None, "due": _next(r, now) == "due now",
        "last_success_at": iso(s.last_success_at) if s else None,
        "last_error": s.last_error if s else None, "last_error_at": iso(s.last_error_at) if s else None,
        "consecutive_failures": s.consecutive_failures if s else 0,
        "last_items": s.last_items if s else None, "items_total": s.items_total if s else 0,
        "last_warning": s.last_warning if s else None,
        "ttl_seconds": s.ttl_seconds if s else None, "update_seconds": s.update_seconds if s else None,
    }


def change(args: argparse.Namespace) -> int:
    """One feed change through the use-case; prints what happened."""
    data = b""
    if args.action == "import":
        try:
            data = Path(args.target).read_bytes()
        except OSError as e:
            raise WatchbotError(f"{args.target}: cannot read: {e.strerror or e}") from e
    return asyncio.run(_change(config_from(args, secrets=False), args, data))


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
            target = _target(await feeds.all(), args.target)
            await getattr(feeds, args.action)(target.url)
            print(f"{target.label} ({target.url}): {args.action}d")
        elif args.action == "import":
            imported = await feeds.import_opml(data, source=args.target)
            print(imported.line())
        else:
            sys.stdout.buffer.write(await feeds.export_opml())
    return 0
