"""Loading rule files: every problem located file:line with a hint; broken files never stop the others."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

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
         ["rules/x.yaml:2: any[0].fuzzy: must be a number from 50 to 100 or false (got 'maybe')"]),
        ("fields: [title, body]\nany: [x]\n",
         ["rules/x.yaml:1: fields[1]: must be title or lede (got 'body')"]),
        ("any:\n  - {near: [[export], []]}\n",
         ["rules/x.yaml:2: any[0].near: each near list needs at least one phrase"]),
        ("any: [a]\nany: [b]\n", ["rules/x.yaml:2: key 'any' appears twice"]),
        ("any: [a\n", ["rules/x.yaml:1: not valid YAML: a '[' opened on line 1 is not closed with ']' (" + (
            "did not find expected ',' or ']'" if yaml.__with_libyaml__  # (libyaml's wording: PyYAML's wheels have it)
            else "expected ',' or ']', but got '<stream end>'") + ")"]),
        ("- a\n- b\n", ["rules/x.yaml:1: a watchlist is a mapping of keys (id, name, any, ...), not a list"]),
        ("", ["rules/x.yaml: the file is empty: a watchlist needs at least an 'any' list"]),
        ("name: x\n", ["rules/x.yaml:1: nothing to match: add an 'any' list of phrases"]),
        ("id: Bad Id\nany: [a]\n", ["rules/x.yaml:1: id: must be lower-case letters, digits, '-' and '_' (got 'Bad Id'): "
                                    "write it as 'bad-id'"]),
        ("any: [5]\n", ["rules/x.yaml:1: any[0]: 5 is read as a number, not a phrase: put it in quotes, as '5'"]),
    ],
)
def test_errors(text: str, expected: list[str]) -> None:
    assert errors_of(text) == expected


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ('any:\n  - "ASML\n  - EUV\n', 2, "a quote opened on line 2 is never closed"),
        ("any:\n  - {term: asml, fuzzy: 80\nnone: [x]\n", 2, "a '{' opened on line 2 is not closed with '}'"),
        ("any:\n\t- ASML\n", 2, "a tab indents this line: YAML indents with spaces"),
        ("any:\n  - ASML\n - EUV\n", 3, "this line is indented unlike the lines above it"),
        ("name: ASML: news\nany: [a]\n", 1, "a second ': ' in one line: put a value that holds ': ' in quotes"),
    ],
)
def test_yaml_slips_are_named_in_words_on_the_line_to_fix(text: str, line: int, words: str) -> None:
    """The slips of hand-editing YAML: said in words, on the line that opened the quote or bracket."""
    (error,) = errors_of(text)
    assert error.startswith(f"rules/x.yaml:{line}: not valid YAML: {words}"), error


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
    assert rules.watchlists == () and "nope: no such file or folder" in str(rules.errors[0])


def test_file_name_that_is_no_id() -> None:
    assert errors_of("any: [x]\n", "rules/My List.yaml") == [
        "rules/My List.yaml:1: the file name 'My List' is no valid id: add a line 'id: my-list'"
    ]


MISINDENTED = """\
# yaml-language-server: $schema=./watchlist.schema.json
id: gallium
name: Gallium
description: Supply news on gallium
  - and germanium, in free text.
any:
  - gallium
     - germanium
  - indium
"""


def test_a_more_indented_dash_is_reported_not_folded_into_the_phrase() -> None:
    assert errors_of(MISINDENTED) == [
        "rules/x.yaml:8: '- germanium' is indented under 'gallium' (line 7) and became part of the phrase "
        "'gallium - germanium'; put each '-' at the same indentation"
    ]


@pytest.mark.parametrize(
    "text",
    [
        "any:\n  - gallium\n    - germanium\n",
        "any:\n- gallium\n  - germanium\n",
        "any: [a]\nnone:\n  - recipe\n     - cake\n",
        "any:\n  - near:\n      - [export]\n      - [ban\n         - curb]\n",
    ],
)
def test_misindented_lists_anywhere(text: str) -> None:
    errors = errors_of(text)
    assert len(errors) == 1 and "put each '-' at the same indentation" in errors[0]


def test_a_long_phrase_over_two_lines_is_fine() -> None:
    w, errors = parse_watchlist("any:\n  - Dutch lithography\n    giant\n", path=Path("rules/x.yaml"))
    assert errors == [] and w is not None and w.any == (Term("Dutch lithography giant"),)


def test_yml_files_load_like_yaml(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("any: [wafer]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("any: [chip]\n", encoding="utf-8")
    assert [w.id for w in load_rules(tmp_path).watchlists] == ["a", "b"]
    (tmp_path / "a.yaml").write_text("any: [fab]\n", encoding="utf-8")
    rules = load_rules(tmp_path)
    assert [w.id for w in rules.watchlists] == ["a", "b"]
    assert [str(e).replace(str(tmp_path), "R") for e in rules.errors] == [
        "R/a.yml: id 'a' is already used by R/a.yaml: give one of them another id"
    ]


def test_one_file(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("any: [wafer]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("any: [chip]\n", encoding="utf-8")
    rules = load_rules(tmp_path / "b.yaml")
    assert [w.id for w in rules.watchlists] == ["b"] and rules.errors == ()


def billion_laughs(levels: int) -> str:
    """A watchlist whose aliases stand for 9 ** levels phrases in a few lines."""
    lines = ["id: laughs", 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{n}: &l{n} [{', '.join([f'*l{n - 1}'] * 9)}]" for n in range(1, levels)]
    return "\n".join([*lines, f"any: *l{levels - 1}", ""])


def test_aliases_that_stand_for_billions_of_phrases_are_refused_at_once() -> None:
    """The "billion laughs": read naively, nine lines of aliases are 387 million phrases, and the service that walks
    them never returns (a watchlist file, or a paste into the web editor, would stop it)."""
    (error,) = errors_of(billion_laughs(9))
    assert error == ("rules/x.yaml:7: this holds more than 250,000 entries once its aliases (*name) are written out: "
                     "write the lists out, or use fewer aliases")


def test_an_alias_inside_what_it_names_is_refused() -> None:
    assert errors_of("any: &a [x, *a]\n") == [
        "rules/x.yaml:1: an alias (*name) inside the list or mapping it names: it would hold itself; write it out"]
    assert errors_of("any:\n  - &p {near: [[a], *p]}\n")[0].startswith("rules/x.yaml:2: an alias (*name) inside")


def test_nesting_deeper_than_any_watchlist_needs_is_refused() -> None:
    """999 brackets deep is within libyaml's limit and past Python's recursion limit: a RecursionError, before."""
    (error,) = errors_of("any: " + "[" * 999 + "x" + "]" * 999 + "\n")
    assert error.startswith("rules/x.yaml:1: lists and mappings nested more than 32 levels deep")


def test_aliases_within_bounds_still_work() -> None:
    w, errors = parse_watchlist("id: metals\nany: &minor [gallium, germanium]\nall: [*minor, [export]]\n",
                                path=Path("rules/metals.yaml"))
    assert errors == [] and w is not None and [t.text for t in w.any] == ["gallium", "germanium"]
    w, errors = parse_watchlist("any:\n  - {near: [&chips [chip, chips], [export]]}\n  - {near: [*chips, [ban]]}\n",
                                path=Path("rules/x.yaml"))
    assert errors == [] and w is not None and len(w.any) == 2
    big = "any:\n" + "".join(f"  - phrase{n}\n" for n in range(100_000))
    w, errors = parse_watchlist(big, path=Path("rules/x.yaml"))
    assert errors == [] and w is not None and len(w.any) == 100_000
