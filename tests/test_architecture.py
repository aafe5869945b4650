"""The rooms and doors hold: the import contracts in pyproject.toml ([tool.importlinter]) are kept.

Front doors (CLI, Telegram handlers) -> use-cases (bot/app) -> adapters (store, senders, fetch) and
pure stages (feeds parsing, items, watch, digest, render). A broken contract fails here with
import-linter's report of the offending import chain.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint), "--config", str(REPO / "pyproject.toml")], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]


def test_no_module_outside_the_store_package_writes_sql() -> None:
    """All SQL sits in bot/store/sqlite (a second database gets a package of its own)."""
    offenders = []
    for path in (REPO / "bot").rglob("*.py"):
        if "store" in path.relative_to(REPO / "bot").parts[:1]:
            continue
        text = path.read_text(encoding="utf-8")
        if any(word in text for word in ("SELECT ", "INSERT INTO", "UPDATE outbox", "DELETE FROM", ".execute(")):
            offenders.append(str(path.relative_to(REPO)))
    assert offenders == []


def test_every_lxml_parser_is_made_per_thread() -> None:
    """A poll parses in several threads; an lxml parser shared by them corrupted the heap (bot/feeds/per_thread.py)."""
    offenders = []
    for path in (REPO / "bot").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        inside: set[int] = set()  # the nodes within a PerThread(...) call's arguments
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "PerThread":
                inside.update(id(n) for arg in node.args for n in ast.walk(arg))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in ("XMLParser", "HTMLParser") and id(node) not in inside):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == [], f"make these with PerThread(lambda: ...): {offenders}"
