"""Chat commands: one small handler per command, in python-telegram-bot's style. Front door: replies.

Every handler records the chat it heard from, checks who may change what (in groups only the
group's administrators, asked of the Bot API), calls one use-case (``bot.app.chats``) and replies. Unknown watchlists
and bad arguments are answered with the valid choices. Admin commands live in `admin.py`.
Every reply is in the chat's language (``language``: its /lang choice, else the writer's Telegram
language) and comes from the catalog (``bot.i18n``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import json
from collections.abc import Awaitable, Callable
from datetime import datetime, time

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Update, User
from telegram.constants import ChatMemberStatus, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.app.chats import Chats, Return
from bot.i18n import DEFAULT, EN, choose, description, language_for, sentences, t
from bot.markup import cut, esc, rendered_len
from bot.render.telegram import MAX_MESSAGE, listed, pages, watchlist_names
from bot.store.protocols import MODES, Chat
from bot.telegram.menus import Menus
from bot.times import is_fixed_offset, meant_zone, parse_hhmm, suggest_zones, valid_zone, zone
from bot.watch import RuleBook, Verdict, Watchlist
from bot.watch.explain import explain
from bot.watch.personal import owner

Context = ContextTypes.DEFAULT_TYPE

COMMANDS: list[tuple[str, str]] = [(name, EN[f"cmd.{name}"]) for name in (
    "start", "help", "watchlists", "subscribe", "unsubscribe", "list", "mode", "tz", "quiet", "pause", "resume",
    "test")]
ADMIN_COMMANDS: list[tuple[str, str]] = [(name, EN[f"cmd.{name}"]) for name in ("feeds", "reload", "stats", "suggest")]
TEST_MAX = 500  # characters of /test text matched: a title is never longer
TZ_EXAMPLES = "UTC, Europe/Amsterdam, Asia/Shanghai, Asia/Taipei, America/New_York"


# What Telegram takes in one inline keyboard (found by bots that met it; not documented): past it, "reply markup is
# too long". So /watchlists gives buttons to as many watchlists as fit, and says so.
MAX_BUTTONS = 100
MAX_MARKUP = 9_000  # bytes of the keyboard's JSON (Telegram's limit is about 10 KB)


MAX_IDS = 20  # watchlists one /subscribe takes


class Commands:
    """The chat commands of one bot, sharing the chat store, the rules and the clock."""

    def __init__(self, *, chats: Chats, rules: RuleBook, clock: Callable[[], datetime],
                 extra_help: list[tuple[str, str]] | None = None) -> None:
        self.chats = chats
        self.rules = rules
        self.clock = clock
        self.extra_help = extra_help if extra_help is not None else []
        self.extra_admin: list[tuple[str, str]] = []  # admin commands beyond ADMIN_COMMANDS (/web)
        # more of /list (a chat's phrases and mutes: bot.telegram.phrases)
        self.list_sections: list[Callable[[Update, Chat], Awaitable[list[str]]]] = []
        # the chat's own phrases on a /test text (bot.app.phrases.Phrases.explain), beside the shared lists
        self.own_verdict: Callable[[int, str], Awaitable[Verdict | None]] | None = None
        self.menus: Menus | None = None  # each chat's command menu (set when the bot starts)

    def handlers(self) -> list[BaseHandler]:
        named = {
            "start": self.start, "help": self.help, "watchlists": self.watchlists, "subscribe": self.subscribe,
            "unsubscribe": self.unsubscribe, "list": self.list_subscriptions, "mode": self.mode, "tz": self.tz,
            "quiet": self.quiet, "pause": self.pause, "resume": self.resume, "test": self.test,
        }
        return [*(CommandHandler(name, fn) for name, fn in named.items()),
                CallbackQueryHandler(self.button, pattern=r"^(sub|unsub):")]

    # --- plumbing ----------------------------------------------------------------------------------

    async def chat_language(self, update: Update) -> tuple[Chat, str]:
        """The chat of this update (recorded) and the language to answer in."""
        chat = await self.chat(update)
        return chat, language(update, chat)

    async def chat(self, update: Update) -> Chat:
        """The chat of this update, recorded (again) in the store."""
        tg = update.effective_chat
        assert tg is not None
        title = tg.title or tg.full_name or tg.username or ""
        chat, back = await self.chats.arrive(tg.id, type=tg.type, title=title)
        if back is not None:  # (it heard nothing since, and lost its subscriptions: say so before anything else)
            with contextlib.suppress(TelegramError):  # (the command's own reply still tries)
                await update.get_bot().send_message(tg.id, welcome_back(back, language(update, chat), chat.tz),
                                                    parse_mode=ParseMode.HTML)
        user = update.effective_user
        heard = language_for(user.language_code) if user is not None and user.language_code else DEFAULT
        if chat.language is None and not chat.is_group and heard != DEFAULT:
            # A private chat's alerts and digests follow the language its person writes in, as replies do: they came
            # in English to people whose Telegram is in Chinese and who never typed /lang. (/lang still decides.)
            await self.chats.update(chat.chat_id, language=heard)
            chat = dataclasses.replace(chat, language=heard)
            await self.language_changed(update.get_bot(), chat, before=None)
        return chat

    async def language_changed(self, bot: Bot, chat: Chat, *, before: str | None) -> None:
        """The chat's command menu follows its language (a Traditional one gets its own: bot.telegram.menus)."""
        if self.menus is not None:
            await self.menus.chat(bot, chat.chat_id, chat.language, before=before)

    async def may_change(self, update: Update, context: Context, chat: Chat) -> bool:
        """Private chats change themselves; in groups only administrators may (asked of the Bot API)."""
        if not chat.is_group:
            return True
        message = update.effective_message
        if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.chat_id:
            return True  # an anonymous administrator writes as the group itself
        user: User | None = update.effective_user
        if user is None:
            return False
        member = await context.bot.get_chat_member(chat.chat_id, user.id)
        allowed = member.status in (ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER)
        heard = language_for(user.language_code) if user.language_code else DEFAULT
        if allowed and chat.speaks is None and heard != DEFAULT:
            # A group without /lang got its alerts in English while each member is answered in their own language:
            # they come in the language of the administrator who sets it up (replies still follow each writer, its
            # menu stays everyone's own, and /lang decides for all).
            await self.chats.update(chat.chat_id, heard_language=heard)
        return allowed

    async def refuse_unless_allowed(self, update: Update, context: Context, chat: Chat, *,
                                    said: str = "group.admins_settings") -> bool:
        """True (after replying ``said``) when the sender may not change this group's settings."""
        if await self.may_change(update, context, chat):
            return False
        await reply(update, t(language(update, chat), said))
        return True

    def watching(self, text: str) -> list[str]:
        """The shared watchlists that ``text`` alone would alert, by id."""
        try:
            found = self.rules.matcher.match({"title": text, "lede": ""})
        except Exception:  # (a suggestion: never the reason a reply fails)
            return []
        return sorted(m.watchlist for m in found if owner(m.watchlist) is None)

    def known(self) -> dict[str, Watchlist]:
        return {w.id: w for w in self.rules.watchlists}

    def choices(self, lang: str) -> str:
        return listed(sorted(self.known()), lang) or t(lang, "nothing")

    # --- commands ----------------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """Greets and says how to begin."""
        _, lang = await self.chat_language(update)
        await reply(update, t(lang, "start.hello"))

    async def help(self, update: Update, context: Context) -> None:
        """Lists every command."""
        _, lang = await self.chat_language(update)
        lines = [f"/{name} {esc(description(lang, name, text))}" for name, text in [*COMMANDS, *self.extra_help]]
        admin = [f"/{name}" for name, _ in [*ADMIN_COMMANDS, *self.extra_admin]]
        lines.append(t(lang, "help.admins", commands=(", " if lang == DEFAULT else "、").join(admin)))
        await reply(update, "\n".join(lines))

    async def watchlists(self, update: Update, context: Context) -> None:
        """The watchlists, with one button each to subscribe or unsubscribe."""
        chat, lang = await self.chat_language(update)
        text, markup = await self.listing(chat, lang)
        await reply(update, text, markup)

    async def listing(self, chat: Chat, lang: str) -> tuple[str, InlineKeyboardMarkup | None]:
        known = self.known()
        if not known:
            return t(lang, "watchlists.none"), None
        followed = {s.watchlist: s.mode for s in await self.chats.subscriptions(chat.chat_id)}
        full, short = [], []
        for wl_id, wl in sorted(known.items()):
            mark = f" ✅ {t(lang, f'mode.{followed[wl_id]}')}" if wl_id in followed else ""
            about = f": {esc(cut(wl.description, 150))}" if wl.description else ""
            full.append(f"• <b>{esc(wl_id)}</b> {esc(wl.name)}{about}{mark}")
            short.append(f"• <b>{esc(wl_id)}</b>{mark}")
        # A button a watchlist, in the list's order; when Telegram would not take them all in one keyboard, as many as
        # it takes, those the chat follows first (when all fit, a tap must not move the buttons under the next one).
        def button(wl_id: str) -> tuple[InlineKeyboardButton, int]:
            action, label = ("unsub", f"✅ {wl_id}") if wl_id in followed else ("sub", f"➕ {wl_id}")
            made = InlineKeyboardButton(label, callback_data=f"{action}:{wl_id}"[:64])
            return made, len(json.dumps(made.to_dict(), ensure_ascii=False).encode()) + 4

        made = [button(w) for w in sorted(known)]
        if len(made) > MAX_BUTTONS or sum(size for _, size in made) > MAX_MARKUP:
            made = [button(w) for w in sorted(known, key=lambda w: (w not in followed, w))]
        buttons: list[list[InlineKeyboardButton]] = []
        total = 0
        for one, size in made:
            total += size
            if len(buttons) == MAX_BUTTONS or total > MAX_MARKUP:
                break
            buttons.append([one])
        heading = t(lang, "watchlists.heading")
        some = [t(lang, "watchlists.some_buttons", shown=len(buttons), count=len(known))] if len(buttons) < len(
            known) else []
        text = "\n".join([heading, *full, *some])
        if rendered_len(text) > MAX_MESSAGE - 96:  # many watchlists: ids only, in one message
            text = "\n".join([heading, *short, *some])
        if rendered_len(text) > MAX_MESSAGE - 96:
            text = "\n".join([pages(["\n".join([heading, *short])], MAX_MESSAGE - 400)[0], *some])
        return text, InlineKeyboardMarkup(buttons)

    async def button(self, update: Update, context: Context) -> None:
        """A tap on a /watchlists button: (un)subscribe, answer the tap, redraw the list."""
        query = update.callback_query
        if query is None or not query.data:
            return
        if update.effective_chat is None:  # a button on an inline message: no chat to change
            user = update.effective_user
            await query.answer(t(choose(None, user.language_code if user else None), "button.no_chat"),
                               show_alert=True)
            return
        chat, lang = await self.chat_language(update)
        if not await self.may_change(update, context, chat):
            await query.answer(t(lang, "button.admins_only"), show_alert=True)
            return
        action, _, wl_id = query.data.partition(":")
        # A keyboard is as old as its message: /subscribe may have changed the chat since (a tap on a stale ➕ had
        # switched a digest subscription to instant without a word).
        followed = {s.watchlist: s.mode for s in await self.chats.subscriptions(chat.chat_id)}
        if wl_id not in self.known():
            await query.answer(t(lang, "button.unknown", id=wl_id), show_alert=True)
        elif action == "sub" and wl_id in followed:
            await query.answer(t(lang, "button.already", id=wl_id, mode=t(lang, f"mode.{followed[wl_id]}")),
                               show_alert=True)
        elif action != "sub" and wl_id not in followed:
            await query.answer(t(lang, "button.not_followed", id=wl_id))
        elif action == "sub":
            sub = await self.chats.subscribe(chat.chat_id, wl_id)
            await query.answer(t(lang, "button.subscribed", id=wl_id, mode=t(lang, f"mode.{sub.mode}")))
        else:
            await self.chats.unsubscribe(chat.chat_id, wl_id)
            await query.answer(t(lang, "button.unsubscribed", id=wl_id))
        text, markup = await self.listing(chat, lang)
        try:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=markup)
        except BadRequest as e:
            said = e.message.lower()
            if "not modified" in said:
                return
            if "can't be edited" not in said and "not found" not in said:
                raise
            # A keyboard older than 48 hours cannot be edited (or its message is gone): the list comes anew, and a
            # traceback no longer stands for Telegram's ordinary answer.
            await context.bot.send_message(chat.chat_id, text, parse_mode=ParseMode.HTML, reply_markup=markup)

    async def subscribe(self, update: Update, context: Context) -> None:
        """/subscribe ID [ID ...] [instant|digest]"""
        chat, lang = await self.chat_language(update)
        args = context.args or []
        mode = mode_of(args[-1]) if len(args) > 1 else None
        ids = args[:-1] if mode else args
        if not ids:
            await reply(update, t(lang, "subscribe.usage", choices=self.choices(lang)))
            return
        if len(ids) > MAX_IDS:  # (it had said only the usage)
            await reply(update, t(lang, "subscribe.too_many", count=len(ids), limit=MAX_IDS))
            return
        by_lower = {w.lower(): w for w in self.known()}  # (an id typed in capitals is that watchlist: ASML is asml)
        if len(ids) == 2 and ids[1].lower() not in by_lower and len(args) == 2 and looks_like_mode(ids[1]):
            await reply(update, t(lang, "subscribe.bad_mode", mode=esc(cut(ids[1], 20))))  # "/subscribe asml fast"
            return  # (a word like no watchlist's and no mode's is an unknown watchlist: "/subscribe asml nosuch")
        chosen = []
        for given in ids:
            wl_id = by_lower.get(given.lower())
            if wl_id is None:
                close = (difflib.get_close_matches(given.lower(), sorted(self.known()), n=1, cutoff=0.6)
                         or self.watching(given))  # (a word a watchlist watches: "/subscribe 半導體" is semiconductors)
                if close:
                    await reply(update, t(lang, "subscribe.unknown_close", id=esc(cut(given, 60)),
                                          close=esc(close[0]), choices=self.choices(lang)))
                else:
                    await reply(update, t(lang, "subscribe.unknown", id=esc(cut(given, 60)),
                                          choices=self.choices(lang)))
                return
            chosen.append(wl_id)
        if await self.refuse_unless_allowed(update, context, chat):
            return
        before = {s.watchlist: s.mode for s in await self.chats.subscriptions(chat.chat_id)}
        lines = []
        for wl_id in dict.fromkeys(chosen):
            if before.get(wl_id) is not None and (mode is None or before[wl_id] == mode):
                lines.append(t(lang, "subscribe.already", id=esc(wl_id), mode=t(lang, f"mode.{before[wl_id]}")))
                continue
            sub = await self.chats.subscribe(chat.chat_id, wl_id, mode)
            lines.append(t(lang, f"subscribe.{sub.mode}", id=esc(wl_id)))
        await reply(update, "\n".join(lines))

    async def unsubscribe(self, update: Update, context: Context) -> None:
        """/unsubscribe ID [ID ...]|all"""
        chat, lang = await self.chat_language(update)
        args = context.args or []
        followed = [s.watchlist for s in await self.chats.subscriptions(chat.chat_id)]
        # (the chat's own phrases' list is no watchlist to the user: /unwatch stops those; `all` takes it too)
        names = listed([w for w in followed if owner(w) is None], lang) or t(lang, "nothing")
        if not args or len(args) > 20:
            await reply(update, t(lang, "unsubscribe.usage", followed=names))
            return
        by_lower = {w.lower(): w for w in followed}
        targets = [None] if [a.lower() for a in args] == ["all"] else [by_lower.get(a.lower()) for a in args]
        for given, target in zip(args, targets, strict=True):
            if target is None and given.lower() != "all":
                await reply(update, t(lang, "unsubscribe.unknown", id=esc(cut(given, 60)), followed=names))
                return
        if await self.refuse_unless_allowed(update, context, chat):
            return
        removed = 0
        for target in dict.fromkeys(targets):
            removed += await self.chats.unsubscribe(chat.chat_id, target)
        await reply(update, t(lang, "unsubscribe.done", count=removed))

    async def list_subscriptions(self, update: Update, context: Context) -> None:
        """This chat's subscriptions and settings."""
        chat, lang = await self.chat_language(update)
        subs = [s for s in await self.chats.subscriptions(chat.chat_id) if owner(s.watchlist) is None]
        lines = [t(lang, "list.subscriptions")]
        known = self.known()
        lines += [t(lang, "list.subscription", id=esc(s.watchlist), mode=t(lang, f"mode.{s.mode}"))
                  + ("" if s.watchlist in known else t(lang, "list.gone"))  # (no rule has it now: it alerts nothing)
                  for s in subs] or [t(lang, "list.no_subscriptions")]
        quiet = (t(lang, "list.quiet", start=chat.quiet_start, end=chat.quiet_end) if chat.quiet
                 else t(lang, "list.quiet_off"))
        lines += ["", t(lang, "list.mode", mode=t(lang, f"mode.{chat.mode}")), t(lang, "list.tz", tz=esc(chat.tz)),
                  quiet, t(lang, "list.paused" if chat.paused else "list.on")]
        for section in self.list_sections:
            lines += await section(update, chat)
        for page in pages(lines):  # (fifty long phrases and as many mutes pass Telegram's 4,096 characters)
            await reply(update, page)

    async def mode(self, update: Update, context: Context) -> None:
        """/mode instant|digest: the chat's default and all its subscriptions."""
        chat, lang = await self.chat_language(update)
        args = context.args or []
        chosen = mode_of(args[0]) if len(args) == 1 else None
        if chosen is None:
            await reply(update, t(lang, "mode.usage", mode=t(lang, f"mode.{chat.mode}")))
            return
        if await self.refuse_unless_allowed(update, context, chat):
            return
        change = await self.chats.set_mode(chat.chat_id, chosen)
        text = t(lang, "mode.set", mode=t(lang, f"mode.{chosen}"), count=change.changed)
        if change.own_phrases:
            text = sentences(lang, text, t(lang, "mode.set.phrases"))
        await reply(update, text)

    async def tz(self, update: Update, context: Context) -> None:
        """/tz ZONE, an IANA time zone name."""
        chat, lang = await self.chat_language(update)
        args = context.args or []
        if not args or len(args) > 4:
            await reply(update, t(lang, "tz.usage", tz=esc(chat.tz), examples=TZ_EXAMPLES))
            return
        given = " ".join(args)[:64]
        name = valid_zone(given) or valid_zone(given.replace(" ", "_"))  # ("America/New York")
        taken = None if name else meant_zone(given, self.clock())  # the one zone a city names (台北): said so
        name = name or taken
        if name is None:  # several zones at an offset, a near spelling: which zones it may mean
            close = suggest_zones(given, self.clock())
            key = "tz.unknown_close" if close else "tz.unknown"
            await reply(update, t(lang, key, zone=esc(given), close=esc(t(lang, "separator").join(close)),
                                  examples=TZ_EXAMPLES))
            return
        if await self.refuse_unless_allowed(update, context, chat):
            return
        await self.chats.update(chat.chat_id, tz=name)
        local = self.clock().astimezone(zone(name))
        text = t(lang, "tz.set", tz=esc(name), time=f"{local:%H:%M}")
        if taken:
            text = sentences(lang, t(lang, "tz.taken", zone=esc(given), tz=esc(taken)), text)
        if is_fixed_offset(name):  # ("EST" never follows daylight saving; Etc/GMT+8 is UTC-8)
            text = sentences(lang, text, t(lang, "tz.fixed", tz=esc(name)))
        await reply(update, text)

    async def quiet(self, update: Update, context: Context) -> None:
        """/quiet HH:MM-HH:MM|off: alerts are held during these hours (in the chat's zone)."""
        chat, lang = await self.chat_language(update)
        given = " ".join(context.args or [])
        usage = t(lang, "quiet.usage", tz=esc(chat.tz))
        if not given:
            await reply(update, usage)
            return
        window = None
        if given.lower() != "off":
            sides = window_times(given)
            if sides is None or sides[0] == sides[1]:
                await reply(update, sentences(lang, t(lang, "quiet.same"), usage) if sides else usage)
                return
            window = f"{sides[0]:%H:%M}", f"{sides[1]:%H:%M}"
        if await self.refuse_unless_allowed(update, context, chat):
            return
        await self.chats.update(chat.chat_id, quiet_start=window[0] if window else None,
                                quiet_end=window[1] if window else None)
        if window is None:
            await reply(update, t(lang, "quiet.off"))
        else:
            await reply(update, t(lang, "quiet.set", start=window[0], end=window[1], tz=esc(chat.tz)))

    async def pause(self, update: Update, context: Context) -> None:
        """/pause: no alerts until /resume (what matches meanwhile is not sent: /quiet holds alerts instead)."""
        chat, lang = await self.chat_language(update)
        if context.args:  # ("/pause 2h" was taken for a pause without end)
            await reply(update, t(lang, "pause.usage"))
            return
        if await self.refuse_unless_allowed(update, context, chat):
            return
        await self.chats.update(chat.chat_id, paused=True)
        await reply(update, t(lang, "pause.done"))

    async def resume(self, update: Update, context: Context) -> None:
        """/resume after /pause."""
        chat, lang = await self.chat_language(update)
        if await self.refuse_unless_allowed(update, context, chat):
            return
        await self.chats.update(chat.chat_id, paused=False)
        await reply(update, t(lang, "resume.done"))

    async def unknown(self, update: Update, context: Context) -> None:
        """A command the bot does not have, in a private chat (in a group it may be another bot's): say so."""
        _, lang = await self.chat_language(update)
        message = update.effective_message
        word = ((message.text or "").split() or ["/"])[0] if message else "/"
        await reply(update, t(lang, "unknown_command", command=esc(word[:64])))

    async def plain(self, update: Update, context: Context) -> None:
        """Words that are no command, in a private chat: what the bot does with words (it said nothing at all)."""
        _, lang = await self.chat_language(update)
        await reply(update, t(lang, "plain_text"))

    async def test(self, update: Update, context: Context) -> None:
        """/test TEXT: run the watchlists on TEXT (as a title) and explain."""
        chat, lang = await self.chat_language(update)
        text = " ".join(context.args or []).strip()[:TEST_MAX]
        if not text:
            await reply(update, t(lang, "test.usage"))
            return
        matcher = self.rules.matcher  # off the event loop: a long or hostile text must not hold other chats up
        verdicts = await asyncio.to_thread(matcher.explain, {"title": text, "lede": ""})
        own = await self.own_verdict(chat.chat_id, text) if self.own_verdict else None
        matched = [v for v in (*verdicts, *([own] if own else [])) if v.match is not None]
        if not matched:
            await reply(update, t(lang, "test.none_own" if own else "test.none", text=esc(text)))
            return
        known = self.known()
        lines = []
        for v in matched:
            assert v.match is not None
            (name,) = watchlist_names([v.watchlist], lang)  # (the chat's own phrases in words, as alerts name them)
            lines.append(t(lang, "test.match", watchlist=esc(name), score=f"{v.match.score:.0f}"))
            lines += [f"  • {esc(line)}" for line in explain(v.match, known.get(v.watchlist), lang)]
            lines += [t(lang, "test.not_counted", reason=esc(d.reason)) for d in v.discounted]
        await reply(update, pages(lines)[0])


# A mode as people write it: its English name, or the words of the replies in Chinese (即时推送 / 即時推播, 每日摘要)
MODE_WORDS = {"instant": "instant", "digest": "digest", "即时": "instant", "即時": "instant", "即时推送": "instant",
              "即時推播": "instant", "实时": "instant", "實時": "instant", "摘要": "digest", "每日摘要": "digest"}
# modes meant, not named
FAST_WORDS = ("fast", "now", "live", "immediate", "daily", "weekly", "hourly", "summary", "slow", "later")


def mode_of(word: str) -> str | None:
    """The mode ``word`` names ("instant", "digest", "即時", "摘要"), or None."""
    return MODE_WORDS.get(word.strip().lower())


def looks_like_mode(word: str) -> bool:
    """A word meant as a mode though it names none ("fast", "instnat"): said as a mode, not as a watchlist."""
    w = word.strip().lower()
    return w in FAST_WORDS or bool(difflib.get_close_matches(w, [*MODES, *FAST_WORDS], n=1, cutoff=0.75))


def language(update: Update, chat: Chat) -> str:
    """The language to answer in: the chat's /lang choice, else the writer's Telegram language."""
    user = update.effective_user
    return choose(chat.language, user.language_code if user else None)


def window_times(text: str) -> tuple[time, time] | None:
    """'22:00-07:00' (or '22-7', hours alone; spaces anywhere) -> (22:00, 07:00); None when malformed."""
    start, sep, end = "".join(text.split()).partition("-")
    try:
        return (parse_hhmm(f"{start}:00" if start.isdigit() else start),
                parse_hhmm(f"{end}:00" if end.isdigit() else end)) if sep else None
    except ValueError:
        return None


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    assert message is not None
    # (the command may be gone by the time the reply goes out: deleted by its writer or a "delete commands" bot, while
    # a busy group's pacing held the reply; without this the Bot API refused the reply and the user heard nothing)
    await message.reply_text(text, parse_mode=ParseMode.HTML, reply_markup=markup,
                             link_preview_options=LinkPreviewOptions(is_disabled=True),
                             allow_sending_without_reply=True)


def welcome_back(back: Return, lang: str, tz: str = "UTC") -> str:
    """What a chat that was gone (the bot removed or blocked) and is back is told: why its alerts stopped, and that its
    subscriptions were dropped (which), and how to subscribe again."""
    followed = t(lang, "chat.back.followed", ids=listed(back.followed, lang)) if back.followed else ""
    own = t(lang, "chat.back.own") if back.own_phrases else ""
    reason = t(lang, f"chat.gone.{back.cause}", detail=esc(back.detail))  # (Telegram's own words stay as they are)
    if back.since is not None:  # (in the chat's zone, as its alerts say times)
        reason = t(lang, "chat.gone.when", what=reason, when=f"{back.since.astimezone(zone(tz)):%Y-%m-%d %H:%M} {tz}")
    return t(lang, "chat.back", reason=reason, followed=followed, own=own)
