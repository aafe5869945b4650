"""The matching engine and shipped rules of an earlier commit, importable beside today's. Reads git.

``old_matcher(rev)`` copies ``bot/watch``, ``bot/errors.py`` and ``rules/`` as they were at
``rev`` into bench/out/engine-<rev>/ (``git archive``), renames the package ``bot`` to
``oldbot_<rev>`` in the copy, imports it, and returns that engine's Matcher built on that
commit's rules. So one process can time the engine before and after a change on the same items. Where that commit has
the compiled hot loops (``bot/watch/_speedups.c``), they are compiled for the copy too (``hatch_build.compile_module``),
so that compiled code is timed against compiled code (unless ``WATCHBOT_PURE_PYTHON=1``: then both run the twins).
"""

from __future__ import annotations

import importlib
import io
import os
import re
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def old_matcher(rev: str) -> Any:
    """A Matcher of commit ``rev`` with that commit's shipped watchlists."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    name = f"oldbot_{sha}"
    home = OUT / f"engine-{sha}"
    if not (home / name).is_dir():
        archive = subprocess.run(["git", "archive", sha, "bot/__init__.py", "bot/errors.py", "bot/watch", "rules"],
                                 cwd=ROOT, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(home / "tmp", filter="data")
        (home / name).parent.mkdir(parents=True, exist_ok=True)
        (home / "tmp" / "bot").rename(home / name)
        (home / "tmp" / "rules").rename(home / "rules")
        for path in (home / name).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            path.write_text(re.sub(r"\bbot\.", f"{name}.", text), encoding="utf-8")
    source = home / name / "watch" / "_speedups.c"
    if source.is_file() and not any(source.parent.glob("_speedups*.so")):
        from hatch_build import compile_module

        here = os.getcwd()
        os.chdir(home)  # (setuptools builds relative to the working directory)
        try:
            built = compile_module(home, f"{name}.watch._speedups", source.relative_to(home).as_posix())
        finally:
            os.chdir(here)
        if built is None:
            print(f"warning: {sha}'s engine runs its Python twins: before/after figures flatter this tree",
                  file=sys.stderr)
    if str(home) not in sys.path:
        sys.path.insert(0, str(home))
    watch = importlib.import_module(f"{name}.watch")
    rules = watch.load_rules(home / "rules")
    if rules.errors:
        raise SystemExit(f"rules of {sha} do not load: {rules.errors}")
    return watch.Matcher(rules.watchlists)
