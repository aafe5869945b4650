"""Golden files: each seeds/NAME.xml parses and normalizes to exactly seeds/NAME.expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.feeds.parse import parse_feed
from bot.items.normalize import normalize

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
CASES = sorted(p for p in SEEDS.glob("*.xml") if p.with_suffix(".expected.json").exists())


def _render(path: Path) -> dict[str, object]:
    feed_url = f"seeds/{path.name}"
    parsed = parse_feed(path.read_bytes(), url=feed_url)
    items = []
    for entry in parsed.entries:
        item = normalize(entry, feed_url=feed_url, feed_title=parsed.title)
        fields = {name: getattr(item, name) for name in item.__slots__}
        fields["published"] = item.published.isoformat() if item.published else None
        items.append(fields)
    return {"feed": {"title": parsed.title, "link": parsed.link, "language": parsed.language}, "items": items}


def test_there_is_a_golden_seed() -> None:
    assert [p.name for p in CASES] == ["rfi-feedx.xml"]


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_seed_matches_its_golden_file(path: Path) -> None:
    expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
    assert _render(path) == expected


def test_seed_lede_is_the_bold_opening_paragraph_without_furniture() -> None:
    (item,) = _render(SEEDS / "rfi-feedx.xml")["items"]  # type: ignore[misc]
    lede = item["lede"]
    assert lede.startswith("中国国家主席习近平在北京与荷兰首相马克·吕特交谈时确认")
    assert lede.endswith("任何力量都阻挡不了中国科技进步的步伐”。")
    for furniture in ("获取更多RSS", "分享", "feedx", "http", "16:17", "<"):
        assert furniture not in lede
    assert item["language"] == "zh"
    assert item["published"] == "2024-03-27T15:17:00+00:00"
