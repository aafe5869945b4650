"""The compiled hot loops (bot/watch/_speedups.c) give exactly what their Python twins give (speedups.py).

Each function is run both ways on the same input, with fresh ``found`` dicts, over the labeled texts and over
generated ones (hyphens, apostrophes, accents, combining marks, CJK, characters beyond the BMP, lone surrogates), and
the results must be equal, order of hits and float scores included. Then the whole matcher: the same items matched in
this process and in one with ``WATCHBOT_PURE_PYTHON=1`` give the same matches.

Where the module is not built (no C compiler at install) these tests skip; CI sets ``WATCHBOT_REQUIRE_COMPILED=1``,
which turns the skip into a failure, since the compiled loops are what keeps every chat's phrases within issue 14's
cost.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.watch import Matcher, load_rules, speedups
from bot.watch.match import flagged_py
from bot.watch.packed import packed
from bot.watch.pairs import file_pairs, filed, pair_hits_py
from bot.watch.personal import personal_id
from bot.watch.plain import plain_hits_py
from bot.watch.scan import Scanner
from bot.watch.text import fold, phrase_key, view
from bot.watch.wordscan import next_bit, next_bitmap, whole_words_py
from tests.watch.test_plain import texts, vocabulary

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compiled():  # noqa: ANN201 - the module, typed as any module
    if speedups.compiled is None:
        why = ("bot/watch/_speedups.c is not built (no C compiler where the package was installed, or "
               "WATCHBOT_PURE_PYTHON=1): install gcc and run `pip install -e .` again")
        if os.environ.get("WATCHBOT_REQUIRE_COMPILED") == "1":
            pytest.fail(why + " (WATCHBOT_REQUIRE_COMPILED=1)")
        pytest.skip(why)
    return speedups.compiled


def viewed_texts() -> list[str]:
    return [view(fold(it[field]).text) for it in texts() for field in ("title", "lede")]


@pytest.fixture(scope="module")
def scanner() -> Scanner:
    """Every chat's phrases, as the combined matcher keys them: the labeled texts' words, word pairs and CJK pairs, a
    few of them misspelt, three-word phrases, hyphenated ones; typo tolerance on the long ones."""
    rng = random.Random(14)
    words = vocabulary(texts())
    keys = {phrase_key(w) for w in rng.sample(words, 6000)}
    keys |= {phrase_key(w[:-1] + "x") for w in rng.sample(words, 300) if len(w) > 7}  # near misses to find
    keys |= {k.replace(" ", "-") for k in rng.sample(sorted(k for k in keys if " " in k), 100)}
    keys |= {"export control rules", "the entity list", "semiconductor export controls", "ai-chip exports"}
    ordered = sorted(keys)
    return Scanner(ordered, [88 if len(k) >= 6 and k.isascii() else None for k in ordered])


def both_ways(scanner: Scanner, text: str, compiled) -> tuple[dict, dict]:  # noqa: ANN001
    """whole_words compiled and as the twin, each with its own found dict (the caches are shared: they hold what
    each word is, the same either way)."""
    got: dict = {}
    want: dict = {}
    args = (scanner._info_cache, scanner._info, scanner._words, scanner._prefixes)
    compiled.whole_words(text, *args, got, scanner._typos.typing, scanner._next_bits)
    whole_words_py(text, *args, want, scanner._typos.typing, scanner._next_bits)
    return got, want


def test_the_word_pass_gives_the_same_hits_compiled_and_in_python(scanner: Scanner, compiled) -> None:  # noqa: ANN001
    hits = typos = 0
    for text in viewed_texts():
        got, want = both_ways(scanner, text, compiled)
        assert got == want, text
        assert [list(occs) for occs in got.values()] == [list(occs) for occs in want.values()]  # the same order
        hits += sum(map(len, got.values()))
        typos += sum(1 for occs in got.values() for occ in occs if occ[2] < 100)
    assert hits > 3000 and typos > 50  # whole words, longer phrases and typos really hit


TRICKY = st.sampled_from([
    "export", "controls", "control", "exports", "contrl", "entity", "list", "the", "ai", "chip", "chips",
    "semiconductor", "semiconducter", "rules", "-", " ", "  ", "'", "’", "é", "e\u0301", "_", "1", "2024",
    "芯片", "半导体", "出口", "管制", "𠮷", "😀", "\ud800", ",", ".", "\u3000", "ＡＩ",
])


@settings(max_examples=300, deadline=None)
@given(st.lists(TRICKY, max_size=40))
def test_the_word_pass_agrees_on_generated_text(scanner: Scanner, compiled, parts: list[str]) -> None:  # noqa: ANN001
    text = "".join(p if p in " -" else p + " " for p in parts)
    got, want = both_ways(scanner, text, compiled)
    assert got == want


def test_the_pair_bitmap_is_read_and_keeps_every_longer_phrase(scanner: Scanner, compiled) -> None:  # noqa: ANN001
    text = view(fold("New semiconductor export controls and the entity list, as export control rules go").text)
    got, want = both_ways(scanner, text, compiled)
    longer = {s for s, occs in want.items() if any(" " in text[a:b] for a, b, _ in occs)}
    assert got == want and len(longer) >= 3
    blind: dict = {}  # with no pair's bit set, the compiled pass finds no phrase of two words or more
    compiled.whole_words(text, scanner._info_cache, scanner._info, scanner._words, scanner._prefixes, blind,
                         scanner._typos.typing, bytes(len(scanner._next_bits)))
    assert blind and not longer & {s for s, occs in blind.items() if any(occ[2] == 100 for occ in occs)}


# Phrases of several words with long ones, for the typo windows (the compiled pass scores them itself, with rapidfuzz's
# Indel similarity; a string past 64 characters goes to Typos._window).
WINDOWED = ("export controls", "semiconductor export controls", "entity list additions",
            "extreme ultraviolet lithography", "chipmaking équipement", "advanced packaging lines",
            "s" + "e" * 66 + "n controls")
WINDOW_THRESHOLDS = (80, 85, 88, 90, 95)


@pytest.fixture(scope="module")
def windowed() -> dict[int, Scanner]:
    return {t: Scanner(list(WINDOWED), [t] * len(WINDOWED)) for t in WINDOW_THRESHOLDS}


MISSPELT = ("new semiconducter export contrls and entity lists additions, extrme ultraviolet lithograpy, chipmakng "
            "equipement, advanced packagin lines, s" + "e" * 65 + "n controls")


def test_typo_windows_score_alike_compiled_and_in_python(windowed: dict[int, Scanner], compiled) -> None:  # noqa: ANN001
    text = MISSPELT
    windows = 0
    for threshold, scanner in windowed.items():
        got, want = both_ways(scanner, text, compiled)
        assert got == want, threshold
        assert [list(occs) for occs in got.values()] == [list(occs) for occs in want.values()]
        windows += sum(1 for occs in got.values() for a, b, score in occs if score < 100 and " " in text[a:b])
    assert windows >= 12  # typo hits of several words, at every threshold (the long word's through Python)


def test_typo_windows_refuse_another_word_compiled_and_in_python(windowed: dict[int, Scanner],
                                                                              compiled) -> None:  # noqa: ANN001
    """"sexport contrls": "contrls" anchors the window, and "sexport" is another word than "export", however similar
    (typos.another_word), as is "exprt", shorter than a long word; "exportt contrls" is a misspelling. In "exportt
    contrails", "exportt" anchors the window and "contrails" is an English word of its own, 82% alike "controls": the
    compiled window test asks another_word in Python. Both ways alike."""
    for text, hits in (("new sexport contrls rules", False), ("new exprt contrls rules", False),
                       ("new exportt contrails rules", False), ("new exportt contrls rules", True)):
        for threshold, scanner in windowed.items():
            got, want = both_ways(scanner, text, compiled)
            assert got == want, text
            assert bool(got.get(0)) is (hits and threshold <= 90), text  # slot 0: "export controls" (93.3 alike)


@pytest.mark.parametrize("length", [63, 64, 65])
def test_typo_windows_at_the_64_character_bound(length: int, compiled) -> None:  # noqa: ANN001
    """Up to 64 characters a window is scored in C (the bit-parallel count's whole word), past them in Python: a
    phrase and its misspelt window of about that length score alike either way, and hit."""
    long = "b" + "o" * (length - len(" controls") - 2) + "k"
    phrase = f"{long} controls"
    assert len(phrase) == length
    scanner = Scanner([phrase, "controls"], [85, None])
    # (a letter doubled at the end is a typo; another letter there makes another word: "magneto", "batter"+"y")
    for text in (f"the {long} controlls", f"the {long[:-2]}k contrls", f"the {long}k controls"):
        got, want = both_ways(scanner, text, compiled)
        assert got == want, text
        assert 0 in got and got[0][0][2] < 100, text  # the typo hit of the whole phrase


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_typo_windows_agree_on_generated_misspellings(windowed: dict[int, Scanner], compiled,  # noqa: ANN001
                                                     data: st.DataObject) -> None:
    words = []
    for w in data.draw(st.sampled_from(WINDOWED)).split(" "):
        for _ in range(data.draw(st.integers(0, 3))):
            i = data.draw(st.integers(0, len(w)))
            c = data.draw(st.sampled_from("aeiorstxéü-"))
            w = data.draw(st.sampled_from([w[:i] + c + w[i:], w[:i] + w[i + 1:], w[:i] + c + w[i + 1:]]))
        words.append(w)
    text = view(fold(f"new {' '.join(words)} rules").text)
    got, want = both_ways(windowed[data.draw(st.sampled_from(WINDOW_THRESHOLDS))], text, compiled)
    assert got == want


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=1, max_size=12), st.text(min_size=1, max_size=12)), max_size=300))
def test_every_pair_has_its_bit_and_the_bitmap_stays_sparse(pairs: list[tuple[str, str]]) -> None:
    bits = next_bitmap(pairs)
    size = len(bits) * 8
    assert size >= 1024 and size & (size - 1) == 0 and size >= 16 * len(pairs)
    shift = 64 - size.bit_length() + 1
    for a, b in pairs:
        bit = next_bit(hash(a), hash(b), shift)
        assert bits[bit >> 3] >> (bit & 7) & 1
    assert sum(bin(byte).count("1") for byte in bits) <= len(pairs)


def test_chinese_pairs_agree_and_find_every_occurrence(compiled) -> None:  # noqa: ANN001
    rng = random.Random(3)
    chinese = [w for w in vocabulary(texts()) if filed(w)]
    phrases = rng.sample(chinese, 1500) + ["半导体", "半导体设备", "𠮷野家", "体半"]
    pairs = file_pairs(enumerate(phrases))
    found_any = 0
    for text in viewed_texts() + ["半导体设备半导体", "𠮷野家😀半导体", "导体半导", "x\ud800半导体"]:
        got: dict = {}
        want: dict = {}
        compiled.pair_hits(text, *pairs, got)
        pair_hits_py(text, *pairs, want)
        assert got == want, text
        brute = {}
        for slot, phrase in enumerate(phrases):
            at = [i for i in range(len(text)) if text.startswith(phrase, i)]
            if at:
                brute[slot] = [(i, i + len(phrase), 100.0) for i in at]
        assert dict(sorted(got.items())) == dict(sorted(brute.items())), text
        found_any += len(got)
    assert found_any > 100


def test_plain_hits_agree(compiled) -> None:  # noqa: ANN001
    rng = random.Random(8)
    words = vocabulary(texts())
    phrases = {personal_id(n): rng.sample(words, 10) for n in range(1, 2001)}
    matcher = Matcher([], phrase_lists=phrases)
    simple = matcher._plain._simple
    compared = 0
    for it in texts():
        scanned, _ = matcher._scan(it)
        for f in scanned.values():
            got: list = []
            want: list = []
            assert compiled.plain_hits(f.found, simple, f, got) == plain_hits_py(f.found, simple, f, want)
            assert got == want
            compared += len(got)
    assert compared > 500


def test_flagged_agrees(compiled) -> None:  # noqa: ANN001
    """The slots the general watchlists read, picked from a field's found ones: the matcher's own bitmap (the shipped
    lists' triggers and `near` lists among 2,000 chats' phrases), and random bitmaps, short ones included."""
    rng = random.Random(9)
    words = vocabulary(texts())
    matcher = Matcher(load_rules(ROOT / "rules").watchlists,
                      phrase_lists={personal_id(n): rng.sample(words, 10) for n in range(1, 2001)})
    bitmaps = [matcher._general, b"", b"\x01", bytes(rng.randrange(256) for _ in range(400))]
    picked = 0
    for it in texts():
        scanned, _ = matcher._scan(it)
        for f in scanned.values():
            for bits in bitmaps:
                got = compiled.flagged(f.found, bits)
                assert got == flagged_py(f.found, bits)
                assert all(s in f.found for s in got)
            picked += len(compiled.flagged(f.found, matcher._general))
    assert picked > 50


def test_the_compiled_loops_keep_no_memory_from_one_text_to_the_next(scanner: Scanner, windowed: dict[int, Scanner],
                                                                    compiled) -> None:  # noqa: ANN001
    """A reference the C code forgets to drop would pile up with every text: after a first pass (the caches filled),
    more passes over the same texts must leave the traced memory where it was."""
    import gc
    import tracemalloc

    texts_ = viewed_texts()
    rng = random.Random(2)
    chinese = [w for w in vocabulary(texts()) if filed(w)]
    pairs = file_pairs(enumerate(rng.sample(chinese, 500)))
    simple = [("p", [0])] * len(scanner.keys)

    def one_pass() -> None:
        for text in texts_:
            found: dict = {}
            both_ways(scanner, text, compiled)
            compiled.pair_hits(text, *pairs, found)
            compiled.plain_hits(found, simple, None, [])
            compiled.flagged(found, b"\xff" * 64)
        for _ in range(100):  # typo windows tested in C (a dozen hits a text), and the long one in Python
            for scanner_ in windowed.values():
                both_ways(scanner_, MISSPELT, compiled)

    one_pass()
    tracemalloc.start()
    try:
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(3):
            one_pass()
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 64_000, f"{grown:,} bytes more after three passes over {len(texts_)} texts"


def test_bad_arguments_raise_instead_of_crashing(compiled) -> None:  # noqa: ANN001
    with pytest.raises(TypeError):
        compiled.whole_words("text", {}, None, {}, set(), {})  # six arguments, not seven
    with pytest.raises(TypeError, match="info"):
        compiled.whole_words("a b", {"a": "not a tuple"}, None, {}, set(), {}, ({}, None, None, None))
    for bits in ("not bytes", b"", b"\x00" * 3):
        with pytest.raises(TypeError, match="next_bits"):
            compiled.whole_words("a b", {}, None, {}, set(), {}, ({}, None, None, None), bits)
    filed_ = file_pairs([(4, "半导体")])
    with pytest.raises(TypeError):
        compiled.pair_hits("半导体", b"short", filed_.buckets, filed_.records, {})
    for buckets in (b"", bytes(48), filed_.buckets[:-1], {}):  # none, three buckets, cut short, a dict of before
        with pytest.raises(TypeError):
            compiled.pair_hits("半导体", filed_.bits, buckets, filed_.records, {})
    for records in (filed_.records[:4], filed_.records[:-1], packed([4, 1, 0])):  # without its length, cut, length 1
        with pytest.raises(TypeError, match="records|C ints"):
            compiled.pair_hits("半导体", filed_.bits, filed_.buckets, records, {})
    found: dict = {}
    compiled.pair_hits("的半导体", *filed_, found)
    assert found == {4: [(1, 4, 100.0)]}
    with pytest.raises(TypeError):
        compiled.plain_hits({1: "not a list"}, [("p", [0]), ("q", [1])], None, [])
    with pytest.raises(TypeError):
        compiled.flagged({"not a slot": []}, b"\xff")
    with pytest.raises(TypeError):
        compiled.flagged({1: []}, "not bytes")
    with pytest.raises(TypeError, match="word's info"):  # slots as a tuple of ints, not packed
        compiled.whole_words("a b", {"a": ((1,), {}, ()), "b": (b"", {}, ())}, None, {}, set(), {}, ({}, None, None, None))
    with pytest.raises(TypeError, match="word's info"):  # packed slots cut short
        compiled.whole_words("a b", {"a": (b"\x01\x00", {}, ()), "b": (b"", {}, ())}, None, {}, set(), {},
                             ({}, None, None, None))
    for entry in ("not packed", ((1,), True), b"", packed([1])[:3]):
        with pytest.raises(TypeError, match="next word's entry"):
            compiled.whole_words("a b", {"a": (b"", {"b": entry}, ()), "b": (b"", {}, ())}, None, {}, set(), {},
                                 ({}, None, None, None))
    for singles in (((5, 91.7),), packed([5])):  # the (slot, score) tuples of before; a slot without its score
        with pytest.raises(TypeError, match="singles are packed"):
            compiled.whole_words("a b", {"a": (b"", {}, (singles, ())), "b": (b"", {}, ())}, None, {}, set(), {},
                                 ({}, None, None, None))
    found: dict = {}  # a close word's one-word phrase, slot 5 at 91.7 (tenths: 917)
    compiled.whole_words("a b", {"a": (b"", {}, (packed([5, 917]), ())), "b": (b"", {}, ())}, None, {}, set(), found,
                         ({}, None, None, None))
    assert found == {5: [(0, 1, 91.7)]}
    found = {}  # a well-formed entry: no longer phrase, slots 7 and 9
    compiled.whole_words("a b", {"a": (packed([3]), {"b": packed([0, 7, 9])}, ()), "b": (b"", {}, ())}, None, {},
                         set(), found, ({}, None, None, None))
    assert found == {3: [(0, 1, 100.0)], 7: [(0, 3, 100.0)], 9: [(0, 3, 100.0)]}


CHILD = """
import json, sys
from pathlib import Path
from bot.watch import Matcher, load_rules, speedups
spec = json.load(sys.stdin)
matcher = Matcher(load_rules(Path(spec["rules"])).watchlists, phrase_lists=spec["phrases"])
out = [[(m.watchlist, m.score, [(h.pattern, h.field, list(h.span), h.score) for h in m.hits]) for m in matcher.match(it)]
       for it in spec["items"]]
print(json.dumps({"compiled": speedups.COMPILED, "matches": out}))
"""


def matched_both_ways(spec: dict) -> tuple[dict, dict]:
    """The matches of ``spec`` (CHILD's input) in a child with the Python twins, then in one with the compiled loops."""
    def run(pure: bool) -> dict:
        env = {**os.environ, "WATCHBOT_PURE_PYTHON": "1" if pure else "0"}
        out = subprocess.run([sys.executable, "-c", CHILD], input=json.dumps(spec), capture_output=True, text=True,
                             env=env, cwd=ROOT, check=True, timeout=300)
        return json.loads(out.stdout)

    return run(True), run(False)


def test_the_shipped_lists_alone_match_alike_with_and_without_the_compiled_loops(compiled) -> None:  # noqa: ANN001
    """Compiled, even a few Chinese phrases are filed by their first two characters (scan.py), not left in the
    automaton as the twins have them: the shipped lists' Chinese hits must come out the same, spans included."""
    items = texts()
    pure, fast = matched_both_ways({"rules": str(ROOT / "rules"), "items": items, "phrases": {}})
    assert (pure["compiled"], fast["compiled"]) == (False, True)
    assert fast["matches"] == pure["matches"]
    chinese = [m for ms in fast["matches"] for m in ms
               if any("\u4e00" <= c <= "\u9fff" for h in m[2] for c in h[0])]
    assert len(chinese) >= 20  # the shipped lists' Chinese phrases really hit


def test_the_matcher_gives_the_same_matches_with_and_without_the_compiled_loops(compiled) -> None:  # noqa: ANN001
    rng = random.Random(21)
    items = texts()
    words = vocabulary(items)
    spec = {"rules": str(ROOT / "rules"), "items": items,
            "phrases": {personal_id(n): rng.sample(words, 10) for n in range(1, 3001)}}
    pure, fast = matched_both_ways(spec)
    assert (pure["compiled"], fast["compiled"]) == (False, True)
    assert fast["matches"] == pure["matches"]
    # and in this process, too (the same code as the child's, in-process)
    matcher = Matcher(load_rules(ROOT / "rules").watchlists, phrase_lists=spec["phrases"])
    here = [[(m.watchlist, m.score, [(h.pattern, h.field, list(h.span), h.score) for h in m.hits])
             for m in matcher.match(it)] for it in items]
    assert json.loads(json.dumps(here)) == fast["matches"]
    alerted = sum(1 for ms in fast["matches"] for m in ms if m[0].startswith("chat:"))
    assert alerted > 1000  # the chats' phrases really matched
