"""Everything the bot says, in English, Simplified and Traditional Chinese: one table per language. No IO.

    en.py  zh_hans.py  zh_hant.py      key -> text, the same keys and {placeholders} in each

Replies to commands, answers to button taps, the menu's descriptions and the notices the service
sends (the hourly cap, the admins' notices) all come from here; alert text from feeds is never
translated. A chat's language is its /lang choice, else the writer's Telegram ``language_code``
(zh-hans, zh-cn, zh-sg, zh → Simplified; zh-hant, zh-tw, zh-hk, zh-mo → Traditional; anything else →
English). tests/test_i18n.py fails when a language lacks a key or a key's placeholders differ, and
tests/telegram/test_i18n_replies.py when a handler says anything that is not from these tables.

English has singular forms: ``KEY.one`` is used instead of ``KEY`` when ``count`` is 1 (Chinese has
no plural, so its tables need no ``.one`` keys). Values are HTML (Telegram's parse mode) unless the
key says otherwise: placeholders are filled with escaped text by the caller.
"""

from __future__ import annotations

from bot.i18n.en import TEXT as EN
from bot.i18n.zh_hans import TEXT as ZH_HANS
from bot.i18n.zh_hant import TEXT as ZH_HANT

LANGUAGES = ("en", "zh-hans", "zh-hant")
DEFAULT = "en"
# Telegram's setMyCommands takes a two-letter code: one Chinese menu, in Simplified.
MENU_CODES = {"en": "en", "zh-hans": "zh"}
CATALOG: dict[str, dict[str, str]] = {"en": EN, "zh-hans": ZH_HANS, "zh-hant": ZH_HANT}
SINGULAR = ".one"

_SIMPLIFIED = ("zh-hans", "zh-cn", "zh-sg", "zh-my", "zh")
_TRADITIONAL = ("zh-hant", "zh-tw", "zh-hk", "zh-mo")


def language_for(code: str | None) -> str:
    """Our language for a Telegram ``language_code`` (or a /lang argument); English when unknown."""
    code = (code or "").strip().lower().replace("_", "-")
    if code in _TRADITIONAL or code.startswith(("zh-hant", "zh-tw", "zh-hk", "zh-mo")):
        return "zh-hant"
    if code in _SIMPLIFIED or code.startswith("zh"):
        return "zh-hans"
    return DEFAULT


def choose(stored: str | None, telegram_code: str | None) -> str:
    """The chat's /lang choice if any, else the writer's Telegram language."""
    return stored if stored in LANGUAGES else language_for(telegram_code)


def t(lang: str, key: str, /, **values: object) -> str:
    """The text of ``key`` in ``lang`` (English when the language is unknown), filled with ``values``."""
    table = CATALOG.get(lang, CATALOG[DEFAULT])
    if values.get("count") == 1 and key + SINGULAR in table:
        key += SINGULAR
    return table[key].format(**values)


def sentences(lang: str, *texts: str) -> str:
    """Sentences one after the other: a space between them in English, none in Chinese (。 ends each)."""
    return ("" if lang.startswith("zh") else " ").join(texts)


def description(lang: str, command: str, fallback: str) -> str:
    """A command's menu description in ``lang``; ``fallback`` for a command the catalog does not know."""
    return CATALOG.get(lang, CATALOG[DEFAULT]).get(f"cmd.{command}", fallback)
