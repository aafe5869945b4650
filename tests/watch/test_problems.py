"""Every pydantic error the watchlist schema can produce, said in our words with key path, file:line and fix."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from bot.watch import parse_watchlist
from bot.watch.problems import WORDED
from bot.watch.schema import WatchlistSpec

# Phrases of pydantic's own messages that must never reach a rule author.
PYDANTIC = ("Input should", "valid list", "valid string", "less than or equal", "greater than or equal",
            "Field required", "Extra inputs", "String should match", "List should have", "unable to",
            "fractional part", "Value error")

# (pydantic error type, YAML text, the one expected error line)
CASES = [
    ("list_type", "any: gallium\n",
     "rules/x.yaml:1: any: must be a list of phrases (got a single phrase 'gallium': write it as '- gallium')"),
    ("list_type", "any:\nfuzzy: 80\n",
     "rules/x.yaml:1: any: is empty: put phrases under it, one per line starting with '- ', or remove the key"),
    ("list_type", "any:\n  term: gallium\n",
     "rules/x.yaml:2: any: must be a list of patterns (got a mapping: start its line with '- ', as in '- {term: x}')"),
    ("list_type", "any: [a]\nnone: recipe\n",
     "rules/x.yaml:2: none: must be a list of phrases (got a single phrase 'recipe': write it as '- recipe')"),
    ("list_type", "any: [a]\nall: China\n",
     "rules/x.yaml:2: all: must be a list of groups, each a list of phrases (got a single phrase 'China': "
     "write it as '- [China]')"),
    ("list_type", "any: [a]\nall:\n  - China\n",
     "rules/x.yaml:3: all[0]: each group must be a list of phrases (got 'China': write the group as '- [China]')"),
    ("list_type", "any:\n  - {term: chip, except: potato chip}\n",
     "rules/x.yaml:2: any[0].except: must be a list of phrases (got a single phrase 'potato chip': "
     "write it as [potato chip])"),
    ("list_type", "any:\n  - {near: export}\n",
     "rules/x.yaml:2: any[0].near: must be two lists of phrases, like near: [[export], [ban]] (got 'export')"),
    ("list_type", "any:\n  - near: [[export], ban]\n",
     "rules/x.yaml:2: any[0].near[1]: must be a list of phrases (got 'ban': write it as [ban])"),
    ("list_type", "any: [a]\nfields: title\n",
     "rules/x.yaml:2: fields: must be a list (got a single field 'title': write it as [title])"),
    ("too_short", "any: [a]\nfields: []\n",
     "rules/x.yaml:2: fields: name at least one of title, lede (or remove the key: both are the default)"),
    ("too_short", "any:\n  - near: [[export]]\n",
     "rules/x.yaml:2: any[0].near: must be exactly two lists of phrases, like near: [[export], [ban]] (got 1)"),
    ("too_long", "any:\n  - near: [[a], [b], [c]]\n",
     "rules/x.yaml:2: any[0].near: must be exactly two lists of phrases, like near: [[export], [ban]] (got 3)"),
    ("literal_error", "any: [a]\nfields: [title, body]\n",
     "rules/x.yaml:2: fields[1]: must be title or lede (got 'body')"),
    ("string_type", "any:\n  - gallium\n  - 2024\n",
     "rules/x.yaml:3: any[1]: 2024 is read as a number, not a phrase: put it in quotes, as '2024'"),
    ("string_type", "any:\n  - yes\n",
     "rules/x.yaml:2: any[0]: true is read as a true/false value, not a phrase: put it in quotes, as 'true'"),
    ("string_type", "any:\n  -\n  - gallium\n",
     "rules/x.yaml:2: any[0]: empty pattern: write a word or phrase, or remove the line"),
    ("string_type", "any:\n  - [gallium, germanium]\n",
     "rules/x.yaml:2: any[0]: a list inside a list is no pattern (got a list of 2): "
     "write each phrase on its own line starting with '- '"),
    ("string_type", "any:\n  - {term: 5}\n",
     "rules/x.yaml:2: any[0].term: 5 is read as a number, not a phrase: put it in quotes, as '5'"),
    ("string_type", "any:\n  - {near: [[5], [ban]]}\n",
     "rules/x.yaml:2: any[0].near[0][0]: 5 is read as a number, not a phrase: put it in quotes, as '5'"),
    ("string_type", "any: [a]\nname: [a, b]\n", "rules/x.yaml:2: name: must be text (got a list of 2)"),
    ("string_type", "any: [a]\ndescription: 42\n",
     "rules/x.yaml:2: description: must be text (got 42): put it in quotes"),
    ("string_type", "any: [a]\nid: 42\n",
     "rules/x.yaml:2: id: must be lower-case letters, digits, '-' and '_' (got 42): write it as '42'"),
    ("string_pattern_mismatch", "id: Chips & Fabs\nany: [a]\n",
     "rules/x.yaml:1: id: must be lower-case letters, digits, '-' and '_' (got 'Chips & Fabs'): "
     "write it as 'chips-fabs'"),
    ("missing", "any:\n  - {fuzzy: 80}\n",
     "rules/x.yaml:2: any[0]: a pattern mapping needs 'term', 'regex' or 'near' (it has only: fuzzy)"),
    ("extra_forbidden", "any: [a]\nfuzy: 80\n", "rules/x.yaml:2: unknown key 'fuzy' (did you mean 'fuzzy'?)"),
    ("extra_forbidden", "any:\n  - {re: 'ga(llium)?'}\n", "rules/x.yaml:2: unknown key 're' (did you mean 'regex'?)"),
    # other tools' words, and misspellings of them past difflib's reach of ours
    ("extra_forbidden", "any:\n  - {term: chip, exlude: [potato chip]}\n",
     "rules/x.yaml:2: unknown key 'exlude' (did you mean 'except'? 'except' lists longer phrases the term must not "
     "be part of)"),
    ("extra_forbidden", "any: [chip]\nexclude: [recipe]\n",
     "rules/x.yaml:2: unknown key 'exclude' (did you mean 'none'? 'none' lists phrases that veto an item)"),
    ("extra_forbidden", "any: [chips]\nweak: [chips]\n",
     "rules/x.yaml:2: 'weak' is a key of one pattern, not of the watchlist: under any, write e.g. "
     "'- {term: chips, weak: true}'"),
    ("extra_forbidden", "any:\n  - {regex: 'ga', fuzzy: 80}\n",
     "rules/x.yaml:2: key 'fuzzy' does not apply to a regex pattern (it takes: regex)"),
    ("extra_forbidden", "any:\n  - {term: x, within: 3}\n",
     "rules/x.yaml:2: key 'within' does not apply to a term pattern (it takes: term, fuzzy, case, except, weak)"),
    ("less_than_equal", "any: [a]\nfuzzy: 500\n",
     "rules/x.yaml:2: fuzzy: must be a number from 50 to 100 or false (got 500)"),
    ("greater_than_equal", "any: [a]\nfuzzy: 10\n",
     "rules/x.yaml:2: fuzzy: must be a number from 50 to 100 or false (got 10)"),
    ("int_from_float", "any: [a]\nfuzzy: 92.5\n",
     "rules/x.yaml:2: fuzzy: must be a number from 50 to 100 or false (got 92.5)"),
    ("int_parsing", "any: [a]\nfuzzy: lots\n",
     "rules/x.yaml:2: fuzzy: must be a number from 50 to 100 or false (got 'lots')"),
    ("int_type", "any: [a]\nfuzzy:\n", "rules/x.yaml:2: fuzzy: must be a number from 50 to 100 or false (got nothing)"),
    ("less_than_equal", "any:\n  - {near: [[a], [b]], within: 99}\n",
     "rules/x.yaml:2: any[0].within: must be a whole number of words from 0 to 50 (got 99)"),
    ("greater_than_equal", "any:\n  - {near: [[a], [b]], within: -1}\n",
     "rules/x.yaml:2: any[0].within: must be a whole number of words from 0 to 50 (got -1)"),
    ("int_type", "any:\n  - {near: [[a], [b]], within: four}\n",
     "rules/x.yaml:2: any[0].within: must be a whole number of words from 0 to 50 (got 'four')"),
    ("int_type", "any:\n  - {near: [[a], [b]], within: 2.5}\n",
     "rules/x.yaml:2: any[0].within: must be a whole number of words from 0 to 50 (got 2.5)"),
    ("int_type", "any:\n  - {near: [[a], [b]], within: true}\n",  # (it had been taken as 1)
     "rules/x.yaml:2: any[0].within: must be a whole number of words from 0 to 50 (got true)"),
    ("missing", "any:\n  - {neer: [[a], [b]], within: 4}\n",  # a misspelt near: no term's key, but near's
     "rules/x.yaml:2: unknown key 'neer' (did you mean 'near'?)"),
    ("int_type", "any:\n  - near: [[a], [b]]\n    within:\n",
     "rules/x.yaml:3: any[0].within: must be a whole number of words from 0 to 50 (got nothing)"),
    ("bool_parsing", "any:\n  - {term: GaN, case: maybe}\n",
     "rules/x.yaml:2: any[0].case: must be true or false (got 'maybe')"),
    ("bool_type", "any:\n  - term: GaN\n    case:\n", "rules/x.yaml:3: any[0].case: must be true or false (got nothing)"),
    ("value_error", "any: [a]\nall: [[]]\n",
     "rules/x.yaml:2: all: an empty 'all' group can never hit: add phrases or remove it"),
    ("value_error", "any:\n  - {regex: 'a(b'}\n",
     "rules/x.yaml:2: any[0].regex: invalid regex 'a(b': missing ), unterminated subpattern at position 1"),
]


def pydantic_types(text: str) -> set[str]:
    try:
        WatchlistSpec.model_validate(yaml.safe_load(text))
    except ValidationError as e:
        return {d["type"] for d in e.errors()}
    return set()


@pytest.mark.parametrize(("kind", "text", "expected"), CASES)
def test_each_error_in_our_words(kind: str, text: str, expected: str) -> None:
    assert kind in pydantic_types(text)  # the case really makes this pydantic error
    w, errors = parse_watchlist(text, path=Path("rules/x.yaml"))
    assert w is None
    assert [str(e) for e in errors] == [expected]
    assert not any(p in expected for p in PYDANTIC)


def test_the_table_covers_every_worded_type() -> None:
    assert {kind for kind, _, _ in CASES} == WORDED


def test_fuzzy_given_to_a_list_reports_once() -> None:
    # fuzzy is "false or a number": pydantic reports a bool error and an int error for one value.
    w, errors = parse_watchlist("any: [a]\nfuzzy: 500\n", path=Path("rules/x.yaml"))
    assert w is None and len(errors) == 1


def test_no_pydantic_wording_for_mixed_problems() -> None:
    text = "id: X\nfields: body\nany: gallium\nall: [[]]\nnone: [5]\nfuzzy: 9.5\nwithin: 3\n"
    w, errors = parse_watchlist(text, path=Path("rules/x.yaml"))
    assert w is None and len(errors) == 7
    for e in errors:
        assert not any(p in str(e) for p in PYDANTIC), str(e)
        assert str(e).startswith("rules/x.yaml:") and str(e).split(":")[1].isdigit()
