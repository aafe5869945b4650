"""The corpus feeds as feeds that keep changing, for bench/soak.py. Reads files; no other IO.

Each corpus file is served as it was captured, except that in round r a share 1/turnover of each
feed's items get a new identity: their link, GUID and Atom id gain a path segment ``soak-T`` and their
title starts with a key ``[sF.J.T]`` (feed F, item J in document order, identity generation T). So new
items keep arriving while the bodies stay the real multi-MB, many-encodings corpus. The key lets
a delivered Telegram alert be traced back to the item it came from. Everything inserted is ASCII,
so the files' own encodings (UTF-8, GBK, ISO-8859-1, ...) stay valid.

Item J of feed F has generation ``(r + (J + F) % turnover) // turnover`` in round r: 0 in round 0
(the corpus as captured), and each round about 1/turnover of the items move to the next generation.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

_ITEM = re.compile(rb"<(?:item|entry)[\s>/]")
_TITLE = re.compile(rb"<title\b[^>/]*>\s*(?:<!\[CDATA\[)?\s*")
_VALUES = [  # where an item's identity lives: (pattern, group holding the value)
    re.compile(rb"<link>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)"),  # RSS link
    re.compile(rb"<link\b[^>]*?\bhref=[\"']([^\"']+)"),  # Atom link
    re.compile(rb"<guid\b[^>]*>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)"),  # RSS guid
    re.compile(rb"<id>\s*(?:<!\[CDATA\[)?\s*([^<\]\s]+)"),  # Atom id
]
Slot = tuple[str, int, bytes]  # ("title" | "title-element" | "value", item index, original value)


def generation(feed: int, item: int, rnd: int, turnover: int) -> int:
    return (rnd + (item + feed) % turnover) // turnover


def key(feed: int, item: int, gen: int) -> str:
    """The title prefix that names an item generation; parse it back with KEY."""
    return f"[s{feed}.{item}.{gen}]"


KEY = re.compile(r"\[s(\d+)\.(\d+)\.(\d+)\]")


def retag(value: str, gen: int) -> str:
    """A link or GUID of generation ``gen``: ``soak-GEN`` added to its path, query and fragment kept."""
    if gen == 0:
        return value
    cut = min((i for i in (value.find("?"), value.find("#")) if i >= 0), default=len(value))
    head, tail = value[:cut], value[cut:]
    return f"{head}{'' if head.endswith('/') else '/'}soak-{gen}{tail}"


@dataclass
class XmlTemplate:
    """A captured XML feed cut at every place that changes between rounds."""

    feed: int
    parts: list[bytes | Slot]
    items: int

    def render(self, rnd: int, turnover: int) -> bytes:
        out: list[bytes] = []
        for part in self.parts:
            if isinstance(part, bytes):
                out.append(part)
                continue
            kind, item, value = part
            gen = generation(self.feed, item, rnd, turnover)
            if kind == "title":
                out.append(key(self.feed, item, gen).encode() + b" ")
            elif kind == "title-element":
                out.append(b"<title>" + key(self.feed, item, gen).encode() + b"</title>")
            else:
                out.append(retag(value.decode("latin-1"), gen).encode("latin-1"))
        return b"".join(out)


@dataclass
class JsonTemplate:
    """A captured JSON Feed; items are rewritten field by field."""

    feed: int
    doc: dict[str, Any]
    items: int

    def render(self, rnd: int, turnover: int) -> bytes:
        items = []
        for j, item in enumerate(self.doc.get("items") or []):
            if not isinstance(item, dict):
                items.append(item)
                continue
            gen = generation(self.feed, j, rnd, turnover)
            new = dict(item)
            new["title"] = f"{key(self.feed, j, gen)} {item.get('title') or ''}"
            for field in ("url", "id", "external_url"):
                if isinstance(item.get(field), str):
                    new[field] = retag(item[field], gen)
            items.append(new)
        return json.dumps({**self.doc, "items": items}, ensure_ascii=False).encode("utf-8")


Template = XmlTemplate | JsonTemplate


def template(feed: int, body: bytes) -> Template:
    """Cut one captured feed body into a template (a body with no items renders unchanged)."""
    if body.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
        try:
            doc = json.loads(body.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            doc = None
        if isinstance(doc, dict):
            return JsonTemplate(feed, doc, len(doc.get("items") or []))
    starts = [m.start() for m in _ITEM.finditer(body)]
    cuts: list[tuple[int, int, Slot]] = []  # (start, end, slot) of every changing span
    for j, start in enumerate(starts):
        end = starts[j + 1] if j + 1 < len(starts) else len(body)
        title = _TITLE.search(body, start, end)
        if title:
            cuts.append((title.end(), title.end(), ("title", j, b"")))
        elif (opened := body.find(b">", start, end)) >= 0:  # an untitled item gets a title: its key
            cuts.append((opened + 1, opened + 1, ("title-element", j, b"")))
        for pattern in _VALUES:
            for m in pattern.finditer(body, start, end):
                cuts.append((m.start(1), m.end(1), ("value", j, m.group(1))))
    cuts.sort(key=lambda c: (c[0], c[1]))
    parts: list[bytes | Slot] = []
    at = 0
    for start, end, slot in cuts:
        if start < at:  # overlapping matches (a malformed item): keep the first
            continue
        parts += [body[at:start], slot]
        at = end
    parts.append(body[at:])
    return XmlTemplate(feed, parts, len(starts))
