"""The lede: the first meaningful paragraph of an entry's HTML, as plain text. Pure.

Feeds wrap the story in furniture: date lines, images, share blocks, "The post ... appeared
first on ..." and aggregator footers (feedx's "获取更多RSS"). We drop the furniture, take the
first block with real prose, decode entities, collapse whitespace and cut it at a sentence
boundary near 400 characters.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator

from lxml import etree

from bot.feeds.per_thread import PerThread

LEDE_LIMIT = 400
# Full-content feeds carry whole articles; the lede is near the top, so parse only the head.
_HTML_HEAD = 40_000

_DROP_TAGS = (
    "script", "style", "noscript", "img", "picture", "figure", "figcaption", "svg", "iframe", "video",
    "audio", "form", "button", "input", "select", "textarea", "object", "embed", "canvas", "template",
    "nav", "aside", "footer", "header", "table", "hr", "br",
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "blockquote", "li", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "dd", "pre"}
)
# Where a space stands between texts: blocks, line breaks, table cells, list and page parts.
_SPACED_TAGS = _BLOCK_TAGS | {"br", "hr", "tr", "td", "th", "table", "ul", "ol", "dl", "dt", "body", "html", "header",
                              "footer", "nav", "aside", "main", "figure", "figcaption", "img", "caption", "title"}
_BREAKS = frozenset({"br", "hr", "img"})
_GAP = "\ufdd0"  # where a break or a dropped element stood (a noncharacter: no text of its own holds it)
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_CJK_GAP = re.compile(f"(?<=[{_HAN}，。、；：！？）」』]){_GAP}+(?=[{_HAN}（「『])")
_FURNITURE_ATTRS = re.compile(r"share|social|newsletter|selfpromo|related|advert|promo|subscribe", re.I)
_FURNITURE_TEXT = re.compile(
    r"^(?:分享|share|获取更多rss|獲取更多rss|更多rss|read more|continue reading|the post .* appeared first on"
    r"|this post .* appeared first|click here|related:|photo:|image:|source:|via )",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(r"^[\d\s/.:\-,年月日时時分]+$|^(?:updated|published|posted)\b.{0,40}$", re.IGNORECASE)
_WS = re.compile(r"\s+")
_BIDI_CHARS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
_BIDI = dict.fromkeys(map(ord, _BIDI_CHARS))
_HAS_BIDI = re.compile(f"[{_BIDI_CHARS}]")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SENTENCE_END = re.compile(r"[.!?。！？…](?:[\"'”’」』)\]]*)(?=\s|$)|[。！？…][\"'”’」』)\]]*")

# huge_tree lifts libxml2's nesting limit from 256 to 2048 levels: deeply nested HTML otherwise
# parses to an empty tree. Its other effect, no cap on a text node's size, is moot at 40 KB.
_PARSER = PerThread(lambda: etree.HTMLParser(recover=True, no_network=True, remove_comments=True, remove_pis=True,
                                             huge_tree=True))
_MAX_DEPTH = 2000  # a little under libxml2's 2048, as unclosed <p> and <li> count here too
_TAG = re.compile(r"<[^>]*>")
# The elements of HTML (and the old ones feeds still carry). A "<" before a name that is none of them and cannot be a
# tag's (a dot or a comma in it), or is in capitals alone, is text: a ticker in a Reuters headline ("ASML <ASML.AS>
# shares rise", "<TSMC>"), "x<y, z". Parsed as tags, they vanished, and a watchlist term inside them with them. Other
# unknown names stay tags, as a browser has them (<o:p>, <my-card>, a code sample's <EmailObfuscator ...>).
_ELEMENTS = (
    "a|abbr|acronym|address|area|article|aside|audio|b|base|basefont|bdi|bdo|big|blink|blockquote|body|br|button|"
    "canvas|caption|center|cite|code|col|colgroup|data|datalist|dd|del|details|dfn|dialog|dir|div|dl|dt|em|embed|"
    "fieldset|figcaption|figure|font|footer|form|frame|frameset|h[1-6]|head|header|hgroup|hr|html|i|iframe|img|input|"
    "ins|kbd|label|legend|li|link|main|map|mark|marquee|menu|meta|meter|nav|nobr|noembed|noframes|noscript|object|ol|"
    "optgroup|option|output|p|param|picture|plaintext|pre|progress|q|rb|rp|rt|rtc|ruby|s|samp|script|search|section|"
    "select|slot|small|source|span|strike|strong|style|sub|summary|sup|svg|math|table|tbody|td|template|textarea|"
    "tfoot|th|thead|time|title|tr|track|tt|u|ul|var|video|wbr|xmp"
)
_WORD_IN_BRACKETS = re.compile(rf"<(?!/?(?i:{_ELEMENTS})>)(?=/?[A-Za-z]+>)")  # "<surges>": no element, no attribute
_NOT_A_TAG = re.compile(rf"<(?!/?(?i:{_ELEMENTS})(?=[\s/>]))(?=[A-Za-z][\w]*[.,]|[A-Z][A-Z0-9]*>)")
_UNSEEN = re.compile(r"<!--.*?-->|<(script|style)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_VOID = "area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr"
_OPEN_OR_CLOSE = re.compile(rf"<(/?)(?!(?:{_VOID})\b)[A-Za-z][^>]*?(/?)>", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Decode entities, drop bidi controls and collapse whitespace (also used for titles)."""
    return _WS.sub(" ", strip_bidi(html.unescape(text))).strip()


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional formatting characters.

    An embedding, override or isolate (U+202A-202E, U+2066-2069) reorders everything after it
    up to the end of the paragraph: after a right-to-left override, "txt.exe" shows as "exe.txt",
    and a title can reverse the rest of the alert that quotes it. The marks (U+200E/F, U+061C) do less but
    nothing a headline needs, since a renderer finds the direction from the letters themselves.
    """
    return text.translate(_BIDI) if _HAS_BIDI.search(text) else text


def html_to_text(fragment: str) -> str:
    """All text of an HTML fragment (titles may carry markup), entities decoded. In a title, a lone word in angle
    brackets that no HTML element is named is text too ("demand <surges>": it vanished)."""
    if "<" not in fragment:
        return clean_text(fragment)
    root = _parse(_WORD_IN_BRACKETS.sub("&lt;", fragment))
    return clean_text(_text(root)) if root is not None else clean_text(fragment)


def extract_lede(fragment: str, limit: int = LEDE_LIMIT) -> str:
    """The first meaningful paragraph of ``fragment``, cut near ``limit`` characters."""
    if not fragment or not fragment.strip():
        return ""
    if "<" not in fragment:
        return cut(clean_text(fragment), limit)
    root = _parse(fragment[:_HTML_HEAD])
    if root is None:
        return cut(clean_text(_TAG.sub(" ", fragment[:_HTML_HEAD])), limit)
    for dropped in root.iter(*_DROP_TAGS):  # "expand<br>its" keeps its two words apart
        dropped.tail = _GAP + dropped.tail if dropped.tail else _GAP
    etree.strip_elements(root, *_DROP_TAGS, with_tail=False)
    for block in _blocks(root):
        text = clean_text(_own_text(block))
        if _meaningful(text):
            return cut(text, limit)
    text = clean_text(_text(root))
    if _meaningful(text, short=True):  # (no block long enough: a short description is still its story's lede)
        return cut(text, limit)
    if _nesting(fragment[:_HTML_HEAD]) < _MAX_DEPTH:
        return ""
    # Past its depth limit libxml2 drops the rest of the document: read the text without a tree.
    flat = clean_text(_TAG.sub(" ", _UNSEEN.sub(" ", fragment[:_HTML_HEAD])))
    return cut(flat, limit) if _meaningful(flat) else ""


def cut(text: str, limit: int = LEDE_LIMIT) -> str:
    """Cut ``text`` at the last sentence end before ``limit``, else at a word, adding an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    ends = [m.end() for m in _SENTENCE_END.finditer(head)]
    good = [e for e in ends if e >= limit * 0.5]
    if good:
        return head[: good[-1]].strip()
    if _CJK.search(head[-20:]):
        return head[:limit].rstrip() + "…"
    space = head.rfind(" ", 0, limit)
    return (head[:space] if space > limit * 0.5 else head[:limit]).rstrip(" ,;:") + "…"


def _parse(fragment: str) -> etree._Element | None:
    fragment = _NOT_A_TAG.sub("&lt;", fragment)
    try:
        doc = etree.fromstring(f"<html><body>{fragment}</body></html>", _PARSER())
    except (etree.XMLSyntaxError, ValueError):
        return None
    if doc is None:
        return None
    body = doc.find("body")
    return body if body is not None else doc


def _nesting(fragment: str) -> int:
    """How deep the tags of ``fragment`` nest at most, counted without a parser."""
    depth = deepest = 0
    for match in _OPEN_OR_CLOSE.finditer(fragment):
        if match.group(1):
            depth = max(0, depth - 1)
        elif not match.group(2):
            depth += 1
            deepest = max(deepest, depth)
    return deepest


def _blocks(root: etree._Element) -> Iterator[etree._Element]:
    """Block elements in document order, skipping furniture and blocks that only hold blocks."""
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag not in _BLOCK_TAGS:
            continue
        if _is_furniture(el):
            continue
        yield el


def _is_furniture(el: etree._Element) -> bool:
    node: etree._Element | None = el
    while node is not None:
        attrs = " ".join(f"{k} {v}" for k, v in node.attrib.items())
        if attrs and _FURNITURE_ATTRS.search(attrs):
            return True
        node = node.getparent()
    return False


def _text(root: etree._Element) -> str:
    """All text of ``root``: a space where a block or a line break ends, none where an inline tag does
    ("<a>a link</a>." stays "a link.", "中文<b>测试</b>。" stays "中文测试。"). Iterative: a fragment may
    nest 2,000 levels deep."""
    parts: list[str] = []
    for event, el in etree.iterwalk(root, events=("start", "end")):
        element = isinstance(el.tag, str)
        spaced = element and el.tag in _SPACED_TAGS
        if event == "start":
            parts.append((_GAP if el.tag in _BREAKS else " ") if spaced else "")
            if element and el.text:
                parts.append(el.text)
        else:
            parts.append((_GAP if el.tag in _BREAKS else " ") if spaced else "")
            if el is not root and el.tail:
                parts.append(el.tail)
    return _resolved("".join(parts))


def _resolved(text: str) -> str:
    """A line break's or a dropped image's gap: a space between words, nothing inside Chinese text."""
    return _CJK_GAP.sub("", text).replace(_GAP, " ") if _GAP in text else text


def _own_text(el: etree._Element) -> str:
    """Text of ``el`` without the text of nested block elements (they are visited on their own)."""
    parts = [el.text or ""]
    for child in el:
        if isinstance(child.tag, str) and child.tag in _BLOCK_TAGS:
            parts.append(" ")
        elif isinstance(child.tag, str):
            parts.append(_text(child))  # "expand<br>its" is two words, "<b>Arizona</b>," one
        parts.append(child.tail or "")
    return _resolved("".join(parts))


def _meaningful(text: str, *, short: bool = False) -> bool:
    """Prose, not furniture: 12 Chinese characters or 6 words and 30 characters; ``short`` (the whole description,
    when no block of it is that long), a sentence of 6 Chinese characters or 4 words ("美光宣布在台中擴建DRAM廠。")."""
    if not text or _DATE_LINE.match(text) or _FURNITURE_TEXT.match(text):
        return False
    cjk = len(_CJK.findall(text))
    if cjk >= (6 if short else 12):
        return True
    return len(text.split()) >= (4 if short else 6) and len(text) >= (20 if short else 30)
