"""Whether the matcher's hot loops run compiled (bot/watch/_speedups.c) or as their Python twins.

Every chat's own phrases (/watch) put tens of thousands of phrases in one matcher; the loops that visit each word of
a text and each phrase found in it are where the time goes (bench/match.py --only-chats). They are compiled at install
(hatch_build.py) wherever a C compiler is at hand. Each has a Python twin beside its caller, the reference:

- ``whole_words``: wordscan.whole_words_py (Scanner.scan's word pass, with its typo hits: typos.typo_hits);
- ``pair_hits``: pairs.pair_hits_py (Chinese phrases filed by their first two characters);
- ``plain_hits``: plain.plain_hits_py (PlainLists.find's loop over a field's found phrases);
- ``flagged``: match.flagged_py (the slots of a field's found phrases that the general watchlists read).

A machine without a compiler runs the twins: the same results (tests/watch/test_speedups.py), slower. After an
edit of the C file, `pip install -e .` compiles it again (an editable install keeps the module beside its source).
``WATCHBOT_PURE_PYTHON=1`` in the environment runs the twins where the compiled module exists (to rule it out
when a match looks wrong, and for the tests that compare the two).
"""

from __future__ import annotations

import importlib
import os
from types import ModuleType


def _load() -> ModuleType | None:
    if os.environ.get("WATCHBOT_PURE_PYTHON") == "1":
        return None
    try:
        return importlib.import_module("bot.watch._speedups")
    except ImportError:  # not built: no C compiler where the package was installed
        return None


compiled = _load()

COMPILED = compiled is not None
