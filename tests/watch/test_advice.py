"""What `rules check` and the web editor warn a watchlist's author of (bot/watch/advice.py)."""

from __future__ import annotations

from pathlib import Path

from bot.watch import load_rules, parse_watchlist, rule_warnings
from bot.watch.advice import short_warnings

RULES = Path(__file__).resolve().parents[2] / "rules"


def test_a_latin_term_of_one_or_two_letters_in_any_case_is_warned_of() -> None:
    """{term: a} hit 3,383 of 6,394 corpus items and passed `rules check`, the editor and backtest without a word."""
    text = ("id: minerals\nany:\n  - {term: a}\n  - Ge\n  - {term: GE, case: true}\n  - 镓\n  - gallium\n"
            "  - near: [[Ga, gallium], [export]]\n")
    w, errors = parse_watchlist(text, path=Path("rules/minerals.yaml"))
    assert w is not None, errors
    lines = short_warnings(w)
    assert [line.split(": ", 1)[1].split(" matched")[0] for line in lines] == [
        "watchlist 'minerals', any: 'a' is 1 letter", "watchlist 'minerals', any: 'Ge' is 2 letters",
        "watchlist 'minerals', any: 'Ga' is 2 letters"]  # not GE with case: true, nor 镓 (a word: gallium)
    assert all(line.startswith("rules/minerals.yaml: ") and "case: true}" in line for line in lines)


def test_one_chinese_character_common_in_news_is_warned_of() -> None:
    """台 passed every check and hit 台风, 舞台, 平台 and 出台: a QQ item "适时出台..." was alerted as Taiwan news. A rare
    character is a word of its own (镓, gallium; the shipped export-controls list has four such)."""
    text = "id: taiwan\nany:\n  - 台\n  - 臺\n  - 镓\n  - 台湾\n  - {term: 军, fuzzy: false}\n"
    w, errors = parse_watchlist(text, path=Path("rules/taiwan.yaml"))
    assert w is not None, errors
    lines = [line.split(": ", 1)[1] for line in short_warnings(w)]
    assert [line.split(" is one")[0] for line in lines] == [
        "watchlist 'taiwan', any: '台'", "watchlist 'taiwan', any: '臺'", "watchlist 'taiwan', any: '军'"]
    assert all("common in news, so it hits inside every word that holds it" in line for line in lines)


def test_a_phrase_written_like_a_regular_expression_is_warned_of() -> None:
    """"semi.*conductor", "TSMC|Samsung" and "\\bTSMC\\b" passed `rules check` and matched only themselves."""
    text = ('id: x\nany:\n  - "semi.*conductor"\n  - "chip(s)?"\n  - "\\\\bTSMC\\\\b"\n  - "TSMC|Samsung"\n'
            '  - "^Intel"\n  - "S&P 500"\n  - "U.S.-China"\n  - "[AI] news"\n  - "Q3 results."\n')
    w, errors = parse_watchlist(text, path=Path("rules/x.yaml"))
    assert w is not None, errors
    lines = rule_warnings(w, text)
    assert [line.split("'")[3] for line in lines] == ["semi.*conductor", "chip(s)?", "\\bTSMC\\b", "TSMC|Samsung",
                                                       "^Intel", "[AI] news"]
    assert lines[3].startswith("rules/x.yaml:6: watchlist 'x', any: 'TSMC|Samsung' looks like a regular expression")
    assert "write {regex: 'tsmc|samsung'} for a pattern (in lower case)" in lines[3]


def test_the_shipped_lists_draw_no_warning_at_all() -> None:
    assert [line for w in load_rules(RULES).watchlists for line in rule_warnings(w)] == []


def test_a_warning_names_the_line_of_what_it_warns_of_in_the_files_order() -> None:
    text = 'id: risky\nany:\n  - {term: Ge}\n  - {regex: "\\\\bchip\\\\b"}\n  - {term: chip, except: [potato crisps]}\n'
    w, errors = parse_watchlist(text, path=Path("rules/risky.yaml"))
    assert w is not None, errors
    placed = [line.split(" watchlist")[0] for line in rule_warnings(w, text)]
    assert placed == ["rules/risky.yaml:3:", "rules/risky.yaml:4:", "rules/risky.yaml:5:"]
    assert [line.split(" watchlist")[0] for line in rule_warnings(w)] == ["rules/risky.yaml:"] * 3  # (no text: no line)


def test_a_watchlist_of_ten_thousand_patterns_is_warned_of() -> None:
    """100,000 terms were accepted without a word; every reload then took 2.5 s and 450 MB more."""
    from bot.watch.advice import MANY_PATTERNS, size_warnings

    def listing(n: int) -> str:
        return "id: big\nany:\n" + "".join(f"  - term{i} word{i}\n" for i in range(n))

    small, _ = parse_watchlist(listing(MANY_PATTERNS - 1), path=Path("rules/big.yaml"))
    big, _ = parse_watchlist(listing(MANY_PATTERNS), path=Path("rules/big.yaml"))
    assert small is not None and big is not None and size_warnings(small) == []
    assert size_warnings(big) == ["rules/big.yaml: watchlist 'big': 10,000 patterns; every reload of the rules builds "
                                  "them all again (100,000 took 2.5 s and 450 MB): keep a watchlist to the words that "
                                  "decide, or split it by topic"]
