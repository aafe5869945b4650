"""Prints the labeled-set figures (tune, hold-out, substring baseline) after a run that measured them."""

from __future__ import annotations

from typing import Any


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.watch import quality

    if quality.scores.cache_info().currsize:
        terminalreporter.write_sep("-", "watchlists on the labeled set (precision, recall)")
        terminalreporter.write_line(quality.report())
