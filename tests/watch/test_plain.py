"""Plain watchlists (only phrases: a chat's own) are matched together, with the same result as the general path."""

from __future__ import annotations

import gc
import json
import random
import re
from pathlib import Path

import pytest

from bot.watch import Matcher, Term, Watchlist
from bot.watch.plain import is_plain

LABELED = Path(__file__).resolve().parents[1] / "data" / "labeled"
VETO = "zzqxjv"  # a `none` phrase that never hits: the same list, evaluated by the general path


def texts() -> list[dict[str, str]]:
    found = []
    for path in sorted(LABELED.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            obj = json.loads(line)
            found.append({"title": obj["title"], "lede": obj["lede"]})
    return found


def vocabulary(items: list[dict[str, str]]) -> list[str]:
    words: set[str] = set()
    for it in items:
        text = f"{it['title']} {it['lede']}"
        tokens = re.findall(r"[A-Za-z]{3,}", text)
        words |= set(tokens) | {f"{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)}
        chars = "".join(re.findall(r"[\u4e00-\u9fff]", text))
        words |= {chars[i: i + 2] for i in range(len(chars) - 1)}
    return sorted(words)


@pytest.mark.parametrize("seed", range(3))
def test_plain_lists_match_exactly_as_the_general_path(seed: int) -> None:
    items = texts()
    rng = random.Random(seed)
    words = vocabulary(items)
    variants = [str.upper, str.lower, str.title, lambda w: w[:-1] + "x" if len(w) > 7 else w]  # typos too
    lists = [Watchlist(id=f"chat:{n}", name="", any=tuple(Term(rng.choice(variants)(w)) for w in rng.sample(words, 6)))
             for n in range(200)]
    general = [Watchlist(id=w.id, name="", any=w.any, none=(Term(VETO),)) for w in lists]
    assert all(is_plain(w) for w in lists) and not any(is_plain(w) for w in general)
    together, apart = Matcher(lists), Matcher(general)
    compared = 0
    for it in items:
        got = together.match(it)
        assert got == apart.match(it)
        found = together.find(it)  # what the pipeline calls: phrases found, one Match per list only on demand
        assert bool(found) == bool(got) and found.matches() == got
        compared += len(got)
    assert compared > 50  # the phrases really hit


def test_plain_and_general_lists_in_one_matcher_come_sorted_by_id() -> None:
    lists = [Watchlist(id="chat:2", name="", any=(Term("gallium"),)),
             Watchlist(id="b-general", name="", any=(Term("gallium"),), all=((Term("China"),),)),
             Watchlist(id="a-plain", name="", any=(Term("China"), Term("gallium")))]
    m = Matcher(lists)
    found = m.match({"title": "China curbs gallium", "lede": "Gallium again."})
    assert [x.watchlist for x in found] == ["a-plain", "b-general", "chat:2"]
    assert [(h.pattern, h.field, h.text) for h in found[0].hits] == [
        ("China", "title", "China"), ("gallium", "title", "gallium"), ("gallium", "lede", "Gallium")]
    assert [v.watchlist for v in m.explain({"title": "nothing", "lede": ""})] == ["a-plain", "b-general", "chat:2"]


@pytest.mark.parametrize(("watchlist", "plain"), [
    (Watchlist(id="x", name="", any=(Term("a"),)), True),
    (Watchlist(id="x", name="", any=(Term("a", case=True),)), False),
    (Watchlist(id="x", name="", any=(Term("a", excepts=("a b",)),)), False),
    (Watchlist(id="x", name="", any=(Term("a", weak=True),)), False),
    (Watchlist(id="x", name="", any=(Term("a"),), fields=("title",)), False),
    (Watchlist(id="x", name="", all=((Term("a"),),)), False),
])
def test_what_is_plain(watchlist: Watchlist, plain: bool) -> None:
    assert is_plain(watchlist) is plain


def test_phrase_lists_match_as_the_watchlists_of_their_phrases_would() -> None:
    """Matcher(phrase_lists=...) (every chat's own, handed over as text) gives what the same lists given as
    watchlists of those phrases give, sorted by list id among the watchlists; a list holding a phrase that
    folding would give another meaning (小醜: matched only as written) takes the general path, the others stay
    plain."""
    items = texts()
    words = vocabulary(items)
    rng = random.Random(5)
    lists = {f"chat:{n}": rng.sample(words, 5) for n in range(100)}
    lists["chat:7"] = [*lists["chat:7"], "小醜"]
    shared = [Watchlist(id="b-shared", name="", any=(Term("chip"),), none=(Term(VETO),))]
    as_text = Matcher(shared, phrase_lists=lists)
    as_watchlists = Matcher([*shared, *(Watchlist(id=i, name=i, any=tuple(map(Term, ps))) for i, ps in lists.items())])
    assert [w.id for w in as_text.watchlists] == ["b-shared", "chat:7"]  # (the general path: 小醜)
    assert as_text.list_ids == {"b-shared", *lists}
    compared = 0
    for it in [*items, {"title": "小醜 and a chip", "lede": ""}, {"title": "小丑", "lede": ""}]:
        got = as_text.match(it)
        assert got == as_watchlists.match(it)
        compared += len(got)
    assert compared > 50
    assert [m.watchlist for m in as_text.match({"title": "小醜 and a chip", "lede": ""})] == ["b-shared", "chat:7"]
    assert as_text.match({"title": "小丑", "lede": ""}) == []


@pytest.mark.parametrize("enabled", [True, False])
def test_building_a_matcher_leaves_the_garbage_collector_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        (gc.enable if enabled else gc.disable)()
        Matcher([Watchlist(id="chat:1", name="", any=(Term("gallium"),))])
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


@pytest.mark.parametrize("plain_fuzzy", [None, 90])
def test_a_phrase_stricter_than_another_list_on_the_same_words_takes_only_its_own_hits(plain_fuzzy: int | None) -> None:
    """The scanner reports typos down to the loosest threshold on a phrase's words (here another list's 80); a
    chat's phrase with no typo tolerance, or 90, still takes only the hits its own threshold allows."""
    chat = Watchlist(id="chat:1", name="", any=(Term("semiconductor", fuzzy=plain_fuzzy),))
    loose = Watchlist(id="loose", name="", any=(Term("semiconductor", fuzzy=80),), none=(Term(VETO),))
    matcher = Matcher([chat, loose])

    def lists(title: str) -> list[str]:
        found = matcher.find({"title": title})
        return sorted(m.watchlist for m in found.matches())

    assert lists("Semiconductor shortage") == ["chat:1", "loose"]
    assert lists("Semicondactor shortage") == (["chat:1", "loose"] if plain_fuzzy == 90 else ["loose"])  # 92
    assert lists("Semicandactor shortage") == ["loose"]  # 85: within 80 only
