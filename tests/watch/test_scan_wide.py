"""Text with CJK characters is scanned as UTF-16 code units (scan.py): hits keep their character positions,
also next to characters beyond the BMP (emoji, CJK extension B), and phrases made of such characters hit."""

from __future__ import annotations

import pytest

from bot.watch import Matcher, Term, Watchlist

MATCHER = Matcher([Watchlist(id="w", name="w", any=tuple(Term(t) for t in ("半导体", "🚀 launch", "chip", "𠮷野家")))])


@pytest.mark.parametrize(("title", "hits"), [
    ("🚀 launch of 半导体 chip", [("🚀 launch", "🚀 launch"), ("半导体", "半导体"), ("chip", "chip")]),
    ("😀半导体😀 chips", [("半导体", "半导体")]),  # "chips" is no whole-word "chip"
    ("𠮷野家 opens, 🚀 launch", [("𠮷野家", "𠮷野家"), ("🚀 launch", "🚀 launch")]),
    ("x\ud800半导体 chip", [("半导体", "半导体"), ("chip", "chip")]),  # a lone surrogate is one character too
    ("芯片chip行业", [("chip", "chip")]),
    ("导体半导", []),  # no hit straddles two characters
])
def test_hits_point_at_their_text(title: str, hits: list[tuple[str, str]]) -> None:
    found = [(h.pattern, h.text, h.span) for m in MATCHER.match({"title": title}) for h in m.hits]
    assert [(p, t) for p, t, _ in found] == hits
    assert all(title[a:b] == t for _, t, (a, b) in found)
