"""`watchbot digest [--send]`: digest recipients with their pending count and last outcome; send email now."""

from __future__ import annotations

import argparse
import asyncio

from bot.app.build import open_app
from bot.app.digests import DigestService, RecipientStatus
from bot.cli.common import add_command, add_config_option, config_from, when
from bot.config import Config
from bot.errors import ConfigError
from bot.store.protocols import DeadLetter
from bot.times import utcnow


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "digest", help="digest recipients: pending stories, last sent, last error; --send sends email now",
        description="List every email digest recipient and every chat in digest mode with its pending stories, "
                    "last successful digest and last error. With --send, send every email digest now; the exit "
                    "status is 1 if any could not be sent (its stories stay pending).",
        example="  watchbot digest --config config.toml\n  watchbot digest --send --config config.toml",
    )
    add_config_option(p)
    p.add_argument("--send", action="store_true", help="send every email digest now")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args)
    if args.send and config.email is None:
        raise ConfigError(config.source, ["email: section missing (host, from and [[email.digests]] are needed "
                                          "to send digests)"])
    return asyncio.run(_digest(config, send=args.send))


async def _digest(config: Config, *, send: bool) -> int:
    async with open_app(config, offline=True) as app:
        service = app.digests or DigestService(config, app.store, app.clock)
        if send:
            return await _send(service)
        rows = await service.status(utcnow())
        dead = {r.key: await app.store.run(app.store.digests.dead_letters, r.key) for r in rows if r.dead}
        show(rows, dead)
        return 0


async def _send(service: DigestService) -> int:
    if not service.email_recipients():
        print("no email digest recipients configured ([[email.digests]] with to = [...])")
        return 0
    report = await service.send_email_digests(utcnow())
    for key in report.sent:
        print(f"✓ {key}: sent")
    for key in report.nothing:
        print(f"· {key}: nothing pending")
    for line in report.errors:
        print(f"✗ {line}")
    print(report.line())
    return 0 if report.ok else 1


def show(rows: list[RecipientStatus], dead: dict[str, list[DeadLetter]]) -> None:
    now = utcnow()
    if not rows:
        print("no digest recipients: add [[email.digests]] to the config, or switch a chat to digest mode")
        return
    for r in rows:
        mark = "✗" if r.last_error and (r.next_attempt_at or r.dead) else "✓" if r.last_sent_at else "·"
        print(f"{mark} {r.label}  [{r.channel}, daily at {r.schedule}]")
        print(f"    pending:      {r.pending} stor{'y' if r.pending == 1 else 'ies'}")
        print(f"    last sent:    {when(r.last_sent_at, now)}")
        if r.last_error:
            print(f"    last error:   {r.last_error} ({when(r.last_error_at, now)})")
        if r.next_attempt_at:
            print(f"    retry:        {when(r.next_attempt_at, now)}")
        if r.dead:
            last = dead[r.key][-1]
            print(f"    dead letters: {r.dead} (last: {last.stories} stories, {last.error})")
    print(f"{len(rows)} recipients, {sum(r.pending for r in rows)} stories pending")
