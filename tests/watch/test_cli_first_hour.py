"""Rule commands as a newcomer meets them (issue 12): files, empty folders, the config's rules.path,
input that is no item file, and usage errors. Run through ``bot.cli.main`` for the exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main

REPO = Path(__file__).resolve().parents[2]
RULES = REPO / "rules"


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as e:  # argparse: usage errors
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_rules_check_one_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "check", str(RULES / "asml.yaml")], capsys)
    assert code == 0 and out == f"{RULES / 'asml.yaml'}: 1 valid watchlist (asml); 0 problems\n"


def test_rules_check_one_broken_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.yml").write_text("any:\n  - gallium\n     - germanium\n", encoding="utf-8")
    code, out, _ = cli(["rules", "check", str(tmp_path / "x.yml")], capsys)
    assert code == 1
    assert out.splitlines()[0] == (
        f"{tmp_path}/x.yml:3: '- germanium' is indented under 'gallium' (line 2) and became part of the phrase "
        "'gallium - germanium'; put each '-' at the same indentation"
    )


def test_rules_check_an_empty_folder_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.txt").write_text("no rules here", encoding="utf-8")
    code, out, err = cli(["rules", "check", str(tmp_path)], capsys)
    assert (code, out) == (1, "")
    assert err == f"watchbot: error: no watchlists in {tmp_path}: add a .yaml file, see rules/ in the repo\n"


def test_rules_check_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(["rules", "check", str(tmp_path / "rulez")], capsys)
    assert code == 1 and err == f"watchbot: error: {tmp_path / 'rulez'}: no such file or folder\n"


def test_rules_check_reads_yml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "gallium.yml").write_text("any: [gallium]\n", encoding="utf-8")
    code, out, _ = cli(["rules", "check", str(tmp_path)], capsys)
    assert code == 0 and "1 valid watchlist (gallium)" in out


def test_backtest_bad_duration_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(["rules", "backtest", "--since", "30days"], capsys)
    assert code == 2 and out == ""
    assert "argument --since: not a duration (got '30days'); write e.g. 24h, 7d or 90m" in err


# --- the config's rules.path ----------------------------------------------------------------------

@pytest.fixture
def configured(tmp_path: Path) -> Path:
    """A config whose rules.path is a folder with one watchlist that the shipped ones lack."""
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "gallium.yaml").write_text("any: [gallium]\n", encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text('[rules]\npath = "mine"\n', encoding="utf-8")
    return config


def items(tmp_path: Path) -> Path:
    f = tmp_path / "items.jsonl"
    f.write_text('{"id": "g", "title": "Gallium prices jump", "lede": ""}\n', encoding="utf-8")
    return f


def test_rule_commands_use_the_configs_rules_path(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tmp = configured.parent
    code, out, _ = cli(["rules", "check", "--config", str(configured)], capsys)
    assert code == 0 and out == f"{tmp / 'mine'}: 1 valid watchlist (gallium); 0 problems\n"
    code, out, _ = cli(["rules", "test", "Gallium prices jump", "--config", str(configured)], capsys)
    assert code == 0 and out.splitlines() == ["✓ gallium (score 100)", "    title: 'Gallium' — phrase 'gallium'",
                                              "1 of 1 watchlists match"]
    code, out, _ = cli(["match", "--input", str(items(tmp)), "--config", str(configured)], capsys)
    assert code == 0 and [m["watchlist"] for m in json.loads(out)["matches"]] == ["gallium"]


def test_rule_commands_read_config_toml_in_the_working_folder(
    configured: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(configured.parent)
    code, out, _ = cli(["rules", "check"], capsys)
    assert code == 0 and "1 valid watchlist (gallium)" in out
    items(configured.parent)
    code, out, _ = cli(["match", "--input", "items.jsonl"], capsys)
    assert code == 0 and [m["watchlist"] for m in json.loads(out)["matches"]] == ["gallium"]


def test_an_explicit_folder_wins_over_the_config(configured: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(["rules", "check", str(RULES), "--config", str(configured)], capsys)
    assert code == 0 and "3 valid watchlists" in out
    code, out, _ = cli(["rules", "test", "ASML", "--rules", str(RULES), "--config", str(configured)], capsys)
    assert code == 0 and "✓ asml" in out


def test_a_config_pointing_at_a_missing_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[rules]\npath = "nope"\n', encoding="utf-8")
    code, _, err = cli(["rules", "check", "--config", str(config)], capsys)
    assert code == 1 and err == f"watchbot: error: {tmp_path / 'nope'}: no such file or folder\n"


# --- match input that is no item file -------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "body", "kind"),
    [
        ("config.toml", '[storage]\nurl = "sqlite:///x.db"\n\n[[feeds]]\nurl = "https://example.org/rss"\n', "TOML"),
        ("notes.txt", "Gallium prices jumped today.\nMore tomorrow.\n", "plain text"),
        ("list.yaml", "any:\n  - gallium\n", "YAML"),
        ("items.json", '[{"id": "1", "title": "x"}]\n', "a JSON array (JSON Lines has one object per line, no enclosing [ ])"),
        ("page.html", "<!DOCTYPE html><html><body>hi</body></html>", "an HTML page (is this the page, not its feed?)"),
        ("empty.jsonl", "  \n\n", "an empty file"),
        ("data.xml", "<catalog><book>x</book></catalog>", "XML without an RSS or Atom feed in it"),
    ],
)
def test_match_names_what_the_input_looks_like(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, body: str, kind: str
) -> None:
    f = tmp_path / name
    f.write_text(body, encoding="utf-8")
    code, out, err = cli(["match", "--input", str(f), "--rules", str(RULES)], capsys)
    assert code == 1 and out == ""
    assert err == (f"watchbot: error: {f} is neither JSON Lines nor a feed (RSS/Atom/JSON Feed): it looks like "
                   f"{kind}; give one JSON object per line with id, title and lede, or a feed file\n")
    assert "broken JSON" not in err and "syntax error" not in err


def test_match_jsonl_with_one_bad_line_keeps_the_per_line_contract(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    f = tmp_path / "items.jsonl"
    f.write_text('{"id": "a", "title": "ASML"}\n{"id": "b", "title": oops}\n{"id": "c", "title": "x"}\n',
                 encoding="utf-8")
    code, out, _ = cli(["match", "--input", str(f), "--rules", str(RULES)], capsys)
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1 and [r["id"] for r in rows] == ["a", None, "c"]
    assert rows[1] == {"id": None, "line": 2, "error": "not JSON: Expecting value at column 22"}


@pytest.mark.parametrize("indent", [2, None])
def test_match_reads_a_json_feed(tmp_path: Path, capsys: pytest.CaptureFixture[str], indent: int | None) -> None:
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "t",
            "items": [{"id": "1", "url": "https://example.org/1", "title": "ASML shares jump"}]}
    f = tmp_path / "feed.json"
    f.write_text(json.dumps(feed, indent=indent), encoding="utf-8")
    code, out, _ = cli(["match", "--input", str(f), "--rules", str(RULES)], capsys)
    row = json.loads(out)
    assert code == 0 and row["id"] == "https://example.org/1" and row["matches"][0]["watchlist"] == "asml"
