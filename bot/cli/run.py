"""`watchbot run`: the service (scheduler, Telegram bot, deliveries, digests) until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import os
from typing import Any

from bot.cli.common import add_command, add_config_option, add_log_format_option, config_from


def register(commands: Any) -> None:
    p = add_command(
        commands, "run", help="run the service: poll on schedule, alert, send digests",
        description="Run watchbot as a service: poll every feed at its interval (honouring backoff and "
                    "Retry-After), match new items, send alerts (Telegram, or the console without it), "
                    "send digests on schedule and reload changed rule files. Prints one line on what it "
                    "will do, logs one line per poll on stderr, and stops cleanly on SIGTERM or Ctrl-C. "
                    "With [http] listen set it serves GET /healthz (200 or 503, JSON), GET /metrics "
                    "(Prometheus) and the web interface at / (admins sign in with /web in Telegram).",
        example="  watchbot run --config config.toml\n  watchbot run --config config.toml --log-format json",
    )
    add_config_option(p)
    add_log_format_option(p)
    p.set_defaults(func=run)


M_ARENA_MAX = -8  # glibc's mallopt parameter number


def run(args: argparse.Namespace) -> int:
    config = config_from(args)  # config errors end here, before anything opens
    from bot.app.service import run_service  # (imported when run: see bot.cli.common.open_app)
    from bot.observe import redact, setup_logging

    setup_logging(getattr(args, "log_format", "text"))
    redact(config.secrets())
    limit_malloc_arenas()
    return asyncio.run(run_service(config, json_logs=getattr(args, "log_format", "text") == "json"))


def limit_malloc_arenas(arenas: int = 2) -> None:
    """At most two glibc malloc arenas: parsing multi-MB bodies in worker threads otherwise grows one arena per
    thread, memory that never comes back (the soak: RSS +87 MB in 10 minutes by default, +22 MB with two;
    bench/README.md). MALLOC_ARENA_MAX, when set, wins; systems without glibc are left alone."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, arenas)
