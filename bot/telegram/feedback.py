"""👍/👎 under alerts and the admins' /suggest. Front door: answers taps and commands.

A tap is answered at once (answerCallbackQuery) with what was noted; the judgment goes to the
``bot.app.judgments`` use-case. In groups anyone may judge: it is their view, one per person.
/suggest lists the rule edits the judgments point to (``bot.app.suggest``), each with its id
for ``watchbot rules suggest --apply ID`` (the CLI's report, in the chat's language).
A tap is answered in the chat's language (``bot.i18n``).
"""

from __future__ import annotations

import logging
from typing import Protocol

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.app.judgments import Judgments
from bot.deliver.telegram import keyboard
from bot.i18n import choose, sentences, t
from bot.markup import esc
from bot.render.feedback import PATTERN, feedback_keyboard, parse_feedback
from bot.render.telegram import pages
from bot.telegram.admin import Admin
from bot.telegram.commands import reply
from bot.watch.personal import owner

log = logging.getLogger("watchbot.telegram")

Context = ContextTypes.DEFAULT_TYPE


class SuggestionReport(Protocol):
    """What /suggest needs of the suggest use-case: its report as plain lines."""

    async def report_lines(self, lang: str) -> list[str]: ...


class Feedback:
    """The 👍/👎 buttons' handler and /suggest."""

    def __init__(self, *, judgments: Judgments, admin: Admin, suggest: SuggestionReport | None = None) -> None:
        self.judgments = judgments
        self.admin = admin
        self.suggestions = suggest

    def handlers(self) -> list[BaseHandler]:
        return [CallbackQueryHandler(self.tap, pattern=PATTERN), CommandHandler("suggest", self.suggest)]

    async def tap(self, update: Update, context: Context) -> None:
        """👍 or 👎 under an alert: store the judgment (a later tap replaces it) and say what was noted."""
        query = update.callback_query
        if query is None:
            return
        parsed = parse_feedback(query.data or "")
        message = query.message
        user = update.effective_user
        chat = await self.admin.chats.get(message.chat.id) if message is not None else None
        lang = choose(chat.language if chat else None, user.language_code if user else None)
        if parsed is None or message is None or user is None:
            await query.answer(t(lang, "feedback.invalid"))
            return
        verdict, outbox_id = parsed
        judged = await self.judgments.judge(outbox_id, chat_id=message.chat.id, user_id=user.id, verdict=verdict)
        text = t(lang, f"feedback.{judged.outcome}")
        if judged.judgment is not None:  # what it is for: tuning the watchlists, or nothing for the chat's own phrases
            own = all(owner(w) is not None for w in judged.judgment.watchlists)
            text = sentences(lang, text, t(lang, "feedback.own" if own else "feedback.tunes"))
        await query.answer(text)
        if judged.tally is not None:  # the tap's mark on the alert: "👍 1"
            try:
                await query.edit_message_reply_markup(keyboard(feedback_keyboard(outbox_id, judged.tally)))
            except TelegramError as e:  # (unchanged, or too old to edit): the judgment is stored all the same
                log.debug("feedback buttons of message %s not updated: %s", message.message_id, e)

    async def suggest(self, update: Update, context: Context) -> None:
        """/suggest: the rule edits the judgments point to, with their effect (admins only)."""
        lang = await self.admin.admitted(update, private=True)
        if lang is None:
            return
        if self.suggestions is None:
            await reply(update, t(lang, "suggest.no_files"))
            return
        lines = await self.suggestions.report_lines(lang)
        for page in pages([esc(line) for line in lines]):
            await reply(update, page)
