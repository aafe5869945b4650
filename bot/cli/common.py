"""Pieces every command shares: the --config option, help formatting, time display."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.config import MAX_DURATION, TOO_LONG, Config, load_config, parse_duration

if TYPE_CHECKING:
    from bot.app.build import App
    from bot.store.protocols import Store


def add_command(commands: Any, name: str, *, help: str, description: str, example: str) -> argparse.ArgumentParser:
    """A subcommand whose --help ends with an example."""
    return commands.add_parser(
        name, help=help, description=description, epilog="Example:\n" + example,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """--config on a command; SUPPRESS keeps a --config given before the command (``watchbot --config F poll``)."""
    parser.add_argument("--config", metavar="FILE", type=Path, default=argparse.SUPPRESS,
                        help="config file (default: ./config.toml if present, else built-in defaults)")


def add_log_format_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--log-format", choices=("text", "json"), default=argparse.SUPPRESS,
                        help="log lines as plain text (default) or one JSON object per line")


def config_from(args: argparse.Namespace, *, secrets: bool = True) -> Config:
    """The config of ``--config``. ``secrets=False``: a command that contacts neither Telegram nor a mail server (rules
    check, alerts, feeds...) runs where the bot's token or the mail password is not in the environment (a shell on
    the server without the service's env file)."""
    return load_config(getattr(args, "config", None), secrets=secrets)


def count_arg(most: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to ``most``; a usage error (exit 2) otherwise (a huge one reached
    SQLite as an OverflowError and a traceback; a negative --limit listed everything)."""

    def count(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number (got {text!r})") from None
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be from 1 to {most:,} (got {text})")
        return value

    return count


def chat_id_arg(text: str) -> int:
    """An argparse type: a Telegram chat id (groups are negative; ids fit in 64 bits)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a chat id: chat ids are numbers, e.g. 123456789 or -1001234567890 "
                                         f"(got {text!r})") from None
    if not value or abs(value) >= 2**63:
        raise argparse.ArgumentTypeError(f"not a chat id (got {text})")
    return value


def duration_arg(text: str) -> float:
    """An argparse type: "24h", "7d", "90m" in seconds; a usage error (exit 2) otherwise, a bare number too (`--since
    3` had meant 3 seconds, where the user meant days or hours, and listed nothing without a word)."""
    if text.strip().replace(".", "", 1).isdigit() and float(text) > 0:
        raise argparse.ArgumentTypeError(f"give a unit (got {text!r}): e.g. {text.strip()}h or {text.strip()}d")
    seconds = parse_duration(text)
    if seconds is None or seconds <= 0:
        raise argparse.ArgumentTypeError(f"not a duration (got {text!r}); write e.g. 24h, 7d or 90m")
    if seconds > MAX_DURATION:
        raise argparse.ArgumentTypeError(f"{TOO_LONG} (got {text!r})")
    return seconds


def span(seconds: float) -> str:
    """A --since duration as it would be written: 86400 -> "24h", 604800 -> "7d", 5400 -> "90m"."""
    whole = int(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if whole == seconds and whole % size == 0 and (unit != "d" or whole >= 2 * size):
            return f"{whole // size}{unit}"
    return f"{seconds:g}s"


def further(seconds: float) -> str:
    """What an empty listing of the last ``seconds`` adds: " in the last 24h (--since 7d looks further back)"."""
    longer = next((text for text, limit in (("7d", 7 * 86400), ("30d", 30 * 86400), ("365d", 365 * 86400))
                   if seconds < limit), None)
    return f" in the last {span(seconds)}" + (f" (--since {longer} looks further back)" if longer else "")


def local_zone() -> tzinfo | None:
    return datetime.now().astimezone().tzinfo


def when(value: datetime | None, now: datetime) -> str:
    """"2024-03-27 15:45 UTC (3 min ago)" in the machine's zone ("2024-03-27 23:45 CST+08:00": an abbreviation alone
    may name several zones, CST China's and the US's), or "never"."""
    if value is None:
        return "never"
    local = value.astimezone(local_zone())
    return f"{local:%Y-%m-%d %H:%M} {zone_words(local)} ({relative(value, now)})"


def zone_words(local: datetime) -> str:
    """"UTC", "CST+08:00", "UTC+05:30" (a zone without an abbreviation of its own)."""
    if not local.utcoffset():
        return "UTC" if f"{local:%Z}" in ("UTC", "GMT", "") else f"{local:%Z}"
    z = f"{local:%z}"
    offset = f"{z[:3]}:{z[3:5]}"
    name = f"{local:%Z}"
    return f"UTC{offset}" if not name or name[0] in "+-" else f"{name}{offset}"


def relative(value: datetime, now: datetime) -> str:
    """"3 min ago", "in 2.5 h"."""
    delta = (value - now).total_seconds()
    span = abs(delta)
    rel = (f"{span:.0f} s" if span < 90 else f"{span / 60:.0f} min" if span < 5400
           else f"{span / 3600:.1f} h" if span < 172800 else f"{span / 86400:.0f} d")
    return f"in {rel}" if delta > 0 else f"{rel} ago"


# The wiring (bot.app.build) imports Telegram, HTTP and web libraries: commands import it when they
# run, so that `watchbot match`, `rules check` and `--help` start without it (about 1 s less).


def open_app(config: Config, **options: Any) -> AbstractAsyncContextManager[App]:
    """``bot.app.build.open_app``, imported on first use."""
    from bot.app import build

    return build.open_app(config, **options)


def open_store(config: Config, **options: Any) -> Store:
    """``bot.app.build.open_store``, imported on first use."""
    from bot.app import build

    return build.open_store(config, **options)


def help_of(parser: argparse.ArgumentParser) -> Callable[[argparse.Namespace], int]:
    """What a command with sub-commands does without one (`watchbot`, `watchbot rules`): its help, with its examples,
    and exit status 2, as for any incomplete command line (argparse had said only "the following arguments are
    required: COMMAND")."""

    def show(args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show
