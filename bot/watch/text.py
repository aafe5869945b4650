"""Text folding for matching: NFKC, case folding and Traditional to Simplified Chinese. Pure.

``fold(text)`` returns the folded text with a map back to the original, so a span found in
the folded text can be reported as a span of the text the user sees. Patterns and texts are
folded alike, so ``半導體``, ``半导体``, ``ＳＥＭＩ`` and ``Semi`` meet in the middle.

How the map is kept cheap:
- ASCII text (most English items) folds with ``str.lower`` and an identity map.
- Text already in NFKC (most Chinese and English text with curly quotes) needs only
  ``str.casefold``; when that keeps the length, the map is the identity.
- Other text goes through one ``str.translate`` with a table of every code point that NFKC or
  case folding changes. When the length is unchanged, every character mapped to exactly one
  character (no entry maps to nothing) and the map is again the identity; only text with
  expanding characters ("…" -> "...", "ﬁ" -> "fi", "ß" -> "ss") builds an explicit map.
- OpenCC's t2s (phrase and character dictionaries) maps every key to a value of the same
  length, checked over its dictionaries when this module was written and guarded at run time:
  a conversion that changes the length is redone character by character. t2s is not
  idempotent for a few rare characters, so it is applied until the text stops changing.
- Text whose combining marks are not composed (NFC) is folded per cluster (base character and
  its marks), so "cafe\u0301" folds like "café".

Literal escape sequences that leaked into feed text as characters ("\\n", "\\t", "\\u00a0",
written with a backslash) are noise glued to words ("chips\\nIntel"): before folding, each run of
them (with the spaces around it) becomes one space, and the map still leads to the original.

``view(folded)`` is what phrases are matched on: the folded text with Unicode hyphens as "-",
line breaks as spaces and curly apostrophes straightened, one character for one. (The matcher
adds hyphen/space variants of phrases, so "export-controlled" meets "export controlled".)
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache, partial
from itertools import chain, compress, repeat
from operator import ne

import opencc

# Code points below this are Latin, Greek, Cyrillic, symbols...; from here on CJK and friends.
CJK_START = "\u2e80"
# The full-width punctuation of Chinese text, folded by NFKC to ASCII one for one.
_COMMON_WIDE = tuple((c, unicodedata.normalize("NFKC", c)) for c in "，：（）！？；％")
_BEYOND_LATIN = re.compile("[\u2e80-\U0010ffff]")

_T2S = opencc.OpenCC("t2s")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

# Hyphens other than "-" (an en dash between words is one: AP writes "U.S.–China"), line breaks and curly apostrophes,
# one character for one.
_VIEW = (
    ("\u2010", "-"), ("\u2011", "-"), ("\u2012", "-"), ("\u2013", "-"),
    ("\t", " "), ("\n", " "), ("\r", " "), ("\u2028", " "), ("\u2029", " "),
    ("\u2018", "'"), ("\u2019", "'"), ("\u02bc", "'"),
)
_VIEW_CHARS = re.compile("[" + "".join(a for a, _ in _VIEW) + "]")
# Escape sequences written out as text: \n \r \t, and \u / \x codes of invisible spaces (in any case:
# folding lower-cases "\N", and folding twice must change nothing).
_ESCAPES = re.compile(r"[ \t]*(?:\\(?:[nrt]|u00a0|u200b|u3000|u2028|u2029|xa0))+[ \t]*", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text folded for matching, with the way back to the original."""

    original: str
    text: str
    # starts[i] / ends[i]: the original span of the character that produced text[i].
    # None means identity (text[i] came from original[i]).
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original ``[start, end)`` span of the folded span ``[start, end)``."""
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            at = self.starts[start] if start < len(self.starts) else len(self.original)
            return at, at
        return self.starts[start], self.ends[end - 1]


@cache
def _table() -> dict[int, str]:
    """Every code point (planes 0-2) that NFKC + case folding changes, to what it becomes."""
    # One round of _fold_chars over every character in C loops (map), then the whole of it only for the few
    # thousand it changes (0.067 s instead of 0.081 s with a Python call per code point).
    chars = list(map(chr, chain(range(0xD800), range(0xE000, 0x30000))))
    nfkc = partial(unicodedata.normalize, "NFKC")
    once = map(nfkc, map(str.casefold, map(nfkc, chars)))
    return {ord(ch): _fold_chars(ch) for ch in compress(chars, map(ne, once, chars))}


@cache
def _foldable() -> re.Pattern[str]:
    """A character class of the BMP characters that folding changes."""
    return _char_class(cp for cp in _table() if cp < 0x10000)


def _char_class(code_points: Iterable[int]) -> re.Pattern[str]:
    """A regex of one character class holding ``code_points`` (as ranges: a much shorter pattern)."""
    codes = sorted(code_points)
    ranges = []
    start = prev = codes[0]
    for cp in codes[1:]:
        if cp != prev + 1:
            ranges.append((start, prev))
            start = cp
        prev = cp
    ranges.append((start, prev))
    parts = (re.escape(chr(a)) + ("-" + re.escape(chr(b)) if b > a else "") for a, b in ranges)
    return re.compile("[" + "".join(parts) + "]")


def _fold_match(m: re.Match[str]) -> str:
    return _table()[ord(m.group())]


@cache
def _combining() -> re.Pattern[str]:
    """Characters NFKC may merge with the one before: combining marks and conjoining jamo."""
    # Astral characters make re's character classes slow: any of them counts (they are rare).
    marks = [chr(cp) for cp in chain(range(0xD800), range(0xE000, 0x10000)) if unicodedata.combining(chr(cp))]
    jamo = "\u1100-\u11ff\ua960-\ua97f\ud7b0-\ud7ff"
    return re.compile("[" + "".join(re.escape(c) for c in marks) + jamo + "\U00010000-\U0010ffff]")


def _fold_chars(s: str) -> str:
    """NFKC and case folding until stable (case folding can undo NFKC and the other way round)."""
    for _ in range(4):
        out = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", s).casefold())
        if out == s:
            break
        s = out
    return s


def fold(text: str) -> Folded:
    """Fold ``text`` (NFKC, casefold, Traditional to Simplified) keeping a map to the original."""
    folded = _unescaped(text) if "\\" in text and _ESCAPES.search(text) else _fold(text)
    # Folding can make an escape sequence ("\\Ｎ", a backslash and a fullwidth N, folds to "\\n"): that one goes too,
    # or folding the folded text would remove it and change it (each round leaves fewer backslashes).
    while "\\" in folded.text and _ESCAPES.search(folded.text):
        folded = _composed(folded, _unescaped(folded.text))
    return folded


def _composed(outer: Folded, inner: Folded) -> Folded:
    """``inner`` (a folding of ``outer.text``) with its map led on to ``outer.original``."""
    n = len(inner.text)
    inner_starts = inner.starts if inner.starts is not None else range(n)
    inner_ends = inner.ends if inner.ends is not None else range(1, n + 1)
    return Folded(outer.original, inner.text, tuple(outer.span(i, i + 1)[0] for i in inner_starts),
                  tuple(outer.span(j - 1, j)[1] for j in inner_ends))


def _unescaped(text: str) -> Folded:
    """``text`` with each run of literal escape sequences as one space, folded; the map composed
    of the two steps (folded -> cleaned -> original)."""
    pieces: list[str] = []
    starts: list[int] = []  # cleaned[i] came from text[starts[i]:ends[i]]
    ends: list[int] = []
    pos = 0
    for m in _ESCAPES.finditer(text):
        pieces.append(text[pos : m.start()])
        starts.extend(range(pos, m.start()))
        ends.extend(range(pos + 1, m.start() + 1))
        pieces.append(" ")
        starts.append(m.start())
        ends.append(m.end())
        pos = m.end()
    pieces.append(text[pos:])
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    inner = _fold("".join(pieces))
    n = len(inner.text)
    inner_starts = inner.starts if inner.starts is not None else range(n)
    inner_ends = inner.ends if inner.ends is not None else range(1, n + 1)
    return Folded(
        text,
        inner.text,
        tuple(starts[i] for i in inner_starts),
        tuple(ends[j - 1] for j in inner_ends),
    )


def _fold(text: str) -> Folded:
    if text.isascii():
        lowered = text.lower()
        return Folded(text, lowered)
    if unicodedata.is_normalized("NFKC", text):
        # Characters already in NFKC need case folding only; a length change means "ß" -> "ss".
        out = text.casefold()
        if len(out) == len(text) and unicodedata.is_normalized("NFKC", out):
            return Folded(text, _t2s(out))
    if unicodedata.is_normalized("NFC", text) and not _combining().search(text):
        # Without combining marks nothing merges: fold character by character, replacing
        # only the characters that change (a regex finds them; str.translate would look up
        # every character). An unchanged length means one character for one.
        out = text
        for wide, narrow in _COMMON_WIDE:  # str.replace first: one regex callback per comma is slow
            if wide in out:
                out = out.replace(wide, narrow)
        out = _foldable().sub(_fold_match, out)
        if len(out) == len(text):
            return Folded(text, _t2s(out))
        folded = _expanded(text, out)
        if folded is not None:
            return folded
    pieces, spans = _clusters(text)
    lengths = [len(p) for p in pieces]
    starts = tuple(chain.from_iterable(repeat(s, n) for (s, _), n in zip(spans, lengths, strict=True)))
    ends = tuple(chain.from_iterable(repeat(e, n) for (_, e), n in zip(spans, lengths, strict=True)))
    return Folded(text, _t2s("".join(pieces)), starts, ends)


def _expanded(text: str, out: str) -> Folded | None:
    """Map ``out``, ``text`` folded character by character, back where some characters became
    several ("…" -> "..."): only those characters need a look; the others are one for one."""
    table = _table()
    starts: list[int] = []
    ends: list[int] = []
    pos = 0
    for m in _uneven().finditer(text):
        i = m.start()
        if i > pos:  # a run folded one for one
            starts.extend(range(pos, i))
            ends.extend(range(pos + 1, i + 1))
        n = len(table[ord(text[i])])
        starts.extend([i] * n)
        ends.extend([i + 1] * n)
        pos = i + 1
    starts.extend(range(pos, len(text)))
    ends.extend(range(pos + 1, len(text) + 1))
    if not unicodedata.is_normalized("NFKC", out):
        return None  # a folded character composes with the next one: fold per cluster
    return Folded(text, _t2s(out), tuple(starts), tuple(ends))


@cache
def _uneven() -> re.Pattern[str]:
    """A character class of the BMP characters that fold to other than one character."""
    return _char_class(cp for cp, folded in _table().items() if cp < 0x10000 and len(folded) != 1)


def _clusters(text: str) -> tuple[list[str], list[tuple[int, int]]]:
    """Fold per cluster (a base character and the combining marks after it)."""
    pieces: list[str] = []
    spans: list[tuple[int, int]] = []
    i = 0
    while i < len(text):
        j = i + 1
        while j < len(text) and unicodedata.combining(text[j]):
            j += 1
        pieces.append(_fold_chars(text[i:j]))
        spans.append((i, j))
        i = j
    return pieces, spans


@cache
def _convertible() -> re.Pattern[str]:
    """A character class of every character t2s changes on its own (Traditional ones)."""
    chars = [chr(c) for c in chain(range(0x2E80, 0xA000), range(0xF900, 0xFB00))]
    converted = _T2S.convert("\n".join(chars)).split("\n")
    changed = sorted(c for c, d in zip(chars, converted, strict=True) if c != d)
    # Astral characters (CJK extensions) count as convertible: a fast BMP-only class.
    return re.compile("[" + "".join(re.escape(c) for c in changed) + "\U00010000-\U0010ffff]")


def _t2s(text: str) -> str:
    """Traditional to Simplified, length-preserving, applied until stable."""
    if _BEYOND_LATIN.search(text) is None or _convertible().search(text) is None:
        return text  # nothing Traditional in it (regexes: max(text) builds a string per character)
    if _LONE_SURROGATE.search(text):  # (from a JSON "\ud800" escape: OpenCC takes UTF-8, which has none)
        text = _LONE_SURROGATE.sub("\ufffd", text)  # one for one: spans stay where they were
    for _ in range(3):
        out = _T2S.convert(text)
        if len(out) != len(text):
            out = "".join(c if len(c2 := _T2S.convert(c)) != 1 else c2 for c in text)
        if out == text:
            break
        text = out
        if not _convertible().search(text):
            break  # nothing left that t2s would change: spare the second call
    return text


def prepare() -> None:
    """Build the lookup tables now (about 0.4 s, once per process) rather than on the first text."""
    _table()
    _foldable()
    _uneven()
    _combining()
    _convertible()


def normalize(text: str) -> str:
    """The folded form of ``text`` (what regexes see)."""
    return fold(text).text


def view(text: str) -> str:
    """The folded text as phrases see it: one hyphen, line breaks as spaces, straight apostrophes."""
    if text.isascii():  # (three C scans: cheaper than a regex on short text)
        if "\n" not in text and "\t" not in text and "\r" not in text:
            return text
    elif _VIEW_CHARS.search(text) is None:
        return text
    for a, b in _VIEW:  # str.replace is much faster than str.translate on non-ASCII text
        if a in text:
            text = text.replace(a, b)
    return text


@lru_cache(maxsize=1 << 17)  # (every chat's phrases are keyed again at each rebuild of the combined matcher)
def phrase_key(phrase: str) -> str:
    """A pattern phrase folded and viewed like text, with runs of spaces collapsed."""
    return " ".join(view(normalize(phrase)).split())


# English words that say nothing of what a text is about, folded: story similarity drops them (bot.stories.tokens),
# and a /watch phrase made only of them hits most news (bot.watch.personal).
_ENGLISH_STOPWORDS_TEXT = (
    "a an the of to in on at by for from with and or but as is are was were be been being has have had "
    "it its this that these those he she they his her their them we our you your i will would can could "
    "said says say after before over about into than then there who which what when where while also "
    "not no more most new s t u"
)
ENGLISH_STOPWORDS = frozenset(_ENGLISH_STOPWORDS_TEXT.split())

# A Latin word of the viewed text: word characters before the CJK blocks, without '_'.
WORD = re.compile(r"[^\W_\u2e80-\U0010ffff]+")
_WORD_SPLIT = re.compile(r"([^\W_\u2e80-\U0010ffff]+)")
_ASCII_WORD_SPLIT = re.compile(r"([A-Za-z0-9]+)")


def split_words(text: str) -> list[str]:
    """A viewed text as separator, word, separator, word, ..., separator (words: ``WORD``; on ASCII text an
    ASCII class is the same, and faster)."""
    return (_ASCII_WORD_SPLIT if text.isascii() else _WORD_SPLIT).split(text)


def is_word_char(c: str) -> bool:
    """A character that continues a Latin word (letters and digits before the CJK blocks)."""
    return c < CJK_START and c.isalnum()


_SPELLERS = ("t2s", "s2t", "s2tw", "s2hk")


def spellings(text: str) -> list[str]:
    """``text`` as typed, then in Simplified and in the Traditional spellings (Taiwan's, Hong Kong's), each once: what
    a plain text search (SQL LIKE) looks for so that 半导体 finds 半導體 as matching does. Latin text has one."""
    if text.isascii():
        return [text]
    return list(dict.fromkeys([text, *(converter(c).convert(text) for c in _SPELLERS)]))


@cache
def converter(config: str) -> opencc.OpenCC:
    """OpenCC with ``config`` ("t2s", "s2t", "s2tw", ...), made once (its dictionaries take a while to load)."""
    return opencc.OpenCC(config)
