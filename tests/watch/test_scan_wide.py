"""With many phrases, text with CJK characters is scanned as UTF-16 code units (scan.py): hits keep their
character positions, also next to characters beyond the BMP (emoji, CJK extension B), and phrases made of such
characters hit; a small matcher scans characters, with the same results."""

from __future__ import annotations

import pytest

from bot.watch import Matcher, Term, Watchlist
from bot.watch.scan import _WIDE_FROM

PHRASES = ("半导体", "🚀 launch", "chip", "𠮷野家", "体半")
# Two-character phrases none of the titles below holds, enough to scan CJK text as UTF-16 units.
FILLER = tuple(chr(0x5000 + i) + chr(0x6000 + i) for i in range(_WIDE_FROM))
MATCHERS = {
    "small": Matcher([Watchlist(id="w", name="w", any=tuple(Term(t) for t in PHRASES))]),
    "large": Matcher([Watchlist(id="w", name="w", any=tuple(Term(t) for t in PHRASES)),
                      Watchlist(id="x", name="x", any=tuple(Term(t) for t in FILLER))]),
}


@pytest.mark.parametrize(("title", "hits"), [
    ("🚀 launch of 半导体 chip", [("🚀 launch", "🚀 launch"), ("半导体", "半导体"), ("chip", "chip")]),
    ("😀半导体😀 chips", [("半导体", "半导体")]),  # "chips" is no whole-word "chip"
    ("𠮷野家 opens, 🚀 launch", [("𠮷野家", "𠮷野家"), ("🚀 launch", "🚀 launch")]),
    ("x\ud800半导体 chip", [("半导体", "半导体"), ("chip", "chip")]),  # a lone surrogate is one character too
    ("芯片chip行业", [("chip", "chip")]),
    ("导体半导", [("体半", "体半")]),
    ("乏卓䨀", []),  # its UTF-16 units 4e4f 5353 4a00 hold those of 体半 (4f53 534a), straddling characters
])
@pytest.mark.parametrize("size", sorted(MATCHERS))
def test_hits_point_at_their_text(size: str, title: str, hits: list[tuple[str, str]]) -> None:
    found = [(h.pattern, h.text, h.span) for m in MATCHERS[size].match({"title": title}) for h in m.hits]
    assert [(p, t) for p, t, _ in found] == hits
    assert all(title[a:b] == t for _, t, (a, b) in found)
