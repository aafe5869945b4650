"""The literal strings a regex cannot match without, so most texts skip the regex. Pure.

``required_literals(r"\\d ?(?:nm|nanometer)s? chips?")`` is ``("nm", "nanometer")``: one of them
occurs in every text the regex matches, so a text with neither needs no regex run (a substring
test is far cheaper than a regex search). None means no such set was found: always run it.
"""

from __future__ import annotations

import re
import re._constants as sre_constants
import re._parser as sre_parse
from typing import Any

_MIN = 2  # shorter literals filter too little to be worth it


def required_literals(source: str) -> tuple[str, ...] | None:
    """Alternatives of which one must occur in any match of ``source``, or None."""
    try:
        parsed = sre_parse.parse(source)
    except re.error:
        return None
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None
    best = _sequence(list(parsed))
    return tuple(sorted(best)) if best else None


def _sequence(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The best set of alternatives along a sequence of regex items."""
    candidates: list[set[str]] = []
    run = ""
    for op, arg in items:
        if op is sre_constants.LITERAL:
            run += chr(arg)
            continue
        if run:
            candidates.append({run})
            run = ""
        if op is sre_constants.SUBPATTERN:
            inner = _sequence(list(arg[-1]))
            if inner:
                candidates.append(inner)
        elif op is sre_constants.BRANCH:
            alternatives: set[str] = set()
            for branch in arg[1]:
                inner = _sequence(list(branch))
                if not inner:
                    alternatives = set()
                    break
                alternatives |= inner
            if alternatives:
                candidates.append(alternatives)
        elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT, sre_constants.POSSESSIVE_REPEAT):
            low, _high, body = arg
            if low >= 1:
                inner = _sequence(list(body))
                if inner:
                    candidates.append(inner)
    if run:
        candidates.append({run})
    usable = [c for c in candidates if min(len(s) for s in c) >= _MIN]
    if not usable:
        return None
    return max(usable, key=lambda c: (min(len(s) for s in c), -len(c)))
