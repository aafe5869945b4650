"""Loading rule files: every problem located file:line with a hint; broken files never stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.watch import Near, Regex, Term, load_rules, parse_watchlist


def errors_of(text: str, name: str = "rules/x.yaml") -> list[str]:
    w, errors = parse_watchlist(text, path=Path(name))
    assert w is None
    return [str(e) for e in errors]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("any: [asml]\nfuzy: 80\n", ["rules/x.yaml:2: unknown key 'fuzy' (did you mean 'fuzzy'?)"]),
        ("any:\n  - {trem: asml}\n", ["rules/x.yaml:2: unknown key 'trem' (did you mean 'term'?)"]),
        ("any:\n  - asml\n  - ''\n", ["rules/x.yaml:3: any[1]: empty pattern: write a word or phrase, or remove the line"]),
        ("any:\n  - asml\n  - {term: '  '}\n", ["rules/x.yaml:3: any[1].term: empty pattern: write a word or phrase, "
                                              "or remove the line"]),
        ("any:\n  - {regex: 'a(b'}\n",
         ["rules/x.yaml:2: any[0].regex: invalid regex 'a(b': missing ), unterminated subpattern at position 1"]),
        ("any:\n  - {regex: 'ASML'}\n",
         ["rules/x.yaml:2: any[0].regex: regex 'ASML' has upper-case 'A' but runs on lower-cased text: "
          "write it in lower case"]),
        ("any:\n  - {regex: 'a*'}\n",
         ["rules/x.yaml:2: any[0].regex: regex 'a*' matches the empty string, so it would hit every item"]),
        ("any:\n  - {term: asml, fuzzy: maybe}\n",
         ["rules/x.yaml:2: any[0].fuzzy: write false or a number from 50 to 100 (got 'maybe')"]),
        ("fields: [title, body]\nany: [x]\n",
         ["rules/x.yaml:1: fields[1]: Input should be 'title' or 'lede'"]),
        ("any:\n  - {near: [[export], []]}\n",
         ["rules/x.yaml:2: any[0].near: each near list needs at least one phrase"]),
        ("any: [a]\nany: [b]\n", ["rules/x.yaml:2: key 'any' appears twice"]),
        ("any: [a\n", ["rules/x.yaml:2: not valid YAML: expected ',' or ']', but got '<stream end>'"]),
        ("- a\n- b\n", ["rules/x.yaml:1: a watchlist is a mapping of keys (id, name, any, ...), not a list"]),
        ("", ["rules/x.yaml: the file is empty: a watchlist needs at least an 'any' list"]),
        ("name: x\n", ["rules/x.yaml:1: nothing to match: add an 'any' list of phrases"]),
        ("id: Bad Id\nany: [a]\n", ["rules/x.yaml:1: id: String should match pattern '^[a-z0-9][a-z0-9_-]*$'"]),
        ("any: [5]\n", ["rules/x.yaml:1: any[0]: a pattern is a phrase or a mapping with 'term', 'regex' or 'near' "
                        "(got 5)"]),
    ],
)
def test_errors(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


def test_several_problems_are_reported_at_once() -> None:
    errors = errors_of("any:\n  - ''\n  - {regex: '('}\nfuzy: 1\n")
    assert [e.split(":")[1] for e in errors] == ["2", "3", "4"]


def test_every_form() -> None:
    text = """
id: gallium
name: Gallium
description: "  Supply news.  "
fields: [title]
fuzzy: 85
any:
  - gallium
  - {term: GaN, case: true}
  - {term: germanium, fuzzy: false, except: [germanium lens]}
  - {term: gallium arsenide, fuzzy: 95}
  - {regex: 'ga(llium)? nitride'}
  - {near: [[export], [curb, curbs]], within: 3}
all:
  - [China, 中国]
none:
  - recipe
"""
    w, errors = parse_watchlist(text, path=Path("rules/g.yaml"))
    assert errors == [] and w is not None
    assert (w.id, w.name, w.description, w.fields, w.fuzzy) == ("gallium", "Gallium", "Supply news.", ("title",), 85)
    assert w.any == (
        Term("gallium", 85),
        Term("GaN", None, True),
        Term("germanium", None, False, ("germanium lens",)),
        Term("gallium arsenide", 95),
        Regex("ga(llium)? nitride"),
        Near((Term("export", 85),), (Term("curb", 85), Term("curbs", 85)), 3),
    )
    assert w.all == ((Term("China", 85), Term("中国", 85)),)
    assert w.none == (Term("recipe", 85),)
    assert w.source == Path("rules/g.yaml")


def test_defaults() -> None:
    w, _ = parse_watchlist("any: [x]\n", path=Path("rules/my-list.yaml"))
    assert w is not None
    assert (w.id, w.name, w.fields, w.fuzzy) == ("my-list", "my-list", ("title", "lede"), 90)
    w, _ = parse_watchlist("any: [x]\nfuzzy: false\n", path=Path("rules/a.yaml"))
    assert w is not None and w.any == (Term("x", None),)


def test_broken_and_duplicate_files_are_skipped_and_reported(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("id: chips\nany: [chip]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("id: chips\nany: [wafer]\n", encoding="utf-8")
    (tmp_path / "c.yaml").write_text("any: [x]\nfuzy: 1\n", encoding="utf-8")
    (tmp_path / "d.yaml").write_text("any: [gallium]\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a rule file", encoding="utf-8")
    rules = load_rules(tmp_path)
    assert [w.id for w in rules.watchlists] == ["chips", "d"]
    assert [str(e).replace(str(tmp_path), "R") for e in rules.errors] == [
        "R/b.yaml:1: id 'chips' is already used by R/a.yaml: give one of them another id",
        "R/c.yaml:2: unknown key 'fuzy' (did you mean 'fuzzy'?)",
    ]


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    rules = load_rules(tmp_path / "nope")
    assert rules.watchlists == () and "no such folder" in str(rules.errors[0])


def test_file_name_that_is_no_id() -> None:
    assert errors_of("any: [x]\n", "rules/My List.yaml") == [
        "rules/My List.yaml:1: the file name 'My List' is no valid id: add a line 'id: my-list'"
    ]
