"""Alerts as Telegram HTML messages. Pure: values in, strings out.

Every piece of feed text is escaped (``bot.markup.esc``) and only the tags
Telegram's HTML parse mode knows are used (<b>, <i>, <a href>). Telegram limits a message to 4,096
characters of *rendered* text counted in UTF-16 code units, so pieces are cut in plain text
before escaping (an entity is never split) and lengths are measured the way Telegram measures.
What the bot adds around feed text ("also in:", "Matched:") is in the chat's /lang language
(``bot.i18n``); feed text is never translated.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from bot.i18n import DEFAULT, t
from bot.markup import cut, esc, rendered_len, safe_link, strip_tags
from bot.model import Alert
from bot.times import zone
from bot.watch.personal import owner

MAX_MESSAGE = 4096  # Telegram's limit, in UTF-16 code units of the rendered text
MAX_TITLE = 300
MAX_LEDE = 400
MAX_SOURCE = 120
MAX_TERMS = 200
ALSO_IN_SHOWN = 3  # outlets named after "also in:"; the rest are counted


def when(published: datetime | None, tz_name: str, lang: str = DEFAULT) -> str:
    """'2024-03-27 23:45 (Asia/Shanghai)': the local time with the zone named explicitly."""
    if published is None:
        return t(lang, "alert.time_unknown")
    tz = zone(tz_name)
    return f"{published.astimezone(tz):%Y-%m-%d %H:%M} ({tz.key})"


def also_in(outlets: Sequence[str], shown: int = ALSO_IN_SHOWN, lang: str = DEFAULT) -> str:
    """'also in: NHK, Reuters +2': the other outlets of a story, the first few by name (plain text)."""
    names = [cut(name, 40) for name in outlets[:shown]]
    more = len(outlets) - len(names)
    return t(lang, "alert.also_in", outlets=t(lang, "separator").join(names) + (f" +{more}" if more > 0 else ""))


def duration(seconds: float, lang: str = DEFAULT) -> str:
    """'45 s', '23 min', '1.5 h', '30 days' in ``lang`` (English as ``describe_seconds`` says it)."""
    for unit, size, limit in (("s", 1, 120), ("min", 60, 2 * 3600), ("h", 3600, 2 * 86400)):
        if seconds < limit:
            n = round(seconds / size, 1 if seconds < 10 or unit == "h" else None)
            return t(lang, f"duration.{unit}", n=f"{n:g}")
    return t(lang, "duration.days", n=f"{round(seconds / 86400, 1):g}")


_RATE = re.compile(r"about (\d+) new items? a (day|week)")
_CUT = ", cut to poll.max_interval"


def poll_interval(seconds: float, reason: str, lang: str = DEFAULT) -> str:
    """', every 23 min (about 3 new items a day)': a feed's interval and why, in ``lang``.

    The reason is stored in English words (``bot.app.polling.Interval``); the ones the service
    chooses are said in ``lang``, what a feed asked for (ttl, Cache-Control) is quoted as sent.
    """
    cut_short = reason.endswith(_CUT)
    reason = reason.removesuffix(_CUT)
    rate = _RATE.fullmatch(reason)
    if reason == "fixed by config":
        why = t(lang, "interval.fixed")
    elif reason == "no new items in the last week":
        why = t(lang, "interval.quiet")
    elif rate:
        why = t(lang, f"interval.per_{rate[2]}", count=int(rate[1]))
    else:
        why = t(lang, "interval.asked", reason=esc(reason))
    if cut_short:
        why = t(lang, "interval.cut", reason=why)
    return t(lang, "feeds.interval", every=duration(seconds, lang), reason=why)


def format_alert(alert: Alert, tz_name: str = "UTC", lang: str = DEFAULT) -> str:
    """One alert: watchlists, bold linked title, source and time, lede excerpt, matched terms."""
    title = esc(cut(alert.title, MAX_TITLE) or t(lang, "alert.untitled"))
    link = safe_link(alert.link)
    heading = f'<b><a href="{esc(link)}">{title}</a></b>' if link else f"<b>{title}</b>"
    source = cut(alert.source, MAX_SOURCE)
    if alert.also_in:
        source += " · " + also_in(alert.also_in, lang=lang)
    lines = [
        "🔔 " + esc(cut(t(lang, "separator").join(watchlist_names(alert.watchlists, lang)), MAX_SOURCE)),
        heading,
        f"{esc(source)} · {esc(when(alert.published, tz_name, lang))}",
    ]
    if alert.lede.strip():
        lines.append(esc(cut(alert.lede, MAX_LEDE)))
    terms = alert.terms()
    if terms:
        lines.append(t(lang, "alert.matched", terms=esc(cut(t(lang, "separator").join(terms), MAX_TERMS))))
    return "\n".join(lines)


def watchlist_names(ids: Sequence[str], lang: str = DEFAULT) -> list[str]:
    """The watchlists an alert names: their ids, and the chat's own phrases (``chat:<id>``) in words."""
    return [t(lang, "alert.own_phrases") if owner(w) is not None else w for w in ids]


LISTED = 1_000  # characters of names one reply lists before "(+N more)": the reply must stay under Telegram's 4,096


def listed(names: Sequence[str], lang: str, more: str = "more", *, at_most: int | None = None,
           total: int | None = None) -> str:
    """``names`` escaped and joined, as many as fit in LISTED characters (and ``at_most``), then "(+N more)" in the
    words of the ``more`` key, N of ``total`` (default: of ``names``). Hundreds of feeds or fifty long phrases made a
    reply Telegram refused (/mute source NAME, /unwatch, /subscribe)."""
    separator = t(lang, "separator")
    shown: list[str] = []
    size = 0
    for name in names[:at_most]:
        if shown and size + len(separator) + len(name) > LISTED:
            break
        shown.append(name)
        size += len(separator) + len(name)
    text = esc(separator.join(shown))
    rest = (len(names) if total is None else total) - len(shown)
    return text + t(lang, more, count=rest) if rest > 0 else text


def pages(lines: Sequence[str], limit: int = MAX_MESSAGE - 196) -> list[str]:
    """HTML lines grouped into messages under ``limit`` rendered units, never cut inside a tag or
    an entity; a single line over the limit loses its markup and is cut as plain text."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        length = rendered_len(line)
        if length > limit:
            line = esc(cut(strip_tags(line), limit))
            length = rendered_len(line)
        if current and size + 1 + length > limit:
            out.append("\n".join(current))
            current, size = [], 0
        size += (1 if current else 0) + length
        current.append(line)
    if current:
        out.append("\n".join(current))
    return out

