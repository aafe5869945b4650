"""A chat shapes its own alerts: /watch, /unwatch, /mute, /unmute, /lang, and their part of /list. Front door.

Each handler records the chat, checks who may change it (in groups only administrators, as for
subscriptions), calls one use-case (``bot.app.phrases``) and replies in the chat's language
(``i18n``: its /lang choice, else the writer's Telegram language). A phrase is always a phrase:
nothing typed in Telegram becomes a regular expression.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from typing import Protocol

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.app.chats import Chats
from bot.app.phrases import Phrases, Watched
from bot.i18n import DEFAULT, EN, LANGUAGES, language_for, t
from bot.markup import cut, esc, strip_tags
from bot.render.telegram import listed
from bot.store.protocols import Chat
from bot.telegram.commands import language
from bot.watch.personal import MAX_PHRASE, hashtags, personal_id
from bot.watch.text import phrase_key

SHOWN = 120  # characters of what the user typed, said back (a 4,000-character /unwatch made a reply Telegram refused)

Context = ContextTypes.DEFAULT_TYPE

NAMES = ("watch", "unwatch", "mute", "unmute", "lang")
COMMANDS: list[tuple[str, str]] = [(name, EN[f"cmd.{name}"]) for name in NAMES]
LANGUAGE_NAMES = {"en": "English", "zh-hans": "简体中文", "zh-hant": "繁體中文"}
# /lang in words, as people say it: "/lang 繁體" rather than "/lang zh-hant" (中文 alone: Simplified, as "zh" is)
LANGUAGE_WORDS = {
    **{w: "zh-hant" for w in ("繁體", "繁体", "繁體中文", "繁体中文", "正體", "正體中文", "traditional",
                              "traditional chinese")},
    **{w: "zh-hans" for w in ("简体", "簡體", "简体中文", "簡體中文", "中文", "simplified", "simplified chinese",
                              "chinese")},
    **{w: "en" for w in ("english", "英文", "英語", "英语")},
}
UNDO = "unwatch:"  # callback data of the Undo button under a /watch reply that warned: then the phrase's folded form


class ChatDoor(Protocol):
    """What these handlers use of the chat commands (bot.telegram.commands.Commands)."""

    async def chat(self, update: Update) -> Chat: ...
    async def may_change(self, update: Update, context: Context, chat: Chat) -> bool: ...
    async def language_changed(self, bot: Bot, chat: Chat, *, before: str | None) -> None: ...


CLOSEST = 10  # feeds named when /mute source is given a name no feed has, of many


def argument(update: Update) -> str:
    """Everything after the command, as typed (spaces inside a phrase kept)."""
    message = update.effective_message
    text = (message.text if message else None) or ""
    return text.partition(" ")[2].strip() if text.startswith("/") else text.strip()


class PhraseCommands:
    """The handlers, sharing the phrase use-case, the chat door and the reply function."""

    def __init__(self, *, phrases: Phrases, chats: Chats, door: ChatDoor,
                 reply: Callable[..., object]) -> None:
        self.phrases = phrases
        self.chats = chats
        self.door = door
        self.reply = reply

    def handlers(self) -> list[BaseHandler]:
        named = {"watch": self.watch, "unwatch": self.unwatch, "mute": self.mute, "unmute": self.unmute,
                 "lang": self.lang}
        return [*(CommandHandler(name, fn) for name, fn in named.items()),
                CallbackQueryHandler(self.undo, pattern=f"^{UNDO}")]

    async def _say(self, update: Update, text: str) -> None:
        await self.reply(update, text)  # type: ignore[misc]

    async def _allowed(self, update: Update, context: Context, chat: Chat, lang: str) -> bool:
        if await self.door.may_change(update, context, chat):
            return True
        await self._say(update, t(lang, "group.admins_only"))
        return False

    # --- /watch, /unwatch --------------------------------------------------------------------------

    async def watch(self, update: Update, context: Context) -> None:
        """/watch PHRASE: add a phrase to this chat's own watchlist, and say what it will match."""
        chat = await self.door.chat(update)
        lang = language(update, chat)
        text = argument(update)
        if not text:
            await self._say(update, t(lang, "watch.usage"))
            return
        if not await self._allowed(update, context, chat, lang):
            return
        result = await self.phrases.watch(chat.chat_id, text)
        reply = watched_reply(lang, result, self.phrases.max_watch, chat.mode, hashtag=hashtags(text))
        await self.reply(update, reply, undo_keyboard(lang, result))  # type: ignore[misc]

    async def undo(self, update: Update, context: Context) -> None:
        """A tap on the Undo button under a /watch reply that warned: stop watching that phrase."""
        query = update.callback_query
        if query is None or not query.data or update.effective_chat is None:
            return
        chat = await self.door.chat(update)
        lang = language(update, chat)
        if not await self.door.may_change(update, context, chat):
            await query.answer(t(lang, "button.admins_only"), show_alert=True)
            return
        key = query.data.removeprefix(UNDO)
        shown = next((p for p in await self.phrases.phrases(chat.chat_id) if phrase_key(p) == key), None)  # as typed
        removed = await self.phrases.unwatch(chat.chat_id, key) if shown is not None else 0
        if not removed:  # tapped twice, or /unwatch came first: the phrase as typed is gone (its key is folded: 台积电)
            await query.answer(t(lang, "watch.undo_gone"))
            with contextlib.suppress(BadRequest):  # (its keyboard may be gone already)
                await query.edit_message_reply_markup(None)
            return
        done = t(lang, "watch.undone", phrase=esc(shown))
        await query.answer(strip_tags(done))  # (a pop-up is plain text: its tags would show)
        await query.edit_message_text(done, parse_mode=ParseMode.HTML, reply_markup=None)

    async def unwatch(self, update: Update, context: Context) -> None:
        """/unwatch PHRASE|all"""
        chat = await self.door.chat(update)
        lang = language(update, chat)
        text = argument(update)
        current = await self.phrases.phrases(chat.chat_id)
        names = listed(current, lang, "more.list") or t(lang, "nothing")
        if not text:
            await self._say(update, t(lang, "unwatch.usage", phrases=names))
            return
        if not await self._allowed(update, context, chat, lang):
            return
        removed = await self.phrases.unwatch(chat.chat_id, None if text.lower() == "all" else text)
        if not removed and text.lower() != "all":
            await self._say(update, t(lang, "unwatch.unknown", phrase=esc(cut(text, SHOWN)), phrases=names))
            return
        await self._say(update, t(lang, "unwatch.removed", count=removed) if removed else t(lang, "unwatch.none"))

    # --- /mute, /unmute ----------------------------------------------------------------------------

    async def mute(self, update: Update, context: Context) -> None:
        """/mute PHRASE or /mute source NAME"""
        chat = await self.door.chat(update)
        lang = language(update, chat)
        kind, value = split_mute(argument(update))
        if kind == "source" and not value:  # "/mute source" alone: which feed? (the word itself: /mute "source")
            names = await self.phrases.sources()
            await self._say(update, t(lang, "mute.which_source", names=listed(names, lang)) if names
                            else t(lang, "mute.usage"))
            return
        if not value:
            await self._say(update, t(lang, "mute.usage"))
            return
        if len(value) > MAX_PHRASE:  # (it had said only how to use /mute, not what was wrong)
            await self._say(update, t(lang, "mute.too_long", length=len(value), limit=MAX_PHRASE))
            return
        if kind == "source":
            known = await self.phrases.source(value)
            if known is None:
                names = await self.phrases.sources()
                close = await self.phrases.sources(near=value) if len(names) > CLOSEST else []
                if not names:
                    await self._say(update, t(lang, "mute.no_sources", name=esc(value)))
                elif close:
                    await self._say(update, t(lang, "mute.closest_source", name=esc(value), count=len(names),
                                              names=listed(close, lang, at_most=CLOSEST, total=len(names))))
                else:
                    await self._say(update, t(lang, "mute.unknown_source", name=esc(value), names=listed(names, lang)))
                return
            value = known
        if not await self._allowed(update, context, chat, lang):
            return
        status, info = await self.phrases.mute(chat.chat_id, kind, value)
        if status == "known":
            await self._say(update, t(lang, "mute.known", value=esc(value)))
        elif status == "full":
            await self._say(update, t(lang, "mute.full", limit=self.phrases.max_watch))
        elif kind == "source":
            await self._say(update, t(lang, "mute.source", name=esc(value)))
        else:
            await self._say(update, t(lang, "mute.phrase", phrase=esc(info.phrase)))

    async def unmute(self, update: Update, context: Context) -> None:
        """/unmute PHRASE, /unmute source NAME or /unmute all"""
        chat = await self.door.chat(update)
        lang = language(update, chat)
        text = argument(update)
        mutes = await self.phrases.mutes(chat.chat_id)
        names = listed([m.value if m.kind == "phrase" else f"source {m.value}" for m in mutes], lang,
                       "more.list") or t(lang, "nothing")
        if not text:
            await self._say(update, t(lang, "unmute.usage", mutes=names))
            return
        if not await self._allowed(update, context, chat, lang):
            return
        if text.lower() == "all":
            removed = await self.phrases.unmute(chat.chat_id, None, None)
        else:
            kind, value = split_mute(text)
            if not value:  # "/unmute source" alone
                await self._say(update, t(lang, "unmute.usage", mutes=names))
                return
            removed = await self.phrases.unmute(chat.chat_id, kind, value)
            if not removed:
                await self._say(update, t(lang, "unmute.unknown", value=esc(cut(value, SHOWN)), mutes=names))
                return
        await self._say(update, t(lang, "unmute.removed", count=removed) if removed else t(lang, "unmute.none"))

    # --- /lang -------------------------------------------------------------------------------------

    async def lang(self, update: Update, context: Context) -> None:
        """/lang en|zh-hans|zh-hant: the language the bot answers in, in this chat."""
        chat = await self.door.chat(update)
        lang = language(update, chat)
        wanted = argument(update).lower()
        chosen = LANGUAGE_WORDS.get(wanted) or (wanted if wanted in LANGUAGES else language_for(wanted))
        if chosen == "en" and wanted not in LANGUAGE_WORDS and not wanted.startswith("en"):
            await self._say(update, t(lang, "lang.usage", language=LANGUAGE_NAMES[lang]))
            return
        if not await self._allowed(update, context, chat, lang):
            return
        await self.chats.update(chat.chat_id, language=chosen)
        await self.door.language_changed(context.bot, dataclasses.replace(chat, language=chosen), before=chat.language)
        await self._say(update, t(chosen, "lang.set"))

    # --- /list -------------------------------------------------------------------------------------

    async def list_lines(self, update: Update, chat: Chat) -> list[str]:
        """This chat's phrases, mutes and language, for /list."""
        lang = language(update, chat)
        phrases = await self.phrases.phrases(chat.chat_id)
        mutes = await self.phrases.mutes(chat.chat_id)
        key = "list.phrases.group" if chat.is_group else "list.phrases"
        lines = ["", t(lang, key, count=len(phrases), limit=self.phrases.max_watch)]
        lines += [f"• {esc(p)}" for p in phrases] or [t(lang, "list.no_phrases")]
        own = personal_id(chat.chat_id)
        if phrases and all(s.watchlist != own for s in await self.chats.subscriptions(chat.chat_id)):
            lines.append(t(lang, "list.not_followed"))
        lines += ["", t(lang, "list.mutes")]
        lines += [t(lang, f"list.muted_{m.kind}", value=esc(m.value)) for m in mutes] or [t(lang, "list.no_mutes")]
        lines += ["", t(lang, "list.language", language=LANGUAGE_NAMES[lang])]
        return lines


def split_mute(text: str) -> tuple[str, str]:
    """'source Reuters' -> ('source', 'Reuters'); 'source' alone -> ('source', ''): a feed not named yet (the word
    itself is muted in quotes, '"source"'); anything else is a phrase."""
    head, _, rest = text.strip().partition(" ")
    if head.lower() == "source":
        return "source", rest.strip()
    return "phrase", text.strip()


def undo_keyboard(lang: str, result: Watched) -> InlineKeyboardMarkup | None:
    """An Undo button under a /watch reply that warned the phrase is too short, everyday, common or spaced Chinese
    (None otherwise, or when the phrase's folded form does not fit Telegram's 64 bytes of callback data)."""
    info = result.info
    data = UNDO + info.key
    warned = info.too_short or info.everyday or result.common or info.spaced_chinese
    if result.status != "added" or not warned or len(data.encode()) > 64:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(t(lang, "watch.undo"), callback_data=data)]])


def watched_reply(lang: str, result: Watched, limit: int, mode: str, *, hashtag: bool = False) -> str:
    """What /watch answers: added (and what the phrase matches, with warnings), or why not. ``hashtag``: the user
    typed a hashtag, whose # was dropped (bot.watch.personal.clean)."""
    info = result.info
    phrase = esc(info.phrase)
    if result.status == "invalid":
        if info.too_long:
            return t(lang, "watch.too_long", length=len(info.phrase), limit=MAX_PHRASE)
        return t(lang, "watch.empty", phrase=phrase)
    if result.status == "known":  # (as watched: 台積電 for 台积电 typed, which folding takes for the same phrase)
        return t(lang, "watch.known", phrase=esc(result.existing or info.phrase))
    if result.status == "full":
        return t(lang, "watch.full", limit=limit)
    lines = [t(lang, "watch.added", phrase=phrase, count=result.count, limit=limit)]
    if hashtag:
        lines.append(t(lang, "watch.hashtag"))
    if info.folded_chinese:
        lines.append(t(lang, "watch.folded", folded=esc(info.key)))
    if info.chinese and not info.whole_words:
        lines.append(t(lang, "watch.substring"))
    else:
        examples = case_examples(info.phrase)
        if len(examples) > 1:  # (a phrase of digits has no case to speak of)
            lines.append(t(lang, "watch.case", examples=t(lang, "separator").join(map(esc, examples))))
        if info.whole_words:
            lines.append(t(lang, "watch.words", phrase=phrase))
        lines.append(t(lang, "watch.fuzzy" if info.fuzzy else "watch.exact"))
    lines.append(t(lang, "watch.fields"))
    if info.looks_like_regex:
        lines.append(t(lang, "watch.literal"))
    if info.spaced_chinese:
        lines.append(t(lang, "watch.spaced", joined=esc(info.spaced_chinese)))
    if info.regional:  # (晶片 and 芯片 are two words, not two scripts: matching folds scripts only)
        region, other = info.regional
        lines.append(t(lang, f"watch.{region}", other=esc(other)))
    if info.too_short:
        lines.append(t(lang, "watch.short"))
    if info.everyday and not result.common:  # (the measured share says it with a figure)
        lines.append(t(lang, "watch.everyday"))
    if result.common:
        assert result.share is not None
        lines.append(t(lang, "watch.common", percent=f"{result.share * 100:.0f}", sample=result.sample))
    elif result.share is not None:
        lines.append(t(lang, "watch.share", hits=round(result.share * result.sample), sample=result.sample))
    lines.append(t(lang, "watch.mode", mode=t(lang, f"mode.{mode}")))
    return "\n".join(lines)


def case_examples(phrase: str) -> list[str]:
    """Three spellings of ``phrase`` that differ only in case ("ai", "AI", "Ai"), for the reply to /watch."""
    return list(dict.fromkeys([phrase, phrase.upper(), phrase.lower(), phrase.title()]))[:3]


def cap_notice(chat: Chat, limit: int, at: str) -> str:
    """The message telling a chat it went over telegram.max_alerts_per_hour (bot.app.screen sends it)."""
    return t(chat.speaks or DEFAULT, "cap.notice", limit=limit, at=esc(f"{at} {chat.tz}"))  # (in its zone)
