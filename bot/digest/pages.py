"""A Digest as Telegram HTML pages. Pure: values in, pages out.

Pages hold whole items: a page is cut before the item that would take it past Telegram's 4,096
rendered UTF-16 units, and a section that goes on over a page break repeats its heading. Every
piece of feed text is escaped. Each page carries the matches its items settle, so a digest whose
later pages fail settles only what went out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.digest.build import Digest, DigestItem
from bot.markup import cut, esc, rendered_len
from bot.render.telegram import MAX_MESSAGE

ALSO_IN_SHOWN = 4  # feeds named after "also in:"; the rest are counted


@dataclass(frozen=True, slots=True)
class Page:
    """One message of a digest and the matches its items settle."""

    text: str
    match_ids: tuple[int, ...]


def _item(item: DigestItem, created: datetime) -> str:
    title = esc(cut(item.title, 300))
    head = f'<a href="{esc(item.link)}">{title}</a>' if item.link else title
    stamp = f"{item.when:%H:%M}" if item.when.date() == created.date() else f"{item.when:%m-%d %H:%M}"
    meta = f"{esc(cut(item.source, 80) or 'unknown feed')} · {stamp}"
    if item.also_in:
        shown = [cut(f, 60) for f in item.also_in[:ALSO_IN_SHOWN]]
        more = len(item.also_in) - len(shown)
        meta += " · also in " + esc(", ".join(shown)) + (f" and {more} more" if more > 0 else "")
    if item.also_matched:
        meta += " · also matched " + esc(cut(", ".join(item.also_matched), 200))
    return f"• <b>{head}</b>\n<i>{meta}</i>"


def _header(digest: Digest) -> str:
    noun = "story" if digest.total == 1 else "stories"
    counts = " · ".join(f"{esc(name)} {n}" for name, n in digest.counts())
    lines = [f"<b>Digest {digest.created:%Y-%m-%d}</b>: {digest.total} {noun}",
             f"<i>times in {esc(digest.zone_label())}</i>"]
    if counts:
        lines.append(counts)
    return "\n".join(lines)


def pages(digest: Digest, *, limit: int = MAX_MESSAGE) -> list[Page]:
    """The digest as messages of at most ``limit`` rendered UTF-16 units, split between items."""
    if digest.empty:
        return [Page(_header(digest) + "\nNothing new since the last digest.", digest.match_ids)]
    out: list[Page] = []
    parts: list[str] = [_header(digest)]
    ids: list[int] = []
    section_open: str | None = None

    def size(chunks: list[str]) -> int:
        return rendered_len("\n\n".join(chunks))

    for section in digest.sections:
        heading = f"<b>{esc(section.name)}</b> ({section.count})"
        section_open = None
        for item in section.items:
            block = _item(item, digest.created)
            lead = [] if section_open == heading else [heading]
            if size([*parts, *lead, block]) > limit and len(parts) > 1:
                out.append(Page("\n\n".join(parts), tuple(ids)))
                parts, ids = [f"<i>Digest {digest.created:%Y-%m-%d}, continued</i>"], []
                lead = [f"<b>{esc(section.name)}</b> (continued)"] if section_open == heading else [heading]
            parts += [*lead, block]
            section_open = heading
            ids += item.match_ids
    out.append(Page("\n\n".join(parts), tuple(ids)))
    # matches the digest settles without listing them (other watchlists) ride on the last page
    listed = {i for p in out for i in p.match_ids}
    rest = tuple(i for i in digest.match_ids if i not in listed)
    out[-1] = Page(out[-1].text, out[-1].match_ids + rest)
    return out
