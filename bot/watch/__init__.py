"""Watchlists: YAML rules loaded and checked, then matched against item fields with explanations.

    rules/*.yaml | load (pydantic, file:line errors) | Matcher (fold, one scan, any/all/none) | Match

``load_rules`` and ``RuleBook`` read files; everything else is pure.
"""

from bot.watch.advice import rule_warnings
from bot.watch.excepts import except_warnings
from bot.watch.load import load_rules, parse_watchlist
from bot.watch.match import FIELD_LIMIT, Disabled, Matcher, Verdict, collector_paused
from bot.watch.meaning import fold_warnings
from bot.watch.model import Discounted, Hit, Match, Near, Pattern, Regex, RuleSet, Term, Watchlist, to_json
from bot.watch.regexes import regex_warnings
from bot.watch.reload import RuleBook

__all__ = [
    "FIELD_LIMIT",
    "Disabled",
    "Discounted",
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
    "collector_paused",
    "except_warnings",
    "fold_warnings",
    "load_rules",
    "parse_watchlist",
    "regex_warnings",
    "rule_warnings",
    "to_json",
]
