"""Load watchlist files: YAML with line numbers, checked by the pydantic schema. Reads files.

``load_rules(path)`` reads a folder of ``*.yaml`` / ``*.yml`` files, or one file. It never raises for
a broken file: the file is skipped and each of its problems is collected as a ``RuleError``
located ``file:line``, in our words with the fix (``problems.py``). ``parse_watchlist`` is the pure part.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.errors import RuleError
from bot.watch.model import DEFAULT_FUZZY, Near, Pattern, Regex, RuleSet, Term, Watchlist
from bot.watch.problems import indentation_mistakes, message, shape_problem
from bot.watch.schema import NearSpec, RegexSpec, TermSpec, WatchlistSpec

_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_PATTERN_TAGS = frozenset({"phrase", "term", "regex", "near"})  # follow a list index in a pydantic loc
_TYPE_TAGS = frozenset({"bool", "constrained-int", "int", "str", "list[str]"})


SUFFIXES = (".yaml", ".yml")
MISSING = "no such file or folder (watchlists are a folder of *.yaml files)"


def rule_files(folder: Path) -> list[Path]:
    """The watchlist files (``*.yaml``, ``*.yml``) of ``folder``, in name order; hidden ones (an editor's lock or
    backup, ".#asml.yaml") are not rule files."""
    return sorted(p for p in folder.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".") and p.is_file())


def odd_entries(folder: Path) -> list[RuleError]:
    """The entries of ``folder`` named like rule files that are none, each said (they had been passed over without a
    word: a watchlist "gone" behind a link to a moved file gave no hint). Never read: a pipe would block the reload."""
    found = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue  # (Emacs keeps a dangling ".#asml.yaml" link while a file is edited: told to admins as a problem)
        if path.suffix.lower() in SUFFIXES and path.suffix not in SUFFIXES:
            found.append(RuleError(str(path), None, f"not read: rule files end in {' or '.join(SUFFIXES)}, in lower "
                                                    f"case; rename it to {path.stem}{path.suffix.lower()}"))
            continue
        if path.suffix not in SUFFIXES or path.is_file():
            continue
        if path.is_symlink() and not path.exists():
            message = (f"a link to {os.readlink(path)}, which is not there (or links back to itself): point it at a "
                       "rule file, or remove it")
        elif path.is_dir():
            message = "a folder, not a rule file: watchlists are read from the rules folder itself, not its folders"
        else:
            message = "not a regular file (a pipe, a device or a socket): not read; remove it"
        found.append(RuleError(str(path), None, message))
    return found


def load_rules(path: Path) -> RuleSet:
    """Every valid watchlist in the folder ``path`` (or the one file ``path``); broken files are
    skipped and their errors collected."""
    if path.is_file():
        files = [path]
    elif path.is_dir():
        files = rule_files(path)
    else:
        return RuleSet((), (RuleError(str(path), None, MISSING),))
    loaded: list[tuple[Path, Watchlist | None, list[RuleError]]] = []
    for file in files:
        try:
            text = read_rule_file(file)
        except RuleError as e:
            loaded.append((file, None, [e]))
            continue
        watchlist, errors = parse_watchlist(text, path=file)
        loaded.append((file, watchlist, errors))
    ruleset = combine(loaded)
    odd = odd_entries(path) if path.is_dir() else []
    return RuleSet(ruleset.watchlists, (*ruleset.errors, *odd)) if odd else ruleset


def rule_text(path: Path | None) -> str | None:
    """A loaded watchlist's file text, for the line a warning names; None when it cannot be read again."""
    try:
        return read_rule_file(path) if path is not None else None
    except RuleError:
        return None


def read_rule_file(path: Path) -> str:
    """A rule file's text; RuleError when it cannot be read, or is not UTF-8 (said with the line and the byte, and
    the fix: a file saved as Latin-1 had said "'utf-8' codec can't decode byte 0xe9 in position 23")."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise RuleError(str(path), None, f"cannot read the file: {e.strerror or e}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise RuleError(str(path), line, f"not UTF-8 (byte 0x{data[e.start]:02x}): save the file as UTF-8") from None


def combine(loaded: Sequence[tuple[Path, Watchlist | None, list[RuleError]]]) -> RuleSet:
    """Join per-file results; a second file using an id already taken is an error and skipped."""
    watchlists: list[Watchlist] = []
    errors: list[RuleError] = []
    owners: dict[str, Path] = {}
    for path, watchlist, file_errors in loaded:
        errors.extend(file_errors)
        if watchlist is None:
            continue
        if watchlist.id in owners:
            errors.append(
                RuleError(
                    str(path),
                    _id_line(path),
                    f"id {watchlist.id!r} is already used by {owners[watchlist.id]}: give one of them another id",
                )
            )
            continue
        owners[watchlist.id] = path
        watchlists.append(watchlist)
    return RuleSet(tuple(sorted(watchlists, key=lambda w: w.id)), tuple(errors))


def _id_line(path: Path) -> int | None:
    try:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if line.startswith("id:"):
                return n
    except (OSError, UnicodeDecodeError):
        pass
    return None


def yaml_problem(e: yaml.YAMLError, text: str) -> tuple[int | None, str]:
    """The line of a YAML error and what went wrong, in words for the slips people make editing a watchlist: a quote
    or a bracket opened and never closed (named on the line that opened it), a tab for indenting, a line indented
    unlike its neighbours, a second ': ' in a value. Other errors keep the parser's words."""
    mark, context_mark = getattr(e, "problem_mark", None), getattr(e, "context_mark", None)
    problem = getattr(e, "problem", None) or str(e)
    context = getattr(e, "context", None) or ""
    line = mark.line + 1 if mark else None
    opened = context_mark.line + 1 if context_mark else line
    lines = text.splitlines()
    if "quoted scalar" in context:
        return opened, f"a quote opened on line {opened} is never closed ({problem})"
    if "flow sequence" in context or "flow mapping" in context:
        bracket, closing = ("[", "]") if "sequence" in context else ("{", "}")
        return opened, f"a '{bracket}' opened on line {opened} is not closed with '{closing}' ({problem})"
    if mark is not None and mark.line < len(lines) and "\t" in lines[mark.line][: mark.column + 1]:
        return line, f"a tab indents this line: YAML indents with spaces ({problem})"
    if "block mapping" in context or "block collection" in context:
        return line, f"this line is indented unlike the lines above it ({problem})"
    if "mapping values are not allowed" in problem:
        return line, "a second ': ' in one line: put a value that holds ': ' in quotes, as 'a: b'"
    return line, problem


# libyaml's parser when PyYAML has it (its wheels do): the pure-Python one took 0.15 s of every command's start-up.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_watchlist(text: str, *, path: Path) -> tuple[Watchlist | None, list[RuleError]]:
    """One watchlist from YAML text; on problems, None and every problem found."""
    where = str(path)
    try:
        loader = _LOADER(text)
        try:
            node = loader.get_single_node()
            shape = shape_problem(node) if node is not None else None
            data = loader.construct_document(node) if node is not None and shape is None else None
        finally:
            loader.dispose()
    except yaml.YAMLError as e:
        line, problem = yaml_problem(e, text)
        return None, [RuleError(where, line, f"not valid YAML: {problem}")]
    if shape is not None:
        return None, [RuleError(where, *shape)]
    if node is None:
        return None, [RuleError(where, None, "the file is empty: a watchlist needs at least an 'any' list")]
    if not isinstance(data, dict):
        return None, [RuleError(where, 1, "a watchlist is a mapping of keys (id, name, any, ...), not a list")]
    errors = _duplicate_keys(node, where)
    errors += [RuleError(where, line, problem) for line, problem in indentation_mistakes(node, text)]
    try:
        spec = WatchlistSpec.model_validate(data)
    except ValidationError as e:
        return None, errors + _explain(e.errors(), node, where)
    if errors:
        return None, errors
    if not spec.any and not spec.all:
        return None, [RuleError(where, 1, "nothing to match: add an 'any' list of phrases")]
    if spec.id is None and not _ID.fullmatch(path.stem):
        return None, [RuleError(where, 1, f"the file name {path.stem!r} is no valid id: add a line 'id: my-list'")]
    return _watchlist(spec, path), []


def _duplicate_keys(node: yaml.Node, where: str) -> list[RuleError]:
    errors: list[RuleError] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[Any] = set()
        for key, value in node.value:
            if key.value in seen:
                errors.append(RuleError(where, key.start_mark.line + 1, f"key {key.value!r} appears twice"))
            seen.add(key.value)
            errors.extend(_duplicate_keys(value, where))
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            errors.extend(_duplicate_keys(item, where))
    return errors


def _explain(details: list[ErrorDetails], root: yaml.Node, where: str) -> list[RuleError]:
    """Pydantic errors as file:line problems, one per place, with hints."""
    errors: list[RuleError] = []
    done: set[tuple[Any, ...]] = set()
    unknown = {tuple(_path(d["loc"]))[:-1] for d in details if d["type"] == "extra_forbidden"}
    for d in details:
        loc = _path(d["loc"])
        if d["type"] == "missing" and tuple(loc[:-1]) in unknown:
            continue  # "unknown key 'trem'" already says it
        place = tuple(loc)
        if place in done:
            continue  # a union reports one problem once per alternative
        done.add(place)
        line = _line(root, loc, key=d["type"] == "extra_forbidden")
        errors.append(RuleError(where, line, message(d, loc, tuple(d["loc"]))))
    return errors


def _path(loc: tuple[int | str, ...]) -> list[int | str]:
    """The loc without pydantic's union tags: the keys and indexes of the YAML document."""
    out: list[int | str] = []
    for i, p in enumerate(loc):
        if p in _TYPE_TAGS or (p in _PATTERN_TAGS and i > 0 and isinstance(loc[i - 1], int)):
            continue
        out.append(p)
    return out


def _line(root: yaml.Node, loc: list[int | str], *, key: bool) -> int:
    """The 1-based line of the YAML node at ``loc`` (of its key, for unknown keys)."""
    node = root
    line = root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            for k, v in node.value:
                if k.value == part:
                    line = (k if key and part == loc[-1] else v).start_mark.line + 1
                    node = v
                    break
            else:
                return line
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _fuzzy(value: bool | int | None, default: int | None) -> int | None:
    if value is None:
        return default
    if value is True:
        return default if default is not None else DEFAULT_FUZZY
    if value is False:
        return None
    return int(value)


def _watchlist(spec: WatchlistSpec, path: Path) -> Watchlist:
    fuzzy = _fuzzy(spec.fuzzy, DEFAULT_FUZZY)

    def pattern(p: Any) -> Pattern:
        if isinstance(p, str):
            return Term(p, fuzzy)
        if isinstance(p, TermSpec):
            return Term(
                p.term,
                None if p.case else _fuzzy(p.fuzzy, fuzzy),
                p.case,
                tuple(p.except_),
                p.weak,
            )
        if isinstance(p, RegexSpec):
            return Regex(p.regex)
        assert isinstance(p, NearSpec)
        first, second = p.near
        excepts = tuple(p.except_)
        return Near(
            tuple(Term(t, fuzzy, excepts=excepts) for t in first),
            tuple(Term(t, fuzzy, excepts=excepts) for t in second),
            p.within,
        )

    wid = spec.id or path.stem
    return Watchlist(
        id=wid,
        name=spec.name or wid,
        description=spec.description.strip(),
        fields=tuple(dict.fromkeys(spec.fields)),
        any=tuple(pattern(p) for p in spec.any),
        all=tuple(tuple(pattern(p) for p in group) for group in spec.all),
        none=tuple(pattern(p) for p in spec.none),
        fuzzy=fuzzy,
        source=path,
    )
