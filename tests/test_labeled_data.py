"""Shape and counts of the labeled watchlist data in tests/data/labeled (issue 4, Quality).

These tests check the data itself, not the engine: valid labels, unique ids, both splits,
ASML implies semiconductors, enough positives and negatives per watchlist and language, and
that each language's items are written in the right script.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import opencc
import pytest

LABELED = Path(__file__).resolve().parent / "data" / "labeled"
FILES = {"en": "en.jsonl", "zh-Hans": "zh-hans.jsonl", "zh-Hant": "zh-hant.jsonl"}
WATCHLISTS = ("semiconductors", "asml", "export-controls")
KEYS = {"id", "lang", "title", "lede", "labels", "split", "note"}
MIN_POSITIVES = 30


def _load(lang: str) -> list[dict[str, object]]:
    path = LABELED / FILES[lang]
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"{path.name}:{number}: blank line"
        items.append(json.loads(line))
    return items


@pytest.fixture(scope="module")
def data() -> dict[str, list[dict[str, object]]]:
    return {lang: _load(lang) for lang in FILES}


def test_every_item_has_the_documented_shape(data: dict[str, list[dict[str, object]]]) -> None:
    for lang, items in data.items():
        for item in items:
            assert set(item) == KEYS, item["id"]
            assert item["lang"] == lang, item["id"]
            assert item["split"] in ("tune", "holdout"), item["id"]
            labels = item["labels"]
            assert isinstance(labels, list) and len(set(labels)) == len(labels), item["id"]
            assert set(labels) <= set(WATCHLISTS), item["id"]
            for field in ("title", "lede", "note"):
                value = item[field]
                assert isinstance(value, str) and value == value.strip() and value, (item["id"], field)
            assert len(str(item["lede"])) >= 25, item["id"]


def test_ids_are_unique_across_languages(data: dict[str, list[dict[str, object]]]) -> None:
    ids = Counter(str(item["id"]) for items in data.values() for item in items)
    assert [i for i, n in ids.items() if n > 1] == []


def test_asml_implies_semiconductors(data: dict[str, list[dict[str, object]]]) -> None:
    bad = [
        item["id"]
        for items in data.values()
        for item in items
        if "asml" in item["labels"] and "semiconductors" not in item["labels"]
    ]  # type: ignore[operator]
    assert bad == []


@pytest.mark.parametrize("lang", list(FILES))
@pytest.mark.parametrize("watchlist", WATCHLISTS)
def test_enough_positives_and_negatives(data: dict[str, list[dict[str, object]]], lang: str, watchlist: str) -> None:
    items = data[lang]
    positives = [item for item in items if watchlist in item["labels"]]  # type: ignore[operator]
    negatives = len(items) - len(positives)
    assert len(positives) >= MIN_POSITIVES
    assert negatives >= len(positives)
    for split in ("tune", "holdout"):
        assert any(item["split"] == split for item in positives), split


@pytest.mark.parametrize("lang", list(FILES))
def test_about_a_third_is_holdout_in_every_label_group(data: dict[str, list[dict[str, object]]], lang: str) -> None:
    groups: dict[tuple[str, ...], Counter[str]] = {}
    for item in data[lang]:
        key = tuple(sorted(item["labels"]))  # type: ignore[call-overload]
        groups.setdefault(key, Counter())[str(item["split"])] += 1
    for key, counts in groups.items():
        total = counts["tune"] + counts["holdout"]
        assert abs(counts["holdout"] - total / 3) <= 1, (key, counts)


def test_scripts_match_the_language(data: dict[str, list[dict[str, object]]]) -> None:
    t2s = opencc.OpenCC("t2s")
    for item in data["zh-Hant"]:
        text = f"{item['title']}\n{item['lede']}"
        assert t2s.convert(text) != text, f"{item['id']} has no Traditional forms"
    for item in data["zh-Hans"]:
        text = f"{item['title']}\n{item['lede']}"
        assert t2s.convert(text) == text, f"{item['id']} has Traditional forms"
    for item in data["en"]:
        text = f"{item['title']}\n{item['lede']}"
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text), f"{item['id']} has CJK characters"
    for lang in ("zh-Hans", "zh-Hant"):
        for item in data[lang]:
            assert any("\u4e00" <= ch <= "\u9fff" for ch in str(item["title"])), item["id"]


def test_hard_negatives_are_present(data: dict[str, list[dict[str, object]]]) -> None:
    """The scopes' named exclusions appear as negatives for the list they could fool."""

    def negatives(lang: str, watchlist: str) -> str:
        return "\n".join(f"{i['title']} {i['lede']}" for i in data[lang] if watchlist not in i["labels"]).lower()  # type: ignore[operator]

    en_semi = negatives("en", "semiconductors")
    for word in ("potato chips", "poker", "chocolate chip", "microchip", "semi truck", "superconductor", "chipotle"):
        assert word in en_semi, word
    en_asml = negatives("en", "asml")
    for word in ("asm international", "asmpt", "asmr"):
        assert word in en_asml, word
    en_ec = negatives("en", "export-controls")
    for word in ("tariff", "exports rose", "gun control", "traffic control", "currency controls"):
        assert word in en_ec, word
    assert "交通管制" in negatives("zh-Hans", "export-controls")
    assert "外汇管制" in negatives("zh-Hans", "export-controls")
    assert "笔芯" in negatives("zh-Hans", "semiconductors")
    assert "寵物晶片" in negatives("zh-Hant", "semiconductors")
    assert "交通管制" in negatives("zh-Hant", "export-controls")


CORPUS_JUDGMENTS = Path(__file__).resolve().parent / "data" / "corpus_on_topic.json"


def test_corpus_judgments_have_the_documented_shape() -> None:
    data = json.loads(CORPUS_JUDGMENTS.read_text(encoding="utf-8"))
    assert set(data) == {"key", *WATCHLISTS, "judged_off_topic_candidates"}
    assert isinstance(data["key"], str)
    on_topic: set[str] = set()
    for watchlist in WATCHLISTS:
        keys = [entry["key"] for entry in data[watchlist]]
        assert len(keys) == len(set(keys)), watchlist
        assert all("#" in key and entry["title"] for key, entry in zip(keys, data[watchlist], strict=True))
        on_topic |= set(keys)
    asml = {entry["key"] for entry in data["asml"]}
    assert asml <= {entry["key"] for entry in data["semiconductors"]}
    off = [entry["key"] for entry in data["judged_off_topic_candidates"]]
    assert len(off) == len(set(off)) and not set(off) & on_topic
    assert all(entry["why"] for entry in data["judged_off_topic_candidates"])


def test_corpus_judgments_name_real_corpus_entries(corpus_dir: Path) -> None:
    """Every judged key is an entry of the captured corpus (feed file + '#' + link or id)."""
    import feedparser

    data = json.loads(CORPUS_JUDGMENTS.read_text(encoding="utf-8"))
    keys = {e["key"] for w in (*WATCHLISTS, "judged_off_topic_candidates") for e in data[w]}
    by_file: dict[str, set[str]] = {}
    for key in keys:
        by_file.setdefault(key.split("#", 1)[0], set()).add(key)
    for name, wanted in by_file.items():
        parsed = feedparser.parse((corpus_dir / name).read_bytes(), sanitize_html=False, resolve_relative_uris=False)
        present = {f"{name}#{e.get('link') or e.get('id') or ''}" for e in parsed.entries}
        assert wanted <= present, sorted(wanted - present)
