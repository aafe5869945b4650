"""Telegram's text rules for the Bot API double: parse_mode=HTML, UTF-16 lengths, bot commands. No IO.

``parse_html`` follows TDLib's ``parse_html`` (what the Bot API server runs): the same supported
tags, the same attribute syntax and the same error texts, with byte offsets into the UTF-8 text.
One deliberate difference, on by default (``strict_amp``): Telegram keeps a bare ``&`` that starts
no entity as a literal ``&``; the double rejects it, so a sender that forgets to escape feed text
fails in tests instead of rendering ``&amp;`` wrongly in production. ``strict_amp=False`` is faithful.

``render`` applies what Telegram does after parsing (trim surrounding whitespace, empty check,
the 4,096 UTF-16 code unit limit) and returns the message text and entities as Telegram echoes them.
"""

from __future__ import annotations

import re
from typing import Any

MAX_MESSAGE_UTF16 = 4096

_TAGS = {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins", "tg-spoiler", "tg-emoji",
         "span", "pre", "code", "blockquote"}
_ENTITY_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
                 "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
                 "tg-spoiler": "spoiler", "span": "spoiler", "code": "code", "pre": "pre",
                 "blockquote": "blockquote", "a": "text_link", "tg-emoji": "custom_emoji"}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\n\r\f\v"
_NAME_TOKEN = re.compile(r"[A-Za-z0-9.\-]*")
_COMMAND = re.compile(r"(?<![\w/<>])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32}(?![A-Za-z0-9_]))?(?![\w/<>])")


class EntityError(ValueError):
    """The text is not valid Telegram HTML; str() is TDLib's message."""


class TextError(ValueError):
    """The text breaks a message rule; str() is the Bot API description without 'Bad Request: '."""


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def render(text: str | None, parse_mode: str | None, *, strict_amp: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """The message text and entities Telegram would store for sendMessage/editMessageText.

    Raises TextError with the Bot API's description ("message text is empty", "message is too long",
    "can't parse entities: ...", "unsupported parse_mode").
    """
    if not text:
        raise TextError("message text is empty")
    mode = (parse_mode or "").lower()
    if mode == "html":
        try:
            plain, entities = parse_html(text, strict_amp=strict_amp)
        except EntityError as e:
            raise TextError(f"can't parse entities: {e}") from None
    elif mode in ("", "markdown", "markdownv2"):  # Markdown is not validated by the double
        plain, entities = text, []
    else:
        raise TextError("unsupported parse_mode")
    plain, entities = _trim(plain, entities)
    if not plain:
        raise TextError("message text is empty")
    if utf16_len(plain) > MAX_MESSAGE_UTF16:
        raise TextError("message is too long")
    return plain, entities


def parse_html(text: str, *, strict_amp: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Plain text and entities (UTF-16 offsets) of Telegram HTML; EntityError on invalid markup."""
    out: list[str] = []
    u16 = 0
    stack: list[tuple[str, str, int]] = []  # (tag, argument, utf16 offset of its start)
    entities: list[dict[str, Any]] = []
    n = len(text)
    i = 0

    def at(pos: int) -> str:
        return text[pos] if pos < n else "\0"

    def offset(pos: int) -> int:
        return len(text[:pos].encode("utf-8"))

    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_entity(text, i)
            if decoded is not None:
                ch, i = decoded
                out.append(ch)
                u16 += utf16_len(ch)
                continue
            if strict_amp:
                raise EntityError(f'Unescaped "&" at byte offset {offset(i)}: write it as "&amp;" '
                                  "(the test double is stricter than Telegram here)")
        if c != "<":
            out.append(c)
            u16 += 2 if ord(c) > 0xFFFF else 1
            i += 1
            continue
        begin = i
        i += 1
        if at(i) != "/":
            while at(i) not in _SPACE + ">\0":
                i += 1
            if i >= n:
                raise EntityError(f"Unclosed start tag at byte offset {offset(begin)}")
            tag = text[begin + 1:i].lower()
            if tag not in _TAGS:
                raise EntityError(f'Unsupported start tag "{tag}" at byte offset {offset(begin)}')
            argument, i = _attributes(text, i, tag, offset(begin))
            if tag == "span" and argument != "spoiler":
                raise EntityError(f'Tag "span" must have class "tg-spoiler" at byte offset {offset(begin)}')
            stack.append((tag, argument, u16))
            i += 1  # the '>'
            continue
        if not stack:
            raise EntityError(f"Unexpected end tag at byte offset {offset(begin)}")
        i += 1
        while at(i) not in _SPACE + ">\0":
            i += 1
        end_name = text[begin + 2:i].lower()
        while i < n and at(i) in _SPACE:
            i += 1
        if at(i) != ">":
            raise EntityError(f"Unclosed end tag at byte offset {offset(begin)}")
        tag, argument, start = stack.pop()
        if end_name and end_name != tag:
            raise EntityError(f'Unmatched end tag at byte offset {offset(begin)}, expected "</{tag}>", '
                              f'found "</{end_name}>"')
        i += 1
        if tag == "code" and stack and stack[-1][0] == "pre":
            if argument:  # <pre><code class="language-x"> is one pre entity with a language
                stack[-1] = ("pre", argument, stack[-1][2])
            continue
        if u16 > start:
            entity = _entity(tag, argument, start, u16 - start)
            if entity is not None:
                entities.append(entity)
    if stack:
        raise EntityError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def bot_command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entities Telegram attaches to a user's message (TDLib's find_bot_commands)."""
    return [{"type": "bot_command", "offset": utf16_len(text[:m.start()]), "length": utf16_len(m.group())}
            for m in _COMMAND.finditer(text)]


def _decode_entity(text: str, pos: int) -> tuple[str, int] | None:
    """(character, position after it) for an HTML entity at text[pos] == '&', else None."""
    end = pos + 1
    n = len(text)
    if end < n and text[end] == "#":
        end += 1
        hexa = end < n and text[end] in "xX"
        if hexa:
            end += 1
        digits_from = end
        allowed = "0123456789abcdefABCDEF" if hexa else "0123456789"
        while end < n and text[end] in allowed:
            end += 1
        if end == digits_from:
            return None
        code = int(text[digits_from:end], 16 if hexa else 10)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and text[end].isascii() and text[end].isalpha():
            end += 1
        named = _NAMED.get(text[pos + 1:end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        end += 1
    return char, end


def _attributes(text: str, i: int, tag: str, begin_offset: int) -> tuple[str, int]:
    """Parse a start tag's attributes from i; returns (the argument that matters, index of '>')."""
    n = len(text)
    argument = ""
    while i < n and text[i] != ">":
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            break
        if text[i] == ">":
            break
        name_from = i
        while i < n and text[i] not in _SPACE + "=":
            i += 1
        name = text[name_from:i]
        if not name:
            raise EntityError(f'Empty attribute name in the tag "{tag}" at byte offset {begin_offset}')
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n or text[i] != "=":
            raise EntityError(f'Expected equal sign in declaration of an attribute of the tag "{tag}" '
                              f"at byte offset {begin_offset}")
        i += 1
        while i < n and text[i] in _SPACE:
            i += 1
        if i >= n:
            raise EntityError(f'Unclosed start tag "{tag}" at byte offset {begin_offset}')
        if text[i] not in "'\"":
            token = _NAME_TOKEN.match(text, i)
            assert token is not None  # the pattern matches the empty string
            value = token.group().lower()
            i = token.end()
            if i >= n or text[i] not in _SPACE + ">":
                raise EntityError(f"Unexpected end of name token at byte offset "
                                  f"{len(text[:token.start()].encode('utf-8'))}")
        else:
            quote = text[i]
            i += 1
            chars: list[str] = []
            while i < n and text[i] != quote:
                decoded = _decode_entity(text, i) if text[i] == "&" else None
                if decoded is not None:
                    chars.append(decoded[0])
                    i = decoded[1]
                else:
                    chars.append(text[i])
                    i += 1
            if i >= n:
                raise EntityError(f"Unclosed start tag at byte offset {begin_offset}")
            i += 1
            value = "".join(chars)
        argument = _argument(tag, name, value, argument)
    if i >= n:
        raise EntityError(f'Unclosed start tag "{tag}" at byte offset {begin_offset}')
    return argument, i


def _argument(tag: str, name: str, value: str, current: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[len("language-"):]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[len("tg-"):]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "expandable"
    return current


def _entity(tag: str, argument: str, start: int, length: int) -> dict[str, Any] | None:
    kind = _ENTITY_TYPES[tag]
    entity: dict[str, Any] = {"type": kind, "offset": start, "length": length}
    if tag == "a":
        if not argument:
            return None  # Telegram makes the text itself a link (or nothing); no entity here
        entity["url"] = argument
    elif tag == "tg-emoji":
        if not argument:
            return None
        entity["custom_emoji_id"] = argument
    elif tag == "blockquote" and argument == "expandable":
        entity["type"] = "expandable_blockquote"
    elif tag == "pre" and argument:
        entity["language"] = argument
    return entity


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Drop surrounding whitespace as Telegram does, keeping entities on the same characters."""
    stripped = plain.strip()
    if stripped == plain:
        return plain, entities
    shift = utf16_len(plain[:len(plain) - len(plain.lstrip())])
    end = utf16_len(stripped)
    kept = []
    for e in entities:
        lo, hi = max(e["offset"] - shift, 0), min(e["offset"] + e["length"] - shift, end)
        if hi > lo:
            kept.append({**e, "offset": lo, "length": hi - lo})
    return stripped, kept
