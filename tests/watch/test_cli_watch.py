"""`watchbot match` and `watchbot rules check|test|backtest`, run through their argparse parsers."""

from __future__ import annotations

import argparse
import io
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import match, rules
from bot.errors import WatchbotError
from bot.items.normalize import Item
from bot.store.sqlite import SqliteStore
from bot.watch import Hit, Match

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="watchbot")
    sub = p.add_subparsers(dest="command", required=True)
    match.register(sub)
    rules.register(sub)
    return p


def run(argv: list[str], capsys: pytest.CaptureFixture[str], stdin: str | None = None) -> tuple[int, str, str]:
    args = parser().parse_args(argv)
    if stdin is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(stdin.encode()))
    try:
        code = args.func(args)
    finally:
        sys.stdin = sys.__stdin__
    out = capsys.readouterr()
    return code, out.out, out.err


def test_match_jsonl_one_line_per_item_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        {"id": "en-001", "title": "ASML shares rise", "lede": "", "extra": 1},
        {"id": "x", "title": "Potato chip prices", "lede": ""},
        {"id": 3, "title": "中國實施出口管制", "lede": ""},
    ]
    body = "\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n\nnot json\n{\"title\": \"no id\"}\n"
    code, out, _ = run(["match", "--input", "-", "--rules", str(RULES)], capsys, body)
    got = [json.loads(line) for line in out.splitlines()]
    assert code == 1  # two bad lines
    assert [g["id"] for g in got] == ["en-001", "x", 3, None, None]
    assert got[0]["matches"][0] == {
        "watchlist": "asml",
        "score": 100.0,
        "hits": [{"pattern": "ASML", "field": "title", "span": [0, 4], "text": "ASML", "score": 100.0}],
    }
    assert [m["watchlist"] for m in got[0]["matches"]] == ["asml", "semiconductors"]
    assert got[1]["matches"] == []
    assert [m["watchlist"] for m in got[2]["matches"]] == ["export-controls"]
    assert got[3] == {"id": None, "line": 5, "error": "not JSON: Expecting value at column 1"}
    assert got[4] == {"id": None, "line": 6, "error": "no 'id'"}


def test_match_reads_a_null_field_as_empty_and_names_a_field_of_the_wrong_type(
        capsys: pytest.CaptureFixture[str]) -> None:
    """Exports write null for a missing lede: that item is matched (it was refused as "'title' and 'lede' must be
    strings", without its id)."""
    body = '{"id": 1, "title": "ASML shares rise", "lede": null}\n{"id": "b", "title": ["x"]}\n'
    code, out, _ = run(["match", "--input", "-", "--rules", str(RULES)], capsys, body)
    first, second = (json.loads(line) for line in out.splitlines())
    assert code == 1 and first["matches"][0]["watchlist"] == "asml"
    assert second == {"id": "b", "line": 2, "error": "'title' must be a string (got list)"}


def test_match_clean_input_exits_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    f = tmp_path / "items.jsonl"
    f.write_text('  {"id": "a", "title": "TSMC", "lede": "wafer"}\n', encoding="utf-8")
    code, out, _ = run(["match", "--input", str(f), "--rules", str(RULES)], capsys)
    assert code == 0 and json.loads(out)["matches"][0]["watchlist"] == "semiconductors"


def test_match_feed_file(capsys: pytest.CaptureFixture[str]) -> None:
    feed = REPO / "seeds" / "rfi-feedx.xml"
    code, out, _ = run(["match", "--input", str(feed), "--rules", str(RULES)], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and rows
    assert all(r["id"].startswith("http") for r in rows)


def test_match_table(capsys: pytest.CaptureFixture[str]) -> None:
    body = '{"id": "a", "title": "Nvidia and ASML", "lede": ""}\n'
    code, out, _ = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys, body)
    assert code == 0
    assert out.splitlines()[0] == "a  asml (100), semiconductors (100)  Nvidia and ASML"
    assert "    asml: title: 'ASML' — phrase" in out
    assert "hit" not in out and "[11:15]" not in out


def test_match_table_puts_a_feed_items_title_first_and_its_link_below(capsys: pytest.CaptureFixture[str]) -> None:
    feed = REPO / "seeds" / "rfi-feedx.xml"
    code, out, _ = run(["match", "--input", str(feed), "--rules", str(RULES), "--format", "table"], capsys)
    first, link, why = out.splitlines()[:3]
    assert code == 0
    assert first == "semiconductors (100)  习近平对吕特说：任何力量都阻挡不了中国科技进步的步伐"
    assert link.startswith("    https://www.rfi.fr/cn/中国/20240327-习近平对吕特说")  # percent-escapes decoded to read
    assert why == "    semiconductors: lede: '半导体' — phrase"
    body = '{"id": "https://example.com/a%E2%80%AEb%0Ac-long-enough", "title": "Wafer fab opens", "lede": ""}\n'
    _, out, _ = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys, body)
    assert out.splitlines()[1] == "    https://example.com/a%E2%80%AEb%0Ac-long-enough"  # kept escaped: RLO, newline


def test_match_table_shows_any_id_a_json_line_gives_and_a_feed_item_without_a_link_by_its_place(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = '{"id": 7, "title": "ASML shares jump", "lede": ""}\n{"id": ["x", 1], "title": "Weather", "lede": ""}\n'
    code, out, _ = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys, body)
    assert code == 0 and out.splitlines()[0].startswith("7  asml (100)") and '["x", 1]  -  Weather' in out
    feed = tmp_path / "bare.xml"  # items with neither a link nor a GUID
    feed.write_text("<rss version='2.0'><channel><title>Bare</title><item><title>Sunny</title></item>"
                    "<item><title>ASML ships</title><description>x</description></item></channel></rss>")
    code, out, _ = run(["match", "--input", str(feed), "--rules", str(RULES)], capsys)
    assert code == 0 and [json.loads(line)["id"] for line in out.splitlines()] == ["#1", "#2"]
    code, out, _ = run(["match", "--input", str(feed), "--rules", str(RULES), "--format", "table"], capsys)
    assert out.splitlines()[:2] == ["#1  -  Sunny", "#2  asml (100), semiconductors (100)  ASML ships"]


def test_match_table_ends_with_a_count_per_watchlist_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    body = ('{"id": "a", "title": "Nvidia and ASML", "lede": ""}\n{"id": "b", "title": "Wafer fab opens", "lede": ""}\n'
            '{"id": "c", "title": "Rain in Paris", "lede": ""}\nnot json\n')
    code, out, err = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys, body)
    assert code == 1 and "line 4: not JSON" in out
    assert err.strip() == "3 items; matched: semiconductors 2, asml 1; 1 unreadable line (above)"
    code, _, err = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys, body[:-9])
    assert code == 0 and err.strip() == "3 items; matched: semiconductors 2, asml 1"
    code, _, err = run(["match", "--input", "-", "--rules", str(RULES), "--format", "table"], capsys,
                       '{"id": "c", "title": "Rain in Paris", "lede": ""}')
    assert err.strip() == "1 item; none matched"


def test_match_broken_rules_warn_and_no_rules_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.yaml").write_text("any: [wafer]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("any: [x]\nfuzy: 1\n", encoding="utf-8")
    code, out, err = run(["match", "--input", "-", "--rules", str(tmp_path)], capsys, '{"id": 1, "title": "wafer"}')
    assert code == 0 and json.loads(out)["matches"][0]["watchlist"] == "a"
    assert "b.yaml:2: unknown key 'fuzy' (did you mean 'fuzzy'?)" in err
    (tmp_path / "a.yaml").unlink()
    with pytest.raises(WatchbotError, match="no valid watchlist in .*: fix the 1 problem above"):
        run(["match", "--input", "-", "--rules", str(tmp_path)], capsys, '{"id": 1}')
    assert "b.yaml:2: unknown key 'fuzy'" in capsys.readouterr().err  # (the problem itself: a warning)


def test_match_unreadable_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(WatchbotError, match="cannot read the input"):
        run(["match", "--input", str(tmp_path / "nope.jsonl"), "--rules", str(RULES)], capsys)
    (tmp_path / "page.html").write_text("<html><body>hello</body></html>", encoding="utf-8")
    with pytest.raises(WatchbotError, match="neither JSON Lines nor a feed"):
        run(["match", "--input", str(tmp_path / "page.html"), "--rules", str(RULES)], capsys)


def test_rules_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "check", str(RULES)], capsys)
    assert code == 0 and "3 valid watchlists (asml, export-controls, semiconductors); 0 problems" in out
    (tmp_path / "a.yaml").write_text("any:\n  - {regex: '('}\nfuzy: 1\n", encoding="utf-8")
    code, out, _ = run(["rules", "check", str(tmp_path)], capsys)
    assert code == 1
    assert out.splitlines()[:2] == [
        f"{tmp_path}/a.yaml:2: any[0].regex: invalid regex '(': missing ), unterminated subpattern at position 0",
        f"{tmp_path}/a.yaml:3: unknown key 'fuzy' (did you mean 'fuzzy'?)",
    ]
    # in the file's order, whatever order the checks found them in (line 5 had come before line 2)
    (tmp_path / "a.yaml").write_text("id: t\nfuzzy: 40\nany:\n  - {term: a, fuzy: 3}\n  - {near: [[a], [b]], "
                                     "within: x}\nnme: y\n", encoding="utf-8")
    code, out, _ = run(["rules", "check", str(tmp_path)], capsys)
    assert [line.split(":")[1] for line in out.splitlines()[:4]] == ["2", "4", "5", "6"]


def test_rules_test_of_an_empty_title_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as usage:
        parser().parse_args(["rules", "test", "  ", "--rules", str(RULES)])
    assert usage.value.code == 2 and "the title is empty; write the headline to test" in capsys.readouterr().err


def test_rules_test_explains(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "test", "艾司摩爾股價大漲", "--lede", "半導體設備需求強勁", "--rules", str(RULES)], capsys)
    assert code == 0
    assert out.splitlines() == [
        "✓ asml (score 100)",
        "    title: '艾司摩爾' — phrase '艾司摩尔'",
        "✗ export-controls: no 'any' pattern hits the title or lede",
        "✓ semiconductors (score 100)",
        "    title: '艾司摩爾' — phrase '艾司摩尔'",
        "    lede: '半導體' — phrase '半导体'",
        "2 of 3 watchlists match",
    ]


def test_rules_test_names_the_except_phrase_a_word_was_inside(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "test", "高速出口處設禁令標誌", "--lede", "給狗植入寵物晶片", "--rules", str(RULES)], capsys)
    assert code == 0
    assert out.splitlines()[1:3] == [
        "✗ export-controls: no 'any' pattern hits the title or lede: '出口' in the title is inside the except "
        "phrase '出口处'",
        "✗ semiconductors: no 'any' pattern hits the title or lede: '晶片' in the lede is inside the except "
        "phrase '宠物晶片'",
    ]


def _item(n: int, title: str) -> Item:
    return Item(identity=f"v1:{n}", url=f"https://example.org/{n}", link=f"https://example.org/{n}", guid=None,
                title=title, lede="", language="en", published=None, feed_url="https://example.org/feed")


def test_rules_backtest(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    now = datetime.now(UTC)
    store = SqliteStore(tmp_path / "w.db")
    items = [_item(1, "ASML shares jump"), _item(2, "Potato chip maker recalls snacks"), _item(3, "Old news")]
    store.items.add(items, feed_name="f", now=now - timedelta(days=1))
    hit = Hit("chip", "title", (7, 11), "chip", 100.0)
    store.items.record_matches("v1:2", [Match("semiconductors", 100.0, (hit,))], now=now)  # an old false alert
    store.outbox.enqueue("v1:2", "console", "-", ["semiconductors"], now=now)
    mine = Hit("Old", "title", (0, 3), "Old", 100.0)  # (a chat's own phrase: not the rules tested; it was "gone")
    store.items.record_matches("v1:3", [Match("chat:1003", 100.0, (mine,))], now=now)
    store.close()
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///w.db"\n[rules]\npath = "{RULES}"\n', encoding="utf-8")
    code, out, _ = run(["rules", "backtest", "--since", "30d", "--config", str(config)], capsys)
    assert "chat:1003" not in out
    assert code == 0
    assert out.splitlines()[:5] == [
        "3 items stored in the last 30d",
        "watchlist                   now   then  alerted    new   gone",
        "asml                          1      0        0      1      0",
        "export-controls               0      0        0      0      0",
        "semiconductors                1      1        1      1      1",
    ]
    # each line says which words decide: now's for a gain, then's for a loss (it listed titles alone)
    assert "asml: would match now, did not then (1):\n  ASML shares jump  <https://example.org/1>  matched: ASML" in out
    assert "semiconductors: matched then, would not now (1):\n  Potato chip maker recalls snacks" in out
    assert "  matched: chip\n" in out


def test_rules_backtest_bad_since_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        run(["rules", "backtest", "--since", "lots"], capsys)
    assert exit_.value.code == 2
    assert "argument --since: not a duration (got 'lots')" in capsys.readouterr().err
    for command in (["rules", "backtest"], ["rules", "lint"], ["rules", "suggest"]):
        with pytest.raises(SystemExit):
            run([*command, "--since", "1000000d"], capsys)  # (now - 1,000,000 days: before the year 1)
        assert "argument --since: too long: at most 36500d (100 years) (got '1000000d')" in capsys.readouterr().err


def test_rules_backtest_without_a_store_creates_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\nurl = "sqlite:///w.db"\n[rules]\npath = "{RULES}"\n', encoding="utf-8")
    with pytest.raises(WatchbotError, match="no store yet"):
        run(["rules", "backtest", "--config", str(config)], capsys)
    assert not (tmp_path / "w.db").exists()


@pytest.mark.parametrize("command", [["match"], ["rules"], ["rules", "check"], ["rules", "test"], ["rules", "backtest"]])
def test_help_has_an_example(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        parser().parse_args([*command, "--help"])
    out = capsys.readouterr().out
    assert "Example:" in out and f"watchbot {' '.join(command)}" in out


def test_rules_test_says_a_file_with_problems_is_skipped(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """It printed the file's problems as "warning:" lines and matched on: whether the file counted was anyone's guess."""
    (tmp_path / "good.yaml").write_text("id: good\nany: [gallium]\n", encoding="utf-8")
    (tmp_path / "bad.yaml").write_text("id: bad\nany: [gallium]\nfuzy: 3\n", encoding="utf-8")
    code, out, err = run(["rules", "test", "--rules", str(tmp_path), "Gallium prices"], capsys)
    assert code == 0 and "✓ good" in out and "bad" not in out
    assert err.strip() == (f"watchbot: warning: {tmp_path}/bad.yaml:3: unknown key 'fuzy' (did you mean 'fuzzy'?) "
                           "(its file is skipped; `watchbot rules check` lists every problem)")


def test_a_rule_file_that_is_not_utf8_is_named_with_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file saved as Latin-1 said "'utf-8' codec can't decode byte 0xe9 in position 23"."""
    (tmp_path / "t.yaml").write_bytes("id: t\nany:\n  - café\n".encode("latin-1"))
    code, out, _ = run(["rules", "check", str(tmp_path)], capsys)
    assert code == 1 and out.splitlines()[0] == f"{tmp_path}/t.yaml:3: not UTF-8 (byte 0xe9): save the file as UTF-8"


def test_rules_test_names_every_weak_word_that_did_not_count(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Two weak words deep in a lede: only the first was named."""
    (tmp_path / "x.yaml").write_text("id: x\nany:\n  - {term: chip, weak: true}\n  - {term: 芯片, weak: true}\n"
                                     "  - semiconductor\n", encoding="utf-8")
    code, out, _ = run(["rules", "test", "Quarterly results", "--lede", "Sales rose. It also makes a chip and 芯片 "
                        "parts.", "--rules", str(tmp_path)], capsys)
    lines = out.splitlines()
    assert code == 0 and lines[0].startswith("✗ x: no 'any' pattern counts: weak word 'chip' did not count")
    assert lines[1].startswith("    (not counted) weak word '芯片' did not count: only in the lede's 2nd sentence")
