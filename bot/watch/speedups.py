"""Whether the matcher's hot loops run compiled (bot/watch/_speedups.c) or as their Python twins.

Every chat's own phrases (/watch) put tens of thousands of phrases in one matcher; the loops that visit each word of
a text and each phrase found in it are where the time goes (bench/match.py --only-chats). They are compiled at install
(hatch_build.py) wherever a C compiler is at hand. Each has a Python twin beside its caller, the reference:

- ``whole_words``: wordscan.whole_words_py (Scanner.scan's word pass);
- ``plain_hits``: plain.plain_hits_py (PlainLists.find's loop over a field's found phrases).

A machine without a compiler runs the twins: the same results (tests/watch/test_speedups.py), slower.
"""

from __future__ import annotations

from types import ModuleType

compiled: ModuleType | None
try:
    from bot.watch import _speedups as compiled
except ImportError:  # not built: no C compiler where the package was installed
    compiled = None

COMPILED = compiled is not None
