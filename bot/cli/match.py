"""`watchbot match`: match items from JSON Lines or a feed file against the watchlists; stores nothing.

Output with ``--format jsonl`` is exactly one line per input item, in input order (DESIGN.md);
``--format table`` is for people. Reads the input file (or stdin) and the rule folder.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import re
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import yaml

from bot.cli.common import add_command, add_config_option, config_from, count_arg
from bot.errors import ParseError, WatchbotError
from bot.items.read import read_items as read_feed
from bot.markup import readable_link
from bot.watch import Match, Matcher, RuleSet, Watchlist, load_rules, to_json
from bot.watch.explain import explain


@dataclass(frozen=True, slots=True)
class InputItem:
    """One item to match, or the reason its line could not be read."""

    id: Any
    title: str = ""
    lede: str = ""
    line: int | None = None
    error: str | None = None


def register(commands: Any) -> None:
    p = add_command(
        commands, "match",
        help="match items (JSON Lines or a feed file) against the watchlists, without storing anything",
        description=(
            "Match items against the watchlists and print one result per item.\n"
            "Input: JSON Lines (objects with id, title, lede) or a feed file (RSS/Atom/JSON Feed); '-' reads stdin.\n"
            "A file whose first non-blank character is '{' is read as JSON Lines (unless it is one JSON Feed).\n"
            "Watchlists: --rules DIR, else the config's rules.path (--config FILE, else ./config.toml), else ./rules."
        ),
        example=(
            "  watchbot match --input items.jsonl --rules rules\n"
            '  echo \'{"id": "1", "title": "ASML shares jump", "lede": ""}\' | watchbot match --input -\n'
            "  watchbot match --input seeds/rfi-feedx.xml --format table"
        ),
    )
    p.add_argument("--input", required=True, metavar="FILE|-", help="JSON Lines or feed file; '-' for stdin")
    p.add_argument("--rules", type=Path, default=None, metavar="DIR",
                   help="folder (or file) of *.yaml watchlists (default: the config's rules.path)")
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl", help="output format (default: jsonl)")
    p.add_argument("--workers", type=count_arg(256), default=None, metavar="N",
                   help=f"processes matching a long input (from {PARALLEL_FROM:,} items; default: one per CPU, "
                        "at most 4; 1: none)")
    add_config_option(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    rules = load_checked(rules_path(args, args.rules))
    body = _read(args.input)
    matcher = Matcher(rules.watchlists)
    by_id = {w.id: w for w in rules.watchlists}
    out = sys.stdout
    items = list(read_items(body, source=args.input))
    if args.format == "jsonl":
        for line in json_lines(matcher, items, workers=args.workers):
            out.write(line)
    else:
        per_list: Counter[str] = Counter()
        for item in items:
            if item.error is not None:
                print(f"line {item.line}: {item.error}", file=out)
            else:
                matches = matcher.match({"title": item.title, "lede": item.lede})
                per_list.update(m.watchlist for m in matches)
                print_table_row(out, item, matches, by_id)
        out.flush()  # (the table before its summary line, also when both go to one pipe: `2>&1 | less`)
        print(table_summary(items, per_list), file=sys.stderr)
    return 1 if any(item.error is not None for item in items) else 0


# Matching is CPU work: a long input is cut into batches matched in forked processes, which inherit the
# built Matcher (no rebuild, no pickling of it). Below PARALLEL_FROM items a fork costs more than it saves.
PARALLEL_FROM = 4_000
BATCH = 1_000
_forked: Matcher | None = None  # the Matcher a forked worker inherits


def json_lines(matcher: Matcher, items: list[InputItem], *, workers: int | None = None) -> Iterator[str]:
    """The ``--format jsonl`` line of every item, in input order; on ``workers`` processes (default: one per
    CPU, at most 4) when the input is long and the platform forks."""
    global _forked
    workers = workers if workers is not None else min(4, os.cpu_count() or 1)
    forking = "fork" in multiprocessing.get_all_start_methods()
    if workers <= 1 or not forking or len(items) < PARALLEL_FROM:
        yield from _lines(matcher, items)
        return
    _forked = matcher
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            batches = [items[i:i + BATCH] for i in range(0, len(items), BATCH)]
            for lines in pool.imap(_forked_lines, batches):
                yield from lines
    finally:
        _forked = None


def _forked_lines(items: list[InputItem]) -> list[str]:
    assert _forked is not None
    return list(_lines(_forked, items))


def _lines(matcher: Matcher, items: list[InputItem]) -> Iterator[str]:
    for item in items:
        if item.error is not None:
            yield _json({"id": item.id, "line": item.line, "error": item.error})
        else:
            matches = matcher.match({"title": item.title, "lede": item.lede})
            yield _json({"id": item.id, "matches": [to_json(m) for m in matches]})


def rules_path(args: argparse.Namespace, explicit: Path | None) -> Path:
    """``explicit`` (a DIR argument or --rules), else the config's ``rules.path``, read as poll and run read it."""
    return explicit or config_from(args, secrets=False).rules_path


def load_checked(path: Path) -> RuleSet:
    """The rules of ``path`` (a folder or one file); problems go to stderr; none valid is an error."""
    rules = load_rules(path)
    for e in sorted(rules.errors, key=lambda e: (e.path, e.line or 0)):  # (the others' watchlists still run)
        print(f"watchbot: warning: {e} (its file is skipped; `watchbot rules check` lists every problem)",
              file=sys.stderr)
    if not rules.watchlists:
        if not rules.errors:
            raise WatchbotError(no_watchlists(path))
        n = len(rules.errors)
        # (one line: the warnings above list every problem)
        raise WatchbotError(f"no valid watchlist in {path}, nothing can match: fix the {n} problem{'s' * (n != 1)} "
                            "above")
    return rules


def no_watchlists(path: Path) -> str:
    return f"no watchlists in {path}: add a .yaml file, see rules/ in the repo"


def _read(source: str) -> bytes:
    if source == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(source).read_bytes()
    except OSError as e:
        raise WatchbotError(f"{source}: cannot read the input ({e.strerror or e})") from e


def read_items(body: bytes, *, source: str) -> Iterator[InputItem]:
    """Items from JSON Lines or from a feed file (decided by the first non-blank character)."""
    head = body.lstrip().removeprefix(_BOM).lstrip()[:1]
    if head == b"{" and not _json_feed(body):
        yield from _jsonl(body)
        return
    try:
        feed = read_feed(body, url=source)
    except ParseError as e:
        kind = looks_like(body, e.reason)
        raise WatchbotError(
            f"{source} is neither JSON Lines nor a feed (RSS/Atom/JSON Feed): it looks like {kind}; "
            f"give one JSON object per line with id, title and lede, or a feed file"
        ) from e
    for reason in feed.skipped:
        print(f"watchbot: warning: {source}: skipped an unreadable item: {reason}", file=sys.stderr)
    for position, item in enumerate(feed.items, 1):
        yield InputItem(item.link or item.guid or f"#{position}", item.title, item.lede)  # (#3: the feed's third)


_BOM = b"\xef\xbb\xbf"
_HTML = re.compile(r"^<(!doctype\s+html|html|head|body)\b", re.IGNORECASE)


def _json_feed(body: bytes) -> bool:
    """Whether the body is one JSON Feed object (pretty-printed, it is no JSON Lines)."""
    first = body.lstrip().removeprefix(_BOM).split(b"\n", 1)[0]
    for text in (first, body):  # a JSON Lines file parses line by line: its body is never read whole here
        try:
            data = json.loads(text)
        except (ValueError, UnicodeDecodeError):
            continue
        return isinstance(data, dict) and str(data.get("version", "")).startswith("https://jsonfeed.org/")
    return False


def looks_like(body: bytes, reason: str) -> str:
    """What a body that is neither JSON Lines nor a feed looks like, for the error message."""
    text = body.removeprefix(_BOM).decode("utf-8", errors="replace").strip()
    if not text:
        return "an empty file"
    if "\x00" in text[:1024] or text[:1024].count("\ufffd") > 8:
        return "a binary file"
    if _HTML.match(text):
        return "an HTML page (is this the page, not its feed?)"
    if text.startswith("<"):
        detail = reason.removeprefix("not a feed: ")
        # (the parser's own "no RSS or Atom found" says it again; an XML error says where the XML broke)
        return "XML without an RSS or Atom feed in it" + ("" if detail == "no RSS or Atom found" else f" ({detail})")
    if text.startswith("["):
        try:
            json.loads(text)
            return "a JSON array (JSON Lines has one object per line, no enclosing [ ])"
        except ValueError:
            pass  # a TOML table header starts with '[' too
    try:
        if tomllib.loads(text):
            return "TOML"
    except tomllib.TOMLDecodeError:
        pass
    try:
        if isinstance(yaml.safe_load(text), dict | list):
            return "YAML"
    except yaml.YAMLError:
        pass
    return "broken JSON" if text.startswith("[") else "plain text"


def _jsonl(body: bytes) -> Iterator[InputItem]:
    for n, raw in enumerate(body.decode("utf-8", errors="replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as e:
            yield InputItem(None, line=n, error=f"not JSON: {e.msg} at column {e.colno}")
            continue
        if not isinstance(obj, dict):
            yield InputItem(None, line=n, error="not a JSON object")
        elif obj.get("id") is None:
            yield InputItem(None, line=n, error="no 'id'")
        elif not all(isinstance(obj.get(k) or "", str) for k in ("title", "lede")):  # (null is an empty field)
            wrong = next(k for k in ("title", "lede") if not isinstance(obj.get(k) or "", str))
            yield InputItem(obj["id"], line=n, error=f"'{wrong}' must be a string (got {type(obj[wrong]).__name__})")
        else:
            yield InputItem(obj["id"], obj.get("title") or "", obj.get("lede") or "", n)


def _json(obj: dict[str, Any]) -> str:
    return json.dumps(obj, ensure_ascii=False) + "\n"


def table_summary(items: list[InputItem], per_list: Counter[str]) -> str:
    """The line after a table (on stderr): "141 items; matched: semiconductors 2, asml 1", and the unreadable lines."""
    errors = sum(item.error is not None for item in items)
    read = len(items) - errors
    text = f"{read} item{'s' * (read != 1)}"
    if per_list:
        ranked = sorted(per_list.items(), key=lambda kv: (-kv[1], kv[0]))
        text += "; matched: " + ", ".join(f"{name} {n}" for name, n in ranked)
    else:
        text += "; none matched"
    if errors:
        text += f"; {errors} unreadable line{'s' * (errors != 1)} (above)"
    return text


SHORT_ID = 24  # characters: an id this short leads its row ("en-001"); a longer one (a feed's links) goes below


def print_table_row(out: TextIO, item: InputItem, matches: list[Match], by_id: dict[str, Watchlist]) -> None:
    """One item: its id (a short one first; a link below the title, percent-escapes decoded for reading), the
    watchlists it matches with their scores, its title, then why each matched."""
    names = ", ".join(f"{m.watchlist} ({m.score:g})" for m in matches) or "-"
    title = item.title if len(item.title) <= 70 else item.title[:69] + "…"
    shown = item.id if isinstance(item.id, str) else json.dumps(item.id)  # (a JSON line's id may be a number)
    if len(shown) <= SHORT_ID:
        print(f"{shown}  {names}  {title}", file=out)
    else:
        print(f"{names}  {title}", file=out)
        print(f"    {readable_link(shown)}", file=out)
    for m in matches:
        for line in explain(m, by_id.get(m.watchlist)):
            print(f"    {m.watchlist}: {line}", file=out)
