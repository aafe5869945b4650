"""A chat's own watchlist: phrases written in Telegram, matched like YAML phrases. Pure.

Every chat with phrases has one list, ``chat:<chat id>``, matched as a watchlist whose ``any`` holds
its phrases as plain terms would be (folding, word boundaries, typo tolerance: the YAML phrase rules; no
regexes). ``Matcher(shared, phrase_lists={"chat:5": [...], ...})`` compiles them with the shipped lists
into one automaton, so an item is scanned once for every chat (DESIGN.md, "People shape their own
alerts"). Mutes are phrase lists too (``mute:<chat id>``), in a matcher of their own: a mute is
never a match to record, only a reason not to alert.

``describe`` says what a phrase will match, for the reply to /watch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from bot.watch.model import Term, Watchlist
from bot.watch.scan import WORD
from bot.watch.text import CJK_START, ENGLISH_STOPWORDS, converter, is_word_char, phrase_key
from bot.watch.typos import fuzzy_eligible

PERSONAL = "chat:"
MUTE = "mute:"
MAX_PHRASE = 100  # characters: a headline's phrase, not a paragraph
MIN_LATIN = 3  # letters: "ai" or "us" hit half the news
MIN_CJK = 2  # characters: one Chinese character hits everything
_REGEX_LOOK = re.compile(r"[\\^$*+?{}\[\]|()]")
# Words nearly every story holds: a phrase made only of them ("the", "of the", "我们") hits most news, even before
# any item is stored to measure it on (folded keys; Chinese in Simplified, as ``phrase_key`` gives it).
_MORE_EVERYDAY_TEXT = """
    do does did me my may might must shall should yes all any some news here why how just only very now up out so if
    我们 他们 你们 一个 这个 那个 没有 可以 表示 因为 所以 但是 如果 已经 进行 目前 今天 我的 你的 自己 什么 这些
    那些 还是 就是 不是 这样 新闻 报道 记者
"""
EVERYDAY_WORDS = ENGLISH_STOPWORDS | frozenset(_MORE_EVERYDAY_TEXT.split())


def personal_id(chat_id: int) -> str:
    return f"{PERSONAL}{int(chat_id)}"


def owner(watchlist: str) -> int | None:
    """The chat a personal watchlist (``chat:123``) belongs to; None for a shared one."""
    if not watchlist.startswith(PERSONAL):
        return None
    try:
        return int(watchlist[len(PERSONAL):])
    except ValueError:
        return None


def personal_watchlist(chat_id: int, phrases: Sequence[str]) -> Watchlist:
    """A chat's phrases as the watchlist they are matched as (to explain one chat's matches: /test)."""
    return Watchlist(id=personal_id(chat_id), name=personal_id(chat_id), any=tuple(map(Term, phrases)))


def clean(phrase: str, *, tags: bool = True) -> str:
    """What the user typed, as one phrase: invisible format and control characters dropped (a right-to-left override
    would reverse every reply that quotes the phrase; a zero-width space would keep it from matching; PostgreSQL
    refuses NUL), spaces collapsed, surrounding quotes dropped, and hashtags' # (``hashtags``; not with ``tags``
    false: a phrase stored before they were dropped is still found as typed)."""
    if not phrase.isprintable():
        phrase = "".join(c for c in phrase if c.isspace() or unicodedata.category(c) not in ("Cc", "Cf"))
    text = " ".join(phrase.split())
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'“”«»「」":
        text = text[1:-1].strip()
    if len(text) >= 2 and (text[0], text[-1]) in (("“", "”"), ("「", "」"), ("«", "»")):
        text = text[1:-1].strip()
    return _HASHTAG.sub("", _TOPIC.sub(r"\1", text)) if tags else text


# A word's leading # ("#ASML"), and a Weibo topic's pair ("#芯片#"): news text rarely carries hashtags, so a phrase
# typed as one means the word. A # inside or after a word stays ("C#", "F#m").
_HASHTAG = re.compile(r"(?<!\S)#(?=[^\W\d_])")
_TOPIC = re.compile(r"^#([^#\s][^#]*)#$")


def hashtags(typed: str) -> bool:
    """Whether ``clean`` drops a hashtag's # from what the user typed (the reply says so)."""
    return clean(typed) != clean(typed, tags=False)


@dataclass(frozen=True, slots=True)
class PhraseInfo:
    """What a phrase will match, in facts a reply can word in any language."""

    phrase: str
    key: str  # folded: what the text is compared with
    folded_chinese: bool  # Traditional characters folded to Simplified (both spellings match)
    chinese: bool  # has CJK characters: matches as a substring
    whole_words: bool  # starts or ends with a Latin letter or digit: only on word boundaries
    fuzzy: bool  # a Latin phrase with a 6+ letter word: close spellings match too
    too_short: bool
    everyday: bool  # only everyday words ("the", "of the", "我们"): it would hit most stories
    looks_like_regex: bool  # taken literally: no regexes from Telegram
    empty: bool  # nothing left to match after folding (only punctuation)
    too_long: bool
    spaced_chinese: str = ""  # a space between Chinese characters, which news never has: the phrase written together
    regional: tuple[str, str] | None = None  # ("mainland" | "taiwan", the word there): 晶片 is 芯片 on the mainland


_CJK_SPACE = re.compile(r"(?<=[\u3400-\u9fff\uf900-\ufaff])\s+(?=[\u3400-\u9fff\uf900-\ufaff])")


def describe(phrase: str) -> PhraseInfo:
    key = phrase_key(phrase)
    chinese = any(c >= CJK_START for c in key)
    latin_letters = sum(len(w) for w in WORD.findall(key))
    cjk_chars = sum(1 for c in key if c >= CJK_START)
    empty = not any(c.isalnum() for c in key)
    too_short = not empty and cjk_chars < MIN_CJK and latin_letters + 2 * cjk_chars < MIN_LATIN
    naive = " ".join(unicodedata.normalize("NFKC", phrase).casefold().split())
    return PhraseInfo(
        phrase=phrase, key=key, folded_chinese=chinese and key != naive,
        chinese=chinese, whole_words=bool(key) and (is_word_char(key[0]) or is_word_char(key[-1])),
        fuzzy=fuzzy_eligible(key), too_short=too_short,
        everyday=not too_short and bool(key.split()) and all(w in EVERYDAY_WORDS for w in key.split()),
        looks_like_regex=bool(_REGEX_LOOK.search(phrase)),
        empty=empty, too_long=len(phrase) > MAX_PHRASE,
        spaced_chinese=_CJK_SPACE.sub("", phrase.strip()) if _CJK_SPACE.search(key) else "",
        regional=regional(phrase) if chinese else None,
    )


def regional(phrase: str) -> tuple[str, str] | None:
    """The word the other side of the strait uses for ``phrase``, when it is another word and not only another
    script (which matching folds): ("mainland", "芯片") for 晶片, ("taiwan", "晶片") for 芯片, ("mainland", "英伟达")
    for 輝達. From OpenCC's Taiwan phrase tables (tw2sp, s2twp), which ship with its wheel."""
    key = phrase_key(phrase)
    for region, config in (("mainland", "tw2sp"), ("taiwan", "s2twp")):
        other = converter(config).convert(phrase)
        if phrase_key(other) != key:
            return region, other
    return None
