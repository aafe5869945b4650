"""`watchbot digest [--send | --preview [ADDRESS]]`: digest recipients with their pending count and last outcome;
send every email digest now; or write the email a recipient would get now, without sending."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from email.message import EmailMessage
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.common import add_command, add_config_option, config_from, open_app, when
from bot.config import Config
from bot.errors import ConfigError, WatchbotError
from bot.store.protocols import DeadLetter
from bot.times import utcnow

if TYPE_CHECKING:
    from bot.app.digests import DigestService, EmailRecipient, RecipientStatus


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "digest", help="digest recipients: pending stories, last sent, last error; --send sends email now",
        description="List every email digest recipient and every chat in digest mode with its pending stories, "
                    "last successful digest and last error. With --send, send every email digest now; the exit "
                    "status is 1 if any could not be sent (its stories stay pending).",
        example="  watchbot digest --config config.toml\n  watchbot digest --send --config config.toml\n"
                "  watchbot digest --preview analyst@example.com --out preview/",
    )
    add_config_option(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--send", action="store_true", help="send every email digest now")
    what.add_argument("--preview", nargs="?", const="", metavar="ADDRESS",
                      help="write the email each recipient (or ADDRESS) would get now, as .txt, .html and .eml "
                           "files, without sending anything")
    p.add_argument("--out", metavar="DIR", type=Path, default=Path("digest-preview"),
                   help="folder for --preview files (default: ./digest-preview)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=args.send)  # (a preview or the status sends nothing)
    if (args.send or args.preview is not None) and config.email is None:
        raise ConfigError(config.source, ["email: section missing ([email] with host, and [[email.digests]] with "
                                          "to, are needed to send digests)"])
    return asyncio.run(_digest(config, send=args.send, preview=args.preview, out=args.out))


async def _digest(config: Config, *, send: bool, preview: str | None = None, out: Path = Path(".")) -> int:
    # (status and previews only read: no store is made where none is, nor upgraded)
    async with open_app(config, offline=True, upgrade=send, missing_ok=not send) as app:
        from bot.app.digests import DigestService, unknown_watchlists

        service = app.digests or DigestService(config, app.store, app.clock)
        for line in unknown_watchlists(config, [w.id for w in app.rules.watchlists]):
            print(f"watchbot: warning: {line}", file=sys.stderr)
        if send:
            return await _send(service)
        if preview is not None:
            found = await service.preview(utcnow(), preview or None)
            if not found:
                known = ", ".join(r.address for r in service.email_recipients()) or "none configured"
                raise WatchbotError(f"no email digest recipient {preview!r} (recipients: {known})")
            await asyncio.to_thread(write_previews, found, out)
            return 0
        rows = await service.status(utcnow())
        dead = {r.key: await app.store.run(app.store.digests.dead_letters, r.key) for r in rows if r.dead}
        show(rows, dead)
        return 0


async def _send(service: DigestService) -> int:
    if not service.email_recipients():
        print("no email digest recipients configured ([[email.digests]] with to = [...])")
        return 0
    email = service.config.email
    if email is not None:  # a server that does not answer takes a while: say what is being waited for
        count = len(service.email_recipients())
        print(f"sending to {count} email digest recipient{'s' * (count != 1)} through {email.host}:{email.port} "
              f"({email.security}) …", file=sys.stderr, flush=True)
    # The lines below say what failed; the service's own warnings (for `watchbot run`'s log) would say it twice.
    logger = logging.getLogger("watchbot.digest")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        report = await service.send_email_digests(utcnow())
    finally:
        logger.setLevel(level)
    for key in report.sent:
        print(f"✓ {service.label(key)}: sent")
    for key in report.nothing:
        print(f"· {service.label(key)}: nothing pending")
    for line in report.errors:
        print(f"✗ {line}")
    print(report.line())
    return 0 if report.ok else 1


def write_previews(found: list[tuple[EmailRecipient, EmailMessage]], out: Path) -> None:
    """Each previewed email as .txt, .html and .eml files (open the .eml in a mail client to see it as sent)."""
    if out.exists() and not out.is_dir():
        raise WatchbotError(f"--out {out}: is a file; give a folder for the .txt, .html and .eml files")
    out.mkdir(parents=True, exist_ok=True)
    for r, message in found:
        stem = str(out / r.address.replace("@", "_at_"))
        text = message.get_body(("plain",))
        html = message.get_body(("html",))
        Path(stem + ".txt").write_text(text.get_content() if text else "", encoding="utf-8")
        Path(stem + ".html").write_text(html.get_content() if html else "", encoding="utf-8")
        Path(stem + ".eml").write_bytes(bytes(message))
        print(f"{r.address}: {message['Subject']}")
        print(f"    {stem}.txt, .html and .eml (nothing was sent)")


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
            # (the service's retry looks once a minute: a time just past had read as a retry missed)
            retry = ("due now: the running service sends it within a minute" if r.next_attempt_at <= now
                     else when(r.next_attempt_at, now))
            print(f"    retry:        {retry}")
        if r.dead:
            last = dead[r.key][-1]
            print(f"    dead letters: {r.dead} (last: {last.stories} stor{'y' if last.stories == 1 else 'ies'}, "
                  f"{last.error})")
    pending = sum(r.pending for r in rows)
    print(f"{len(rows)} recipient{'s' * (len(rows) != 1)}, {pending} stor{'y' if pending == 1 else 'ies'} pending")
