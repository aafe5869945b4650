"""`watchbot store copy|backup|prune`: move an install to another database; back the store up; prune it."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.cli.common import add_command, add_config_option, config_from, help_of, open_store
from bot.config import MAX_DURATION, TOO_LONG, parse_duration
from bot.errors import WatchbotError
from bot.times import utcnow


def register(commands: argparse._SubParsersAction) -> None:
    store = add_command(
        commands, "store", help="copy the store to another database (SQLite -> PostgreSQL), back it up",
        description="Move watchbot's data between databases and back it up. Stop `watchbot run` first when "
                    "copying from SQLite, so nothing is written meanwhile.",
        example="  watchbot store copy --from sqlite:///data/watchbot.db --to postgresql://watchbot@db/watchbot\n"
                "  watchbot store backup backups/watchbot-2024-03-27.db",
    )
    sub = store.add_subparsers(dest="store_command", metavar="COMMAND")
    store.set_defaults(func=help_of(store))
    copy = add_command(
        sub, "copy", help="copy every table from one store (or a dump file) into an empty store",
        description="Copy feeds, items, sightings, matches, alerts, chats, subscriptions and digest state from "
                    "--from (sqlite:///FILE, postgresql://..., a SQLite file or a dump written by `store backup`) "
                    "into --to, keeping ids. The target must be empty unless --force, which replaces what it "
                    "holds. Then set storage.url to the target and start watchbot.",
        example="  watchbot store copy --from sqlite:///data/watchbot.db --to postgresql://watchbot@127.0.0.1/watchbot\n"
                "  watchbot store copy --from backups/watchbot.jsonl --to postgresql://watchbot@db/watchbot --force",
    )
    add_config_option(copy)
    copy.add_argument("--from", dest="source", required=True, metavar="SOURCE",
                      help="sqlite:///FILE, postgresql://user@host/db, a SQLite file or a dump file")
    copy.add_argument("--to", dest="target", required=True, metavar="URL",
                      help="the store to fill: postgresql://user@host/db or sqlite:///FILE")
    copy.add_argument("--force", action="store_true",
                      help="replace what the target already holds, and copy a SQLite store a `watchbot run` is using")
    copy.set_defaults(func=run_copy)
    backup = add_command(
        sub, "backup", help="back up the configured store into FILE (SQLite file, or a JSON Lines dump)",
        description="Back up the configured store while watchbot runs. SQLite: a copy of the database made with "
                    "SQLite's online backup API (restore: stop watchbot and put the file in place of the store); "
                    "a FILE ending in .jsonl gets a dump instead. PostgreSQL: a dump, one JSON line per row "
                    "(restore: `watchbot store copy --from FILE --to URL`). Either can be restored into either "
                    "database with `store copy`.",
        example="  watchbot store backup backups/watchbot.db\n"
                "  watchbot store backup backups/watchbot.jsonl --config config.toml",
    )
    add_config_option(backup)
    backup.add_argument("file", metavar="FILE", type=Path, help="where to write the backup")
    backup.add_argument("--force", action="store_true",
                        help="replace FILE even when it holds something else than an earlier backup")
    backup.set_defaults(func=run_backup)
    prune = add_command(
        sub, "prune", help="forget items older than storage.keep now (watchbot run does it daily)",
        description="Delete items first seen longer ago than storage.keep (default 180d) with their sightings, "
                    "matches and finished alerts. Items with an alert still to send, or a match a digest "
                    "recipient has not received, are kept whatever their age.",
        example="  watchbot store prune --config config.toml\n  watchbot store prune --keep 90d",
    )
    add_config_option(prune)
    prune.add_argument("--keep", metavar="DURATION", help="keep this long instead of storage.keep, e.g. 90d")
    prune.set_defaults(func=run_prune)


def run_copy(args: argparse.Namespace) -> int:
    from bot.app import storecopy  # (imported when run: see bot.cli.common.open_app)

    config = config_from(args, secrets=False)
    report = storecopy.copy_store(args.source, args.target, base_dir=config.base_dir, force=args.force,
                                  progress=_progress)
    print(report.line())
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from bot.app import storecopy

    config = config_from(args, secrets=False)
    store = open_store(config, upgrade=False)  # (a backup before an upgrade must not be the upgrade)
    try:
        report = storecopy.backup(store, args.file, progress=_progress, force=args.force)
    finally:
        store.close()
    print(report.line())
    return 0


def run_prune(args: argparse.Namespace) -> int:
    from bot.app import retention

    config = config_from(args, secrets=False)
    keep = config.storage_keep
    if args.keep is not None:
        parsed = parse_duration(args.keep)
        if parsed is None or parsed < 86400:
            raise WatchbotError(f"--keep: write a duration of at least a day, e.g. 90d (got {args.keep!r})")
        if parsed > MAX_DURATION:
            raise WatchbotError(f"--keep: {TOO_LONG} (got {args.keep!r})")
        keep = parsed
    store = open_store(config)
    try:
        counts = asyncio.run(retention.prune(store, keep=keep, now=utcnow()))
    finally:
        store.close()
    print(f"pruned {counts['items']} items, {counts['sightings']} sightings, {counts['matches']} matches and "
          f"{counts['alerts']} finished alerts first seen over {retention.describe(keep)} ago")
    return 0


def _progress(table: str, done: int, total: int) -> None:
    """One line per table on stderr, with a running count on a terminal."""
    if sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r  {table}: {done}/{total}", end=end, file=sys.stderr, flush=True)
    elif done >= total:
        print(f"  {table}: {done}", file=sys.stderr)
