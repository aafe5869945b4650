"""Write one suggested edit into a watchlist's YAML text, keeping its comments and layout. Pure: text in, text out.

ruamel.yaml reads the text in round-trip mode and says where each pattern sits (line and column);
the edit is then made in the text at that place, so every other byte stays as the author wrote it
(re-emitting the whole document would re-wrap long flow lists). The result is read again and must
equal the original document with the edit applied, and still be a valid watchlist; otherwise
``RewriteError`` says what to write by hand.

    - chip                      ->  - {term: chip, except: [potato chip]}
    - {term: Intel, case: true} ->  - {term: Intel, case: true, weak: true}
    none: [recipe]              ->  none: [casino, recipe]
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bot.errors import WatchbotError
from bot.watch.load import parse_watchlist
from bot.watch.suggest import EXCEPT, NONE, WEAK, Edit

_PLAIN = re.compile(r"[^\W\d_][\w .'’-]*[\w.]|[^\W\d_]")
_RESERVED = frozenset({"yes", "no", "on", "off", "true", "false", "null", "y", "n", "~"})


class RewriteError(WatchbotError):
    """The edit cannot be written in place; the message says what to add by hand."""


def scalar(phrase: str) -> str:
    """``phrase`` as a YAML scalar that reads back as itself inside a flow list or mapping."""
    if _PLAIN.fullmatch(phrase) and phrase.lower() not in _RESERVED and ": " not in phrase and " #" not in phrase:
        return phrase
    return json.dumps(phrase, ensure_ascii=False)  # a JSON string is a double-quoted YAML scalar


def rewrite(text: str, edit: Edit, *, path: Path) -> str:
    """``text`` with ``edit`` written in; raises RewriteError when it cannot be done in place."""
    _, errors = parse_watchlist(text, path=path)  # first: a document it refuses may be too big to walk
    if errors:
        raise RewriteError(f"{errors[0]}; fix it first (watchbot rules check)")
    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as e:
        raise RewriteError(f"{path}: not valid YAML ({e}); fix it first (watchbot rules check)") from None
    if not isinstance(doc, CommentedMap):
        raise RewriteError(f"{path}: not a watchlist mapping")
    lines = text.splitlines(keepends=True)
    if edit.kind == NONE:
        inserts = [_veto(doc, lines, edit.phrase)]
    else:
        inserts = [_pattern_edit(seq, i, lines, edit) for seq, i in _places(doc, edit.pattern)]
        if not inserts:
            raise RewriteError(f"{path}: no phrase {edit.pattern!r} in 'any' or 'all' (was the file changed?)")
    for offset, remove, new in sorted(inserts, reverse=True):  # from the end: earlier offsets stay valid
        joined = "".join(lines)
        lines = (joined[:offset] + new + joined[offset + remove:]).splitlines(keepends=True)
    out = "".join(lines)
    _check(text, out, edit, path)
    return out


def _places(doc: CommentedMap, pattern: str) -> list[tuple[CommentedSeq, int]]:
    seqs = [doc.get("any")] + list(doc.get("all") or [])
    out = []
    for seq in seqs:
        if not isinstance(seq, CommentedSeq):
            continue
        for i, value in enumerate(seq):
            if value == pattern or (isinstance(value, CommentedMap) and value.get("term") == pattern):
                out.append((seq, i))
    return out


def _offset(lines: list[str], line: int, col: int) -> int:
    return sum(len(x) for x in lines[:line]) + col


def _pattern_edit(seq: CommentedSeq, i: int, lines: list[str], edit: Edit) -> tuple[int, int, str]:
    """(offset, characters replaced, new text) for the pattern at ``seq[i]``."""
    value = seq[i]
    line, col = seq.lc.item(i)
    start = _offset(lines, line, col)
    text = "".join(lines)
    add = "weak: true" if edit.kind == WEAK else f"except: [{scalar(edit.phrase)}]"
    if isinstance(value, str):
        end = _scalar_end(text, start, flow=bool(seq.fa.flow_style()))
        return start, end - start, "{term: " + text[start:end] + ", " + add + "}"
    assert isinstance(value, CommentedMap)
    if edit.kind == WEAK and "weak" in value:
        raise RewriteError(f"line {line + 1}: {edit.pattern!r} already has a 'weak' key; set it to true by hand")
    excepts = value.get("except") if edit.kind == EXCEPT else None
    if isinstance(excepts, CommentedSeq):
        if not excepts.fa.flow_style():
            first_line, first_col = excepts.lc.item(0)
            indent = lines[first_line][:first_col - 2]
            return _offset(lines, first_line, 0), 0, f"{indent}- {scalar(edit.phrase)}\n"
        opening = _offset(lines, excepts.lc.line, excepts.lc.col)
        return opening + 1, 0, scalar(edit.phrase) + (", " if excepts else "")
    if value.fa.flow_style():
        close = _closing(text, start)
        body_end = len(text[:close].rstrip())
        return body_end, 0, ", " + add
    key_line, key_col = value.lc.key(next(iter(value)))
    return _offset(lines, key_line + 1, 0), 0, " " * key_col + add + "\n"


def _veto(doc: CommentedMap, lines: list[str], phrase: str) -> tuple[int, int, str]:
    text = "".join(lines)
    none = doc.get("none")
    if isinstance(none, CommentedSeq) and none.fa.flow_style():
        line, col = doc.lc.value("none")
        return _offset(lines, line, col) + 1, 0, scalar(phrase) + (", " if none else "")
    if isinstance(none, CommentedSeq) and none:
        line, col = none.lc.item(0)
        return _offset(lines, line, 0), 0, f"{lines[line][:col - 2]}- {scalar(phrase)}\n"
    if "none" in doc:
        raise RewriteError(f"line {doc.lc.key('none')[0] + 1}: 'none' is empty; write `none: [{scalar(phrase)}]`")
    anys = doc.get("any")
    if isinstance(anys, CommentedSeq) and anys and not anys.fa.flow_style():
        line, col = anys.lc.item(0)
        block = f"none:\n{lines[line][:col - 2]}- {scalar(phrase)}\n"
    else:
        block = f"none: [{scalar(phrase)}]\n"
    return len(text), 0, ("" if text.endswith("\n") or not text else "\n") + block


def _scalar_end(text: str, start: int, *, flow: bool) -> int:
    """Where the scalar starting at ``start`` ends (quoted, or plain up to a comment, the line end, or in a
    flow list a comma or bracket)."""
    quote = text[start]
    if quote in "'\"":
        i = start + 1
        while i < len(text):
            if text[i] == "\\" and quote == '"':
                i += 2
                continue
            if text[i] == quote:
                if quote == "'" and text[i + 1: i + 2] == "'":
                    i += 2
                    continue
                return i + 1
            i += 1
        raise RewriteError("an unterminated quoted phrase")
    stops = re.compile(r"\s#|\n|[,\]]" if flow else r"\s#|\n")
    m = stops.search(text, start)
    end = m.start() if m else len(text)
    return len(text[:end].rstrip())


def _closing(text: str, start: int) -> int:
    """The offset of the '}' closing the flow mapping that opens at ``start``."""
    depth, i, quote = 0, start, ""
    while i < len(text):
        c = text[i]
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "{[":
            depth += 1
        elif c in "}]":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise RewriteError("an unclosed flow mapping")


def expected(data: Any, edit: Edit) -> Any:
    """The plain document (as yaml.safe_load gives it) with ``edit`` applied."""
    data = copy.deepcopy(data)
    if edit.kind == NONE:
        data["none"] = [edit.phrase, *(data.get("none") or [])]
        return data
    for seq in [data.get("any") or [], *(data.get("all") or [])]:
        for i, value in enumerate(seq):
            if value == edit.pattern:
                seq[i] = value = {"term": value}
            if isinstance(value, dict) and value.get("term") == edit.pattern:
                if edit.kind == WEAK:
                    value["weak"] = True
                else:
                    value["except"] = [edit.phrase, *value.get("except", [])]
    return data


def _check(before: str, after: str, edit: Edit, path: Path) -> None:
    by_hand = f"{path}: could not write {edit.describe()} in place; add it by hand"
    try:
        got, want = yaml.safe_load(after), expected(yaml.safe_load(before), edit)
    except yaml.YAMLError:
        raise RewriteError(by_hand) from None
    if _unordered(got) != _unordered(want):
        raise RewriteError(by_hand)
    _, errors = parse_watchlist(after, path=path)
    if errors:
        raise RewriteError(f"{by_hand} ({errors[0]})")


def _unordered(data: Any) -> Any:
    """Lists of except phrases and vetoes compared as sets: where the new phrase goes does not matter."""
    if isinstance(data, dict):
        return {k: (sorted(map(json.dumps, v)) if k in ("none", "except") and isinstance(v, list) else _unordered(v))
                for k, v in data.items()}
    if isinstance(data, list):
        return [_unordered(v) for v in data]
    return data
