"""Alerts as Telegram HTML messages. Pure: values in, strings out.

Every piece of feed text is escaped (``html.escape``; hrefs with ``quote=True``) and only the tags
Telegram's HTML parse mode knows are used (<b>, <i>, <a href>). Telegram limits a message to 4,096
characters of *rendered* text counted in UTF-16 code units, so pieces are cut in plain text
before escaping (an entity is never split) and lengths are measured the way Telegram measures.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.deliver.alert import Alert

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the rendered text
MAX_TITLE = 300
MAX_LEDE = 400
MAX_SOURCE = 120
MAX_TERMS = 200
MAX_LINK = 2048  # longer hrefs are dropped: no news link needs more
SEPARATOR = "\n\n"
ELLIPSIS = "…"

_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class Message:
    """One message to send and the alerts it carries."""

    alert_ids: tuple[int, ...]
    text: str


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji outside the BMP counts 2)."""
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def rendered_len(markup: str) -> int:
    """UTF-16 length of what a reader sees: tags removed, entities decoded."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` UTF-16 units, ending in '…' when cut (at a space when one is near)."""
    text = " ".join(text.split())
    if utf16_len(text) <= limit:
        return text
    budget, units, end = limit - 1, 0, 0
    for i, c in enumerate(text):
        units += 2 if ord(c) > 0xFFFF else 1
        if units > budget:
            end = i
            break
    head = text[:end]
    space = head.rfind(" ")
    if space >= end * 0.8:  # a word boundary close to the cut reads better than half a word
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def zone(name: str) -> tuple[ZoneInfo, str]:
    """The chat's zone and its name; an unknown name falls back to UTC (the /tz command validates)."""
    try:
        return ZoneInfo(name), name
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC"), "UTC"


def when(published: datetime | None, tz_name: str) -> str:
    """'2024-03-27 23:45 (Asia/Shanghai)': the local time with the zone named explicitly."""
    if published is None:
        return "time unknown"
    tz, name = zone(tz_name)
    return f"{published.astimezone(tz):%Y-%m-%d %H:%M} ({name})"


def safe_link(link: str | None) -> str | None:
    """Only http(s) links of sane length become hrefs."""
    if not link or len(link) > MAX_LINK or not link.lower().startswith(("http://", "https://")):
        return None
    if any(c.isspace() or ord(c) < 32 for c in link):
        return None
    return link


def format_alert(alert: Alert, tz_name: str = "UTC") -> str:
    """One alert: watchlists, bold linked title, source and time, lede excerpt, matched terms."""
    esc = html.escape
    title = esc(cut(alert.title, MAX_TITLE) or "(untitled)")
    link = safe_link(alert.link)
    heading = f'<b><a href="{esc(link, quote=True)}">{title}</a></b>' if link else f"<b>{title}</b>"
    source = cut(alert.source, MAX_SOURCE)
    if alert.also_in:
        source += " · also in " + cut(", ".join(alert.also_in), MAX_SOURCE)
    lines = [
        "🔔 " + esc(cut(", ".join(alert.watchlists), MAX_SOURCE)),
        heading,
        f"{esc(source)} · {esc(when(alert.published, tz_name))}",
    ]
    if alert.lede.strip():
        lines.append(esc(cut(alert.lede, MAX_LEDE)))
    terms = alert.terms()
    if terms:
        lines.append("<i>Matched:</i> " + esc(cut(", ".join(terms), MAX_TERMS)))
    return "\n".join(lines)


def pack(alerts: Sequence[Alert], tz_name: str = "UTC", limit: int = MAX_MESSAGE) -> list[Message]:
    """Alerts for one chat combined into as few messages as fit under ``limit``, in order."""
    messages: list[Message] = []
    ids: list[int] = []
    parts: list[str] = []
    size = 0
    for alert in alerts:
        block = format_alert(alert, tz_name)
        length = rendered_len(block)
        if parts and size + utf16_len(SEPARATOR) + length > limit:
            messages.append(Message(tuple(ids), SEPARATOR.join(parts)))
            ids, parts, size = [], [], 0
        size += (utf16_len(SEPARATOR) if parts else 0) + length
        ids.append(alert.outbox_id)
        parts.append(block)
    if parts:
        messages.append(Message(tuple(ids), SEPARATOR.join(parts)))
    return messages


def pages(lines: Sequence[str], limit: int = MAX_MESSAGE - 196) -> list[str]:
    """HTML lines grouped into messages under ``limit`` rendered units, never cut inside a tag or
    an entity; a single line over the limit loses its markup and is cut as plain text."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = rendered_len(line)
        if length > limit:
            line = html.escape(cut(html.unescape(_TAG.sub("", line)), limit))
            length = rendered_len(line)
        if current and size + 1 + length > limit:
            out.append("\n".join(current))
            current, size = [], 0
        size += (1 if current else 0) + length
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out

