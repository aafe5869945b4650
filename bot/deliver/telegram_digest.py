"""Telegram digests: a Digest as HTML pages (pure), their sending, and /digest and /digest_at. IO: Bot API.

Pages hold whole items: a page is cut before the item that would take it past Telegram's 4,096
rendered UTF-16 units, and a section that goes on over a page break repeats its heading. Every
piece of feed text is escaped. Sending stops at the first failed page and says how many pages
went out, so the items of the sent pages are not sent again.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.deliver.telegram.format import MAX_MESSAGE, cut, rendered_len
from bot.deliver.telegram.sender import classify
from bot.digest import Digest, DigestItem
from bot.errors import DeliveryError, TemporaryDeliveryError

if TYPE_CHECKING:
    from bot.deliver.telegram.commands import Commands

ALSO_IN_SHOWN = 4  # feeds named after "also in:"; the rest are counted
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

COMMANDS = [("digest", "send this chat's pending digest now"),
            ("digest_at", "HH:MM: when the daily digest comes (in your /tz)")]


@dataclass(frozen=True, slots=True)
class Page:
    """One message of a digest and the matches its items settle."""

    text: str
    match_ids: tuple[int, ...]


def _esc(text: object) -> str:
    return html.escape(str(text), quote=False)


def _item(item: DigestItem, created: datetime) -> str:
    title = _esc(cut(item.title, 300))
    head = f'<a href="{html.escape(item.link, quote=True)}">{title}</a>' if item.link else title
    stamp = f"{item.when:%H:%M}" if item.when.date() == created.date() else f"{item.when:%m-%d %H:%M}"
    meta = f"{_esc(cut(item.source, 80) or 'unknown feed')} · {stamp}"
    if item.also_in:
        shown = [cut(f, 60) for f in item.also_in[:ALSO_IN_SHOWN]]
        more = len(item.also_in) - len(shown)
        meta += " · also in " + _esc(", ".join(shown)) + (f" and {more} more" if more > 0 else "")
    if item.also_matched:
        meta += " · also matched " + _esc(cut(", ".join(item.also_matched), 200))
    return f"• <b>{head}</b>\n<i>{meta}</i>"


def _header(digest: Digest) -> str:
    noun = "story" if digest.total == 1 else "stories"
    counts = " · ".join(f"{_esc(name)} {n}" for name, n in digest.counts())
    lines = [f"<b>Digest {digest.created:%Y-%m-%d}</b>: {digest.total} {noun}",
             f"<i>times in {_esc(digest.zone_label())}</i>"]
    if counts:
        lines.append(counts)
    return "\n".join(lines)


def pages(digest: Digest, *, limit: int = MAX_MESSAGE) -> list[Page]:
    """The digest as messages of at most ``limit`` rendered UTF-16 units, split between items."""
    if digest.empty:
        return [Page(_header(digest) + "\nNothing new since the last digest.", digest.match_ids)]
    out: list[Page] = []
    parts: list[str] = [_header(digest)]
    ids: list[int] = []
    section_open: str | None = None

    def size(chunks: list[str]) -> int:
        return rendered_len("\n\n".join(chunks))

    for section in digest.sections:
        heading = f"<b>{_esc(section.name)}</b> ({section.count})"
        section_open = None
        for item in section.items:
            block = _item(item, digest.created)
            lead = [] if section_open == heading else [heading]
            if size([*parts, *lead, block]) > limit and len(parts) > 1:
                out.append(Page("\n\n".join(parts), tuple(ids)))
                parts, ids = [f"<i>Digest {digest.created:%Y-%m-%d}, continued</i>"], []
                lead = [f"<b>{_esc(section.name)}</b> (continued)"] if section_open == heading else [heading]
            parts += [*lead, block]
            section_open = heading
            ids += item.match_ids
    out.append(Page("\n\n".join(parts), tuple(ids)))
    # matches the digest settles without listing them (other watchlists) ride on the last page
    listed = {i for p in out for i in p.match_ids}
    rest = tuple(i for i in digest.match_ids if i not in listed)
    out[-1] = Page(out[-1].text, out[-1].match_ids + rest)
    return out


# --- sending ---------------------------------------------------------------------------------------------


class BotLike(Protocol):
    async def send_message(self, chat_id: int, text: str, **kwargs: Any) -> Any: ...


@dataclass(frozen=True, slots=True)
class Sent:
    """How far a digest got: pages accepted, the chat id they went to, the error that stopped the rest."""

    pages: int
    chat_id: int
    error: DeliveryError | None = None


async def send_pages(bot: BotLike, chat_id: int, digest_pages: Sequence[Page], *,
                     on_migrate: Callable[[int, int], object] | None = None) -> Sent:
    """Send pages in order, stopping at the first failure. A group that became a supergroup is
    followed to its new id (``on_migrate(old, new)`` moves its state) and the page is sent again."""
    for n, page in enumerate(digest_pages):
        for _ in range(2):
            try:
                await bot.send_message(chat_id=chat_id, text=page.text, parse_mode=ParseMode.HTML,
                                       link_preview_options=LinkPreviewOptions(is_disabled=True))
                break
            except ChatMigrated as e:
                if on_migrate is not None:
                    on_migrate(chat_id, int(e.new_chat_id))
                chat_id = int(e.new_chat_id)
            except TelegramError as e:
                return Sent(n, chat_id, classify(e, str(chat_id)))
        else:
            return Sent(n, chat_id, TemporaryDeliveryError(str(chat_id), "chat migrated twice in one send"))
    return Sent(len(digest_pages), chat_id)


# --- commands ------------------------------------------------------------------------------------------

Context = ContextTypes.DEFAULT_TYPE


class DigestCommands(Protocol):
    """What the handlers need of the DigestService."""

    clock: Callable[[], datetime]

    async def send_chat_digest(self, chat_id: int, now: datetime, *, manual: bool = False) -> Any: ...

    def chat_digest_at(self, chat_id: int) -> str: ...

    def set_chat_digest_at(self, chat_id: int, at: str | None) -> None: ...


def parse_at(text: str) -> str | None:
    """'7:30' -> '07:30'; None when not a 24-hour time."""
    m = _HHMM.match(text.strip())
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def handlers(service: DigestCommands, commands: Commands) -> list[BaseHandler]:
    """/digest and /digest_at, for TelegramService.add_handlers(handlers(...), COMMANDS)."""

    async def digest(update: Update, context: Context) -> None:
        """/digest: send this chat's pending digest now."""
        chat = commands.chat(update)
        report = await service.send_chat_digest(chat.chat_id, service.clock(), manual=True)
        if getattr(report, "nothing", None):
            await _reply(update, "Nothing pending: no new stories on your digest watchlists since the last digest. "
                                 "Switch a watchlist to digest mode with /subscribe ID digest or /mode digest.")
        elif getattr(report, "errors", None):
            await _reply(update, "The digest could not be sent: " + _esc(report.errors[0]) + ". It stays pending.")

    async def digest_at(update: Update, context: Context) -> None:
        """/digest_at HH:MM: when this chat's daily digest comes, in its /tz zone."""
        chat = commands.chat(update)
        args = context.args or []
        at = parse_at(args[0]) if len(args) == 1 else None
        if at is None:
            await _reply(update, f"Usage: /digest_at HH:MM, e.g. /digest_at 07:30 (now: "
                                 f"{_esc(service.chat_digest_at(chat.chat_id))} {_esc(chat.tz)}).")
            return
        if await commands.refuse_unless_allowed(update, context, chat):
            return
        service.set_chat_digest_at(chat.chat_id, at)
        await _reply(update, f"Daily digest at {at} ({_esc(chat.tz)}; change the zone with /tz).")

    return [CommandHandler("digest", digest), CommandHandler("digest_at", digest_at)]


async def _reply(update: Update, text: str) -> None:
    message = update.effective_message
    if message is not None:
        await message.reply_text(text, parse_mode=ParseMode.HTML,
                                 link_preview_options=LinkPreviewOptions(is_disabled=True))

