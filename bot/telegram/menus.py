"""The command menu each chat sees (setMyCommands). Front door: Bot API calls only.

Telegram picks a chat's menu by scope, then by its user's ``language_code``, which setMyCommands takes
as two letters: one Chinese menu, "zh", which we write in Simplified. So:

- everyone: the people's commands (no admin ones), in English and in Simplified for "zh";
- an admin's private chat: the whole menu, admin commands included, in the chat's language; while that is not
  known yet (the admin never wrote), in English and in Simplified for "zh" as everyone's, so that a Chinese
  admin's first look is not all English (a chat's menu outranks the per-language ones everyone gets);
- a chat whose language is Traditional Chinese (its /lang, or its person's Telegram): its own menu in
  Traditional, set on the chat itself (BotCommandScopeChat), and taken back when it changes again.

A failed call costs a menu, never a command: it is logged and the reply goes out all the same.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import DEFAULT, MENU_CODES, description

log = logging.getLogger("watchbot.telegram")

Menu = Sequence[tuple[str, str]]  # (command, English description)

OWN_MENU = "zh-hant"  # the one language the two-letter menus cannot tell apart from another


def localized(menu: Menu, lang: str) -> list[BotCommand]:
    return [BotCommand(name, description(lang, name, text)[:256]) for name, text in menu]


class Menus:
    """The people's menu and the admins' one; ``people`` grows with handlers added before start."""

    def __init__(self, people: Menu, admin: Menu, admins: Sequence[int]) -> None:
        self.people = people
        self.admin = admin
        self.admins = frozenset(admins)

    async def install(self, bot: Bot, languages: dict[int, str | None]) -> None:
        """The default menus, then each admin's (``languages``: chat id -> its language, where the store knows
        it) and each Traditional chat's."""
        await bot.set_my_commands(localized(self.people, DEFAULT))
        for lang, code in MENU_CODES.items():
            await bot.set_my_commands(localized(self.people, lang), language_code=code)
        for chat_id in sorted(self.admins | {c for c, lang in languages.items() if lang == OWN_MENU}):
            await self.chat(bot, chat_id, languages.get(chat_id))

    async def chat(self, bot: Bot, chat_id: int, lang: str | None, *, before: str | None = OWN_MENU) -> None:
        """The menu of one chat after its language changed from ``before`` (or at start): its own, or the default
        again (taken back only where it had one)."""
        admin = chat_id in self.admins
        try:
            if admin or lang == OWN_MENU:
                menu = [*self.people, *self.admin] if admin else self.people
                scope = BotCommandScopeChat(chat_id)
                await bot.set_my_commands(localized(menu, lang or DEFAULT), scope=scope)
                for other, code in MENU_CODES.items() if admin else ():  # (by the admin's Telegram language ...)
                    if lang is None:
                        await bot.set_my_commands(localized(menu, other), scope=scope, language_code=code)
                    else:  # (... until theirs is known: it would outrank the menu in it)
                        await bot.delete_my_commands(scope=scope, language_code=code)
            elif before == OWN_MENU:
                await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id))
        except TelegramError as e:
            log.info("telegram: the command menu of chat %s is unchanged: %s", chat_id, e)
