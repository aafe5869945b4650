"""/web: a one-time login link to the web interface, for an admin in a private chat. Front door: replies.

The link is shown only in a private chat (never to a group) and only to ``telegram.admins``; it
works once and for 10 minutes (``bot.app.web_auth``). Link previews are off, and the link opens a
page with a "Sign in" button rather than signing in on GET, so no preview fetch can use it up.
Replies are in the chat's language (``bot.i18n``).
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ContextTypes

from bot.app.web_auth import LINK_VALID, WebAuth
from bot.i18n import EN, t
from bot.markup import esc
from bot.telegram.commands import Commands, reply

COMMANDS = [("web", EN["cmd.web"])]


def handlers(auth: WebAuth, commands: Commands) -> list[BaseHandler]:
    async def web(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """/web: the link, or why not."""
        chat, user = update.effective_chat, update.effective_user
        if user is None or chat is None:
            return
        _, lang = await commands.chat_language(update)
        if not auth.may_log_in(user.id):
            await reply(update, t(lang, "web.admins_only"))
            return
        if chat.type != "private":
            await reply(update, t(lang, "web.private_only"))
            return
        link = await auth.link(user.id)
        minutes = int(LINK_VALID.total_seconds() // 60)
        await reply(update, t(lang, "web.link", minutes=minutes, link=esc(link)))

    return [CommandHandler("web", web)]
