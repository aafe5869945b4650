"""`watchbot chats [show ID]`: Telegram chats with their subscriptions, own phrases, mutes and settings."""

from __future__ import annotations

import argparse
import asyncio
from typing import TYPE_CHECKING

from bot.cli.common import add_command, add_config_option, chat_id_arg, config_from, open_app, when
from bot.config import DEFAULT_DIGEST_AT, Config
from bot.errors import WatchbotError
from bot.times import utcnow

if TYPE_CHECKING:
    from bot.app.chats import ChatView

EXAMPLE = """\
  watchbot chats                       every chat, one block each
  watchbot chats show -1001234567890   one chat with all its settings
  watchbot chats --config config.toml"""


def register(commands: argparse._SubParsersAction) -> None:
    p = add_command(
        commands, "chats", help="Telegram chats: subscriptions, own phrases, mutes",
        description="List the chats the bot knows, with their subscriptions, their own phrases (/watch) and "
                    "mutes (/mute), as stored.",
        example=EXAMPLE,
    )
    add_config_option(p)
    p.set_defaults(func=run_list)
    sub = p.add_subparsers(dest="chats_command", metavar="[show]")
    show = add_command(sub, "show", help="one chat with all its settings",
                       description="Show one chat: settings, subscriptions, phrases and mutes.",
                       example="  watchbot chats show 123456789\n  watchbot chats show -1001234567890")
    show.add_argument("chat_id", metavar="ID", type=chat_id_arg, help="the chat's numeric id (groups are negative)")
    add_config_option(show)
    show.set_defaults(func=run_show)


async def _views(config: Config, chat_id: int | None) -> list[ChatView]:
    if config.store_missing:  # (nothing ran with this config yet: no chat has talked to it; no empty store made)
        return []
    async with open_app(config, offline=True, upgrade=False) as app:
        if chat_id is None:
            return await app.chats.views()
        one = await app.chats.view(chat_id)
        return [one] if one is not None else []


def lines(v: ChatView, *, full: bool = False, digest_at: str = DEFAULT_DIGEST_AT) -> list[str]:
    """``digest_at``: telegram.digest_at, the time of the chats that set none with /digest."""
    c = v.chat
    state = "active" if c.active else f"inactive ({c.inactive_reason or 'deactivated'})"
    if c.active and c.paused:
        state = "paused"
    out = [f"{c.chat_id}  {c.type}  {c.title or '(no title)'}  {state}"]
    subs = ", ".join(f"{s.watchlist} ({s.mode})" for s in v.subscriptions) or "none"
    own = f" ({v.follows_own})" if v.follows_own else " (not followed: the chat's subscriptions were dropped)"
    out.append(f"    subscriptions: {subs}")
    out.append(f"    phrases:       {', '.join(v.phrases) + own if v.phrases else 'none'}")
    mutes = "; ".join(f"{m.kind} {m.value}" for m in v.mutes) or "none"
    out.append(f"    mutes:         {mutes}")
    if full:
        quiet = f"{c.quiet_start}-{c.quiet_end}" if c.quiet else "off"
        digest = f"{c.digest_at} {c.tz}" if c.digest_at else f"{digest_at} {c.tz} (telegram.digest_at)"
        out += [f"    mode:          {c.mode}", f"    time zone:     {c.tz}",
                f"    quiet hours:   {quiet}", f"    digest at:     {digest}",
                f"    language:      {c.language or 'from each user (Telegram)'}",
                f"    first seen:    {when(c.created_at, utcnow())}"]
        if c.migrated_to is not None:
            out.append(f"    moved to:      {c.migrated_to}")
    return out


def run_list(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    views = asyncio.run(_views(config, None))
    if not views:
        how = ("it is added when someone sends the bot /start" if config.telegram else
               "with a [telegram] token in the config, a chat is added when someone sends the bot /start")
        print(f"no chats yet: {how} (`watchbot run` answers it)")
        return 0
    for v in views:
        print("\n".join(lines(v)))
    active = sum(v.chat.active for v in views)
    phrases = sum(len(v.phrases) for v in views)
    print(f"{len(views)} chat{'s' * (len(views) != 1)} ({active} active), {phrases} own phrase{'s' * (phrases != 1)}")
    return 0


def run_show(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    views = asyncio.run(_views(config, args.chat_id))
    if not views:
        raise WatchbotError(f"no chat {args.chat_id} in the store (`watchbot chats` lists the chats it knows)")
    digest_at = config.telegram.digest_at if config.telegram else DEFAULT_DIGEST_AT
    print("\n".join(lines(views[0], full=True, digest_at=digest_at)))
    return 0
