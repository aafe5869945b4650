"""What recent reports have said already: the words of a running topic, so that the news of a day stands out. Pure.

On a busy topic (the Iran talks of 16-18 February 2026: a preview, a meeting with the IAEA, drills in the
Strait of Hormuz, the round's outcome) different events share the topic's words: "Iran", "nuclear", "talks",
"Geneva", "second round". Two reports of one event also share words the topic had not used before ("guiding
principles", "sworn in"). So when a new report is similar enough to the items of two stories or more, it
joins only a story it shares such a word with (``StoryIndex``): a word is the topic's when reports whose news
time lies ``recent`` to ``window`` before this one's already used it.

The background holds the set of shingles (Latin words, CJK character pairs: ``bot.stories.tokens.shingles``) used in
each hour of news time by the reports the caller shows it, matched or not: whether a word was used is all the rule
asks, so a report shown twice (read again from the store, or placed after it was seen) changes nothing, and nothing is
kept per report. Memory is bounded by the window and by how many distinct words an hour of news uses, not by how many
reports it held: hours older than the window before the newest news time are dropped.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import datetime, timedelta
from itertools import repeat

HOUR = 3600


class Background:
    """The shingles of recent reports, by hour of their news time."""

    def __init__(self, window: timedelta, recent: timedelta) -> None:
        self.window = window
        self.recent = recent
        self._hours: dict[int, dict[str, None]] = {}  # hour -> its words (a dict: more compact than a set)
        self._newest = -(2**62)

    @property
    def hours(self) -> int:
        """How many hours of news time are held."""
        return len(self._hours)

    def add(self, shingles: Iterable[str], news: datetime) -> None:
        """Count a report's shingles at its news time (a report older than the window is dropped)."""
        hour = int(news.timestamp()) // HOUR
        if hour < self._newest - self._span():
            return
        self._hours.setdefault(hour, {}).update(zip(map(sys.intern, shingles), repeat(None)))  # (one string a word)
        if hour > self._newest:
            self._newest = hour
            self._expire()

    def known(self, shingles: Iterable[str], news: datetime) -> set[str]:
        """The ``shingles`` that reports with a news time from ``window`` to ``recent`` before ``news`` used (in whole
        hours: the hour holding the window's start counts, the hour holding the ``recent`` cut does not)."""
        at = news.timestamp()
        first = int(at - self.window.total_seconds()) // HOUR
        last = int(at - self.recent.total_seconds()) // HOUR - 1  # (whole hours: the one holding the cut is out)
        hours = [c for h, c in self._hours.items() if first <= h <= last]
        return {s for s in shingles if any(s in c for c in hours)}

    def _span(self) -> int:
        return int(self.window.total_seconds()) // HOUR + 1

    def _expire(self) -> None:
        cutoff = self._newest - self._span()
        for h in [h for h in self._hours if h < cutoff]:
            del self._hours[h]
