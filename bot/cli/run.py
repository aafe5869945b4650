"""`watchbot run`: the service (scheduler, Telegram bot, deliveries, digests) until SIGTERM/SIGINT."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from bot.app.service import run_service
from bot.cli.common import add_command, add_config_option, add_log_format_option, config_from
from bot.observe import redact, setup_logging


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


def run(args: argparse.Namespace) -> int:
    config = config_from(args)  # config errors end here, before anything opens
    setup_logging(args.log_format)
    redact(config.secrets())
    return asyncio.run(run_service(config, json_logs=args.log_format == "json"))
