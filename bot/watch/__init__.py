"""Watchlists: YAML rules loaded and checked, then matched against item fields with explanations.

    rules/*.yaml | load (pydantic, file:line errors) | Matcher (fold, one scan, any/all/none) | Match

``load_rules`` and ``RuleBook`` read files; everything else is pure.
"""

from bot.watch.load import load_rules, parse_watchlist
from bot.watch.match import Matcher, Verdict
from bot.watch.model import Hit, Match, Near, Pattern, Regex, RuleSet, Term, Watchlist, to_json
from bot.watch.reload import RuleBook

__all__ = [
    "Hit",
    "Match",
    "Matcher",
    "Near",
    "Pattern",
    "Regex",
    "RuleBook",
    "RuleSet",
    "Term",
    "Verdict",
    "Watchlist",
    "load_rules",
    "parse_watchlist",
    "to_json",
]
