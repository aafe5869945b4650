"""Build hook (hatchling runs it for `pip install .` and `pip install -e .`): compile bot/watch/_speedups.c.

The module holds the matcher's hot loops, each with a Python twin (bot/watch/speedups.py), so a machine without a C
compiler still installs watchbot: the build says so in one line and the package runs the twins, correct and slower
(bench/match.py --only-chats measures both ways: WATCHBOT_PURE_PYTHON=1 runs the twins). With a compiler the wheel
holds the compiled module and is tagged for this Python and platform; an editable install builds it beside its source.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

try:
    from hatchling.builders.hooks.plugin.interface import BuildHookInterface
except ImportError:  # (imported for compile_module alone: bench/old_engine.py builds an earlier commit's module)
    BuildHookInterface = object

MODULE = "bot.watch._speedups"
SOURCE = "bot/watch/_speedups.c"


def compile_module(root: Path, module: str = MODULE, source: str = SOURCE) -> Path | None:
    """Compile ``module`` from ``source`` (relative to the working directory) into its package folder under ``root``;
    its path, or None (the reason printed) when this machine cannot."""
    try:
        from setuptools import Distribution, Extension
        from setuptools.command.build_ext import build_ext
    except ImportError as e:
        print(f"watchbot: {module} not compiled ({e}); its Python twins will run", file=sys.stderr)
        return None
    extension = Extension(module, [source], extra_compile_args=["-O2"] if sys.platform != "win32" else [])
    dist = Distribution({"name": "watchbot-wordscan", "ext_modules": [extension]})
    command = build_ext(dist)
    command.inplace = True
    with tempfile.TemporaryDirectory() as tmp:
        command.build_temp = command.build_lib = tmp  # (never a stale build in ./build)
        command.ensure_finalized()
        try:
            command.run()
        except Exception as e:  # noqa: BLE001 - any compiler failure: the Python twin does the same work
            print(f"watchbot: {module} not compiled ({type(e).__name__}: {e}); its Python twins will run, slower with "
                  "many chats' /watch phrases: install gcc and the Python headers, then install watchbot again",
                  file=sys.stderr)
            return None
    return root / command.get_ext_fullpath(module)


class CompiledWordScan(BuildHookInterface):  # type: ignore[misc]
    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel":
            return
        root = Path(self.root)
        here = os.getcwd()  # (build_ext writes relative to the working directory)
        os.chdir(root)
        try:
            built = compile_module(root)
        finally:
            os.chdir(here)
        if built is None:
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # (an editable install imports it from the source folder)
            build_data["artifacts"].append("/" + built.relative_to(root).as_posix())  # (.gitignore leaves it out)
