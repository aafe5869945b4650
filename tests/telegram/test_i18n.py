"""The reply catalog: every key in every language, with the same placeholders; languages chosen as Telegram names them."""

from __future__ import annotations

from string import Formatter

import pytest

from bot.telegram.commands import ADMIN_COMMANDS, COMMANDS
from bot.telegram.digest_commands import COMMANDS as DIGEST_COMMANDS
from bot.telegram.i18n import CATALOG, DEFAULT, LANGUAGES, language_for
from bot.telegram.phrases import COMMANDS as PHRASE_COMMANDS


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("lang", [lang for lang in LANGUAGES if lang != DEFAULT])
def test_every_string_exists_in_every_language_with_the_same_placeholders(lang: str) -> None:
    english, other = CATALOG[DEFAULT], CATALOG[lang]
    assert sorted(set(english) - set(other)) == [], f"missing in {lang}"
    assert sorted(set(other) - set(english)) == [], f"only in {lang}"
    different = {k: (placeholders(english[k]), placeholders(other[k])) for k in english
                 if placeholders(english[k]) != placeholders(other[k])}
    assert different == {}
    untranslated = [k for k in english if other[k] == english[k]]
    assert untranslated == []


def test_every_command_of_the_menu_has_a_description_in_the_catalog() -> None:
    menu = [name for name, _ in [*COMMANDS, *DIGEST_COMMANDS, *PHRASE_COMMANDS, *ADMIN_COMMANDS]]
    for lang in LANGUAGES:
        assert [name for name in menu if f"cmd.{name}" not in CATALOG[lang]] == []


@pytest.mark.parametrize(("code", "lang"), [
    ("zh-hans", "zh-hans"), ("zh-CN", "zh-hans"), ("zh", "zh-hans"), ("zh-SG", "zh-hans"),
    ("zh-hant", "zh-hant"), ("zh-TW", "zh-hant"), ("zh-HK", "zh-hant"), ("zh_hant_TW", "zh-hant"),
    ("en", "en"), ("en-GB", "en"), ("nl", "en"), (None, "en"), ("", "en"),
])
def test_telegram_language_codes(code: str | None, lang: str) -> None:
    assert language_for(code) == lang
