"""Problems in a rule file, said in our words: pydantic's errors and likely indentation mistakes. Pure.

``message(error)`` turns one pydantic error about a watchlist into "key path: what is wrong (got
X): the fix"; no pydantic wording ("Input should be a valid list", "Field required") reaches a
rule author. ``WORDED`` lists the pydantic error types the schema can produce; a test produces
each one and checks its wording.

``shape_problem(root)`` refuses a document too big or too deep to walk before anything walks it: YAML's aliases
(``&name`` / ``*name``) let a few lines stand for billions of entries (the "billion laughs"), or for a list that holds
itself.

``indentation_mistakes(root, text)`` finds list items that YAML folded into the phrase above:

    any:
      - gallium
         - germanium        <- more indented: YAML reads the phrase "gallium - germanium"
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

import yaml
from pydantic_core import ErrorDetails

from bot.watch.schema import KNOWN_KEYS, NearSpec, RegexSpec, TermSpec

# Every error type the watchlist schema can produce (tests/watch/test_problems.py makes each one).
WORDED = frozenset({
    "bool_parsing", "bool_type", "extra_forbidden", "greater_than_equal", "int_from_float", "int_parsing",
    "int_type", "less_than_equal", "list_type", "literal_error", "missing", "string_pattern_mismatch",
    "string_type", "too_long", "too_short", "value_error",
})

# The keys each kind of pattern mapping takes (pydantic's loc names the kind before the key).
_PATTERN_KEYS = {kind: tuple(f.alias or name for name, f in spec.model_fields.items())
                 for kind, spec in (("term", TermSpec), ("regex", RegexSpec), ("near", NearSpec))}
_LISTS = ("any", "none")
# A pattern written with each of its keys, for a key put at the top of a watchlist by mistake.
_EXAMPLES = {"term": "- {term: ASML, case: true}", "case": "- {term: ASML, case: true}",
             "except": "- {term: chips, except: [potato chips]}", "weak": "- {term: chips, weak: true}",
             "regex": "- {regex: 'ga(llium)? nitride'}", "near": "- {near: [[ASML], [licence]], within: 4}",
             "within": "- {near: [[ASML], [licence]], within: 4}"}
_TEXT_KEYS = ("name", "description")  # free text: a line starting with '-' there is no list item


def message(d: ErrorDetails, loc: list[int | str], raw_loc: tuple[int | str, ...]) -> str:
    """One pydantic error as "key path: problem (got X): fix". ``loc`` is the YAML path of the value."""
    name = _dotted(loc)
    kind, got = d["type"], d["input"]
    key = next((p for p in reversed(loc) if isinstance(p, str)), "")
    if kind == "extra_forbidden":
        return _unknown_key(str(loc[-1]), loc, raw_loc)
    if kind == "value_error":
        return f"{name}: {d['msg'].removeprefix('Value error, ')}" if name else d["msg"].removeprefix("Value error, ")
    if kind == "missing":  # only 'term' can be missing: a mapping without term, regex or near
        keys = ", ".join(str(k) for k in got) if isinstance(got, dict) else ""
        return (f"{_dotted(loc[:-1])}: a pattern mapping needs 'term', 'regex' or 'near'"
                f"{f' (it has only: {keys})' if keys else ''}")
    if key == "fuzzy":
        return f"{name}: must be a number from 50 to 100 or false (got {_show(got)})"
    if key == "within":
        return f"{name}: must be a whole number of words from 0 to 50 (got {_show(got)})"
    if key == "case":
        return f"{name}: must be true or false (got {_show(got)})"
    if key == "id":
        slug = re.sub(r"[^a-z0-9_-]+", "-", str(got).lower()).strip("-_")
        hint = f": write it as {slug!r}" if slug and slug != got else ""
        return f"{name}: must be lower-case letters, digits, '-' and '_' (got {_show(got)}){hint}"
    if key == "fields":
        return _fields(kind, name, got)
    if kind == "list_type":
        return _not_a_list(name, loc, got)
    if kind in ("too_short", "too_long") and key == "near":
        count = len(got) if isinstance(got, list) else "?"
        return f"{name}: must be exactly two lists of phrases, like near: [[export], [ban]] (got {count})"
    if kind == "string_type":
        return _not_text(name, loc, key, got)
    return f"{name}: not a valid value here (got {_show(got)})"


def _fields(kind: str, name: str, got: Any) -> str:
    if kind == "too_short":
        return f"{name}: name at least one of title, lede (or remove the key: both are the default)"
    if kind == "literal_error":
        return f"{name}: must be title or lede (got {_show(got)})"
    if isinstance(got, str):
        return f"{name}: must be a list (got a single field {got!r}: write it as [{got}])"
    return f"{name}: must be a list like [title, lede] (got {_show(got)})"


def _not_a_list(name: str, loc: list[int | str], got: Any) -> str:
    """A list was expected: any, none, all, an all group, except, near or one near list."""
    top = loc[0] if loc else ""
    if got is None:
        return f"{name}: is empty: put phrases under it, one per line starting with '- ', or remove the key"
    if loc[-1] == "near":
        return f"{name}: must be two lists of phrases, like near: [[export], [ban]] (got {_show(got)})"
    if "near" in loc:  # one of the two near lists
        return f"{name}: must be a list of phrases (got {_show(got)}: write it as [{got}])"
    if top == "all" and len(loc) == 1:
        what = f"a single phrase {got!r}: write it as '- [{got}]'" if isinstance(got, str) else _show(got)
        return f"{name}: must be a list of groups, each a list of phrases (got {what})"
    if top == "all" and len(loc) == 2:
        what = f"{got!r}: write the group as '- [{got}]'" if isinstance(got, str) else _show(got)
        return f"{name}: each group must be a list of phrases (got {what})"
    if loc[-1] == "except":
        what = f"a single phrase {got!r}: write it as [{got}]" if isinstance(got, str) else _show(got)
        return f"{name}: must be a list of phrases (got {what})"
    if isinstance(got, str):
        return f"{name}: must be a list of phrases (got a single phrase {got!r}: write it as '- {got}')"
    if isinstance(got, dict):
        return f"{name}: must be a list of patterns (got a mapping: start its line with '- ', as in '- {{term: x}}')"
    return f"{name}: must be a list of phrases (got {_show(got)})"


def _not_text(name: str, loc: list[int | str], key: str, got: Any) -> str:
    if key in _TEXT_KEYS:
        return f"{name}: must be text (got {_show(got)}){': put it in quotes' if _scalar(got) else ''}"
    if got is None:
        return f"{name}: empty pattern: write a word or phrase, or remove the line"
    if _scalar(got):
        return f"{name}: {_show(got)} is read as a {_yaml_type(got)}, not a phrase: put it in quotes, as '{_show(got)}'"
    at_pattern = isinstance(loc[-1], int) and loc[0] in (*_LISTS, "all") and "near" not in loc and key != "except"
    if at_pattern and isinstance(got, list):
        return (f"{name}: a list inside a list is no pattern (got {_show(got)}): "
                f"write each phrase on its own line starting with '- '")
    return f"{name}: a pattern is a phrase or a mapping with 'term', 'regex' or 'near' (got {_show(got)})"


def _unknown_key(key: str, loc: list[int | str], raw_loc: tuple[int | str, ...]) -> str:
    if len(loc) == 1:
        known: tuple[str, ...] = KNOWN_KEYS["watchlist"]
        if key in KNOWN_KEYS["pattern"]:
            return f"{key!r} is a key of one pattern, not of the watchlist: under any, write e.g. '{_EXAMPLES[key]}'"
    else:
        kind = str(raw_loc[-2]) if len(raw_loc) >= 2 else "term"
        known = _PATTERN_KEYS.get(kind, KNOWN_KEYS["pattern"])
        if key in KNOWN_KEYS["pattern"]:
            return f"key {key!r} does not apply to a {kind} pattern (it takes: {', '.join(known)})"
    meant = _MEANT_WATCHLIST if len(loc) == 1 else _MEANT_PATTERN
    said = difflib.get_close_matches(key.lower(), list(meant), n=1, cutoff=0.75)
    if said and meant[said[0]] in known:  # (a word of other tools for one of ours: "exclude" is except, or none)
        return f"unknown key {key!r} (did you mean {meant[said[0]]!r}? {_MEANING[meant[said[0]]]})"
    close = (difflib.get_close_matches(key, known, n=1, cutoff=0.6)
             or difflib.get_close_matches(key, KNOWN_KEYS["pattern"] if len(loc) > 1 else (), n=1, cutoff=0.6)
             or [k for k in (*known, *KNOWN_KEYS["pattern"]) if len(key) >= 2 and k.startswith(key)][:1])  # ('neer',
    # 'near': a misspelt pattern kind is no key of the term it is then read as; 're': 'regex')
    hint = f" (did you mean {close[0]!r}?)" if close else f" (known keys: {', '.join(known)})"
    return f"unknown key {key!r}{hint}"


# Keys people write from other filter tools (or misspell past difflib's reach), and the one of ours they mean.
_MEANT_WATCHLIST = {"exclude": "none", "excludes": "none", "exclusions": "none", "not": "none", "ignore": "none",
                    "blacklist": "none", "keywords": "any", "terms": "any", "words": "any", "include": "any",
                    "require": "all", "must": "all", "required": "all"}
_MEANT_PATTERN = {"exclude": "except", "excludes": "except", "exceptions": "except", "unless": "except",
                  "not": "except", "typo": "fuzzy", "typos": "fuzzy", "case_sensitive": "case", "exact": "fuzzy"}
_MEANING = {"none": "'none' lists phrases that veto an item", "any": "'any' lists the phrases of which one must hit",
            "all": "'all' lists groups of which each must hit", "except": "'except' lists longer phrases the term "
            "must not be part of", "fuzzy": "'fuzzy' is the typo tolerance, false or a score", "case": "'case: true' "
            "matches the letters' case as written"}


def _scalar(value: Any) -> bool:
    return isinstance(value, bool | int | float)


def _yaml_type(value: Any) -> str:
    return "true/false value" if isinstance(value, bool) else "number"


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return f"a list of {len(value)}" if len(value) != 1 else "a list of 1"
    return repr(value)


def _dotted(loc: list[int | str]) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out


# A watchlist's entries (every key, value, list item and phrase, an alias counted as written out), and its levels of
# nesting (a key, a list, a pattern, a near's lists: six or so). A list of 100,000 phrases fits.
MAX_ENTRIES = 250_000
MAX_DEPTH = 32


def shape_problem(root: yaml.Node) -> tuple[int, str] | None:
    """(1-based line, message) when the document holds more than MAX_ENTRIES entries with its aliases written out,
    nests deeper than MAX_DEPTH levels, or has an alias inside the list or mapping it stands for; else None.
    Walks each node once (an alias is the node it refers to), without recursion."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_: set[int] = set()  # the nodes on the path being walked
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, walked = stack.pop()
        key, line = id(node), node.start_mark.line + 1
        children = _children(node)
        if walked:
            open_.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in children)
            depth[key] = 1 + max((depth[id(c)] for c in children), default=0)
            if size[key] > MAX_ENTRIES:
                return line, (f"this holds more than {MAX_ENTRIES:,} entries once its aliases (*name) are written "
                              "out: write the lists out, or use fewer aliases")
            if depth[key] > MAX_DEPTH:
                return line, (f"lists and mappings nested more than {MAX_DEPTH} levels deep: a watchlist needs a few "
                              "(any: - {near: [[...], [...]]})")
            continue
        if key in size:
            continue
        if key in open_:
            return line, "an alias (*name) inside the list or mapping it names: it would hold itself; write it out"
        open_.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in size)
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def indentation_mistakes(root: yaml.Node, text: str) -> Iterator[tuple[int, str]]:
    """(1-based line, message) for each plain phrase that swallowed a more-indented '- ' line."""
    lines = text.splitlines()
    for node in _phrases(root):
        first = node.start_mark.line
        for n in range(first + 1, min(node.end_mark.line + 1, len(lines))):
            stripped = lines[n].strip()
            if stripped == "-" or stripped.startswith("- "):
                head = lines[first][node.start_mark.column:].strip()
                yield n + 1, (
                    f"{stripped!r} is indented under {head!r} (line {first + 1}) and became part of the "
                    f"phrase {node.value!r}; put each '-' at the same indentation"
                )
                break


def _phrases(node: yaml.Node, key: str = "") -> Iterator[yaml.ScalarNode]:
    """Plain (unquoted) scalars spanning lines, outside the free-text keys."""
    if isinstance(node, yaml.ScalarNode):
        if not node.style and node.end_mark.line > node.start_mark.line and key not in _TEXT_KEYS:  # (C loader: "")
            yield node
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            yield from _phrases(v, str(k.value))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from _phrases(item, key)
