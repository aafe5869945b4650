"""The `watchbot` command line. Each command lives in its own module with a `register` function.

Expected errors (WatchbotError) print one readable line on stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.cli.common import help_of
from bot.errors import WatchbotError

EPILOG = """\
Examples:
  watchbot poll                         poll the configured feeds once (the shipped seed feed without a config)
  watchbot feeds                        feed health
  watchbot match --input items.jsonl    match items without storing anything
  watchbot rules check                  validate the watchlists in ./rules

Config: --config FILE (before or after the command), else ./config.toml, else built-in defaults
(see config.example.toml).
"""


def build_parser() -> argparse.ArgumentParser:
    from bot.cli import alerts, chats, digest, feeds, match, poll, rules, run, store, stories, web

    parser = argparse.ArgumentParser(
        prog="watchbot", description="Watch news feeds, match them against YAML watchlists, send alerts.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"watchbot {__version__}")
    parser.add_argument("--config", metavar="FILE", type=Path, default=None,
                        help="config file for any command (also accepted after the command)")
    parser.add_argument("--log-format", choices=("text", "json"), default="text",
                        help="log lines (warnings and errors; `run`'s own lines too) as plain text (default) or one "
                             "JSON object per line")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in (run, poll, match, rules, digest, feeds, alerts, stories, chats, store, web):
        module.register(commands)
    parser.set_defaults(func=help_of(parser))
    return parser



def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "log_format", "text") == "json":  # (every command's log lines, not `run`'s alone)
        from bot.observe import setup_logging

        setup_logging("json", level=logging.WARNING)
    else:
        logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    json_logs = getattr(args, "log_format", "text") == "json"

    def say(text: str, level: int = logging.ERROR) -> None:
        """The command's last word: ``watchbot: error: ...``, or a JSON line where logs are JSON (a log collector
        read the fatal error of `run --log-format json` as noise)."""
        if json_logs:
            logging.getLogger("watchbot").log(level, "%s", text)
        else:
            print(f"watchbot: {'error: ' if level >= logging.ERROR else ''}{text}", file=sys.stderr)

    try:
        return int(args.func(args) or 0)
    except WatchbotError as e:
        say(str(e))
        return 1
    except KeyboardInterrupt:
        say("interrupted", logging.WARNING)
        return 130
    except BrokenPipeError:
        return 0
    except OSError as e:  # a file or device the command writes or reads refused (a full disk, a file in the way)
        where = f"{e.filename}: " if e.filename else ""
        say(f"{where}{e.strerror or e}")
        return 1
