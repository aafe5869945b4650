"""The catalog: every key in every language, with the same placeholders; every key the code names exists;
languages chosen as Telegram names them. (That handlers say nothing else: tests/telegram/test_i18n_replies.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from string import Formatter

import pytest

from bot.i18n import CATALOG, DEFAULT, LANGUAGES, SINGULAR, choose, language_for, t
from bot.telegram.commands import ADMIN_COMMANDS, COMMANDS
from bot.telegram.digest_commands import COMMANDS as DIGEST_COMMANDS
from bot.telegram.phrases import COMMANDS as PHRASE_COMMANDS
from bot.telegram.web_command import COMMANDS as WEB_COMMANDS

BOT = Path(__file__).resolve().parents[1] / "bot"
# a literal that names a key ("watch.usage"), in a module that uses the catalog
NAMED_KEY = re.compile(r"""["']([a-z_]+\.[a-z_.]+)["']""")


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != DEFAULT])
def test_every_string_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    english, other = CATALOG[DEFAULT], CATALOG[lang]
    needed = {k for k in english if not k.endswith(SINGULAR)}  # Chinese has no singular forms
    assert sorted(needed - set(other)) == [], f"missing in {lang}"
    assert sorted(set(other) - set(english)) == [], f"only in {lang}"
    different = {k: (placeholders(english[k]), placeholders(other[k])) for k in needed
                 if placeholders(english[k]) != placeholders(other[k])}
    assert different == {}
    untranslated = [k for k in needed if other[k] == english[k]]
    assert untranslated == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_string_fills_with_its_own_placeholders(lang: str) -> None:
    """notice.dead_digest's {key} met t()'s own parameter: "t() got multiple values for argument 'key'", and the
    admins' notices stopped, in a traceback every 5 s."""
    for key, text in CATALOG[lang].items():
        values = {name: f"<{name}>" for name in placeholders(text)}
        if "count" in values:
            values["count"] = 2
        filled = t(lang, key, **values)
        assert all(f"<{name}>" in filled for name in values if name != "count"), key


def test_singular_forms_have_a_plural_with_the_same_placeholders_and_a_count() -> None:
    english = CATALOG[DEFAULT]
    for key in (k for k in english if k.endswith(SINGULAR)):
        plural = key.removesuffix(SINGULAR)
        assert plural in english, key
        assert placeholders(english[key]) == placeholders(english[plural]) and "count" in placeholders(english[key])
    assert t("en", "unsubscribe.done", count=1) == "Unsubscribed from 1 watchlist."
    assert t("en", "unsubscribe.done", count=2) == "Unsubscribed from 2 watchlists."
    assert t("zh-hant", "unsubscribe.done", count=1) == "已取消訂閱 1 個監控清單。"


def test_every_key_the_code_names_is_in_the_catalog() -> None:
    namespaces = {key.split(".")[0] for key in CATALOG[DEFAULT]}
    sources = [p.read_text(encoding="utf-8") for p in BOT.rglob("*.py") if "i18n" not in p.parts]
    named = {key for text in sources if "bot.i18n" in text for key in NAMED_KEY.findall(text)
             if key.split(".")[0] in namespaces}
    assert len(named) > 100  # the pattern still finds the code's keys
    assert sorted(named - set(CATALOG[DEFAULT])) == []


def test_every_command_of_the_menu_has_a_description_in_the_catalog() -> None:
    menu = [name for name, _ in [*COMMANDS, *DIGEST_COMMANDS, *PHRASE_COMMANDS, *ADMIN_COMMANDS, *WEB_COMMANDS]]
    for lang in LANGUAGES:
        assert [name for name in menu if f"cmd.{name}" not in CATALOG[lang]] == []


def test_traditional_is_written_as_taiwan_writes_not_converted_from_simplified() -> None:
    """A few words Taiwan and Hong Kong write differently from the mainland, not only in other characters."""
    hans, hant = CATALOG["zh-hans"], CATALOG["zh-hant"]
    assert "信息源" in hans["cmd.feeds"] and "資訊來源" in hant["cmd.feeds"]
    assert "登录" in hans["cmd.web"] and "登入" in hant["cmd.web"]
    assert "私聊" in hans["web.private_only"] and "私訊" in hant["web.private_only"]
    assert "推送" in hans["mode.instant"] and "推播" in hant["mode.instant"]


@pytest.mark.parametrize(("code", "lang"), [
    ("zh-hans", "zh-hans"), ("zh-CN", "zh-hans"), ("zh", "zh-hans"), ("zh-SG", "zh-hans"),
    ("zh-hant", "zh-hant"), ("zh-TW", "zh-hant"), ("zh-HK", "zh-hant"), ("zh_hant_TW", "zh-hant"),
    ("en", "en"), ("en-GB", "en"), ("nl", "en"), (None, "en"), ("", "en"),
])
def test_telegram_language_codes(code: str | None, lang: str) -> None:
    assert language_for(code) == lang


def test_a_chats_lang_choice_wins_over_the_telegram_language() -> None:
    assert choose("en", "zh-TW") == "en"
    assert choose(None, "zh-TW") == "zh-hant"
    assert choose("klingon", "zh-CN") == "zh-hans"
