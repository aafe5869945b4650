"""A Digest as Telegram HTML pages. Pure: values in, pages out.

Pages hold whole items: a page is cut before the item that would take it past Telegram's 4,096
rendered UTF-16 units, and a section that goes on over a page break repeats its heading. Every
piece of feed text is escaped. Each page carries the matches its items settle, so a digest whose
later pages fail settles only what went out. What the bot adds around feed text (the header, "also
in") is in the chat's /lang language (``bot.i18n``); feed text is never translated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.digest.build import Digest, DigestItem
from bot.i18n import DEFAULT, t
from bot.markup import cut, esc, rendered_len
from bot.render.telegram import MAX_MESSAGE

ALSO_IN_SHOWN = 4  # feeds named after "also in:"; the rest are counted


@dataclass(frozen=True, slots=True)
class Page:
    """One message of a digest and the matches its items settle."""

    text: str
    match_ids: tuple[int, ...]


def _item(item: DigestItem, created: datetime, lang: str) -> str:
    title = esc(cut(item.title, 300))
    head = f'<a href="{esc(item.link)}">{title}</a>' if item.link else title
    if item.when.date() == created.date():
        stamp = f"{item.when:%H:%M}"
    else:  # (the year only when it is not the digest's: a backdated item must not pass for this year's)
        stamp = f"{item.when:%m-%d %H:%M}" if item.when.year == created.year else f"{item.when:%Y-%m-%d %H:%M}"
    meta = f"{esc(cut(item.source, 80) or t(lang, 'digest.unknown_feed'))} · {stamp}"
    sep = t(lang, "separator")
    if item.also_in:
        shown = [cut(f, 60) for f in item.also_in[:ALSO_IN_SHOWN]]
        more = len(item.also_in) - len(shown)
        outlets = esc(sep.join(shown))
        meta += " · " + (t(lang, "digest.also_in_more", outlets=outlets, more=more) if more > 0
                         else t(lang, "digest.also_in", outlets=outlets))
    if item.also_matched:
        meta += " · " + t(lang, "digest.also_matched", names=esc(cut(sep.join(item.also_matched), 200)))
    return f"• <b>{head}</b>\n<i>{meta}</i>"


def _header(digest: Digest, lang: str) -> str:
    counts = " · ".join(f"{esc(name)} {n}" for name, n in digest.counts()) if len(digest.counts()) > 1 else ""
    lines = [t(lang, "digest.header", date=f"{digest.created:%Y-%m-%d}", count=digest.total),
             t(lang, "digest.zone", zone=esc(digest.zone_label()))]
    if counts:
        lines.append(counts)
    return "\n".join(lines)


def pages(digest: Digest, *, limit: int = MAX_MESSAGE, lang: str = DEFAULT) -> list[Page]:
    """The digest as messages of at most ``limit`` rendered UTF-16 units, split between items."""
    if digest.empty:
        return [Page(_header(digest, lang) + "\n" + t(lang, "digest.empty"), digest.match_ids)]
    out: list[Page] = []
    parts: list[str] = [_header(digest, lang)]
    ids: list[int] = []
    section_open: str | None = None

    def size(chunks: list[str]) -> int:
        return rendered_len("\n\n".join(chunks))

    for section in digest.sections:
        heading = f"<b>{esc(section.name)}</b> ({section.count})"
        section_open = None
        for item in section.items:
            block = _item(item, digest.created, lang)
            lead = [] if section_open == heading else [heading]
            if size([*parts, *lead, block]) > limit and len(parts) > 1:
                out.append(Page("\n\n".join(parts), tuple(ids)))
                parts, ids = [t(lang, "digest.continued", date=f"{digest.created:%Y-%m-%d}")], []
                lead = ([t(lang, "digest.section_continued", name=esc(section.name))] if section_open == heading
                        else [heading])
            parts += [*lead, block]
            section_open = heading
            ids += item.match_ids
    out.append(Page("\n\n".join(parts), tuple(ids)))
    # matches the digest settles without listing them (other watchlists) ride on the last page
    listed = {i for p in out for i in p.match_ids}
    rest = tuple(i for i in digest.match_ids if i not in listed)
    out[-1] = Page(out[-1].text, out[-1].match_ids + rest)
    return out
