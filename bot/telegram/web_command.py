"""/web: a one-time login link to the web interface, for an admin in a private chat. Front door: replies.

The link is shown only in a private chat (never to a group) and only to ``telegram.admins``; it
works once and for 10 minutes (``bot.app.web_auth``). Link previews are off, and the link opens a
page with a "Sign in" button rather than signing in on GET, so no preview fetch can use it up.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.app.web_auth import LINK_VALID, WebAuth
from bot.markup import esc
from bot.telegram.commands import reply

COMMANDS = [("web", "a login link for the web interface (admins, in a private chat)")]


def handlers(auth: WebAuth) -> list[BaseHandler]:
    async def web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/web: the link, or why not."""
        chat, user = update.effective_chat, update.effective_user
        if user is None or chat is None:
            return
        if not auth.may_log_in(user.id):
            await reply(update, "The web interface is for the bot's admins (telegram.admins in the config).")
            return
        if chat.type != "private":
            await reply(update, "Send /web to me in a private chat: a login link must not be shown to a group.")
            return
        link = await auth.link(user.id)
        minutes = int(LINK_VALID.total_seconds() // 60)
        await reply(update, f"Your login link (works once, for {minutes} minutes):\n{esc(link)}")

    return [CommandHandler("web", web)]
