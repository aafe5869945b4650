"""`watchbot rules check|test|backtest|suggest|lint`: validate watchlists, try them on a text, replay stored items,
turn 👍/👎 into edits, list noisy patterns.

Reads the rule folder; ``backtest``, ``suggest`` and ``lint`` also read the store (never write it);
``suggest --apply ID`` writes that one edit into its rule file.
"""

from __future__ import annotations

import argparse
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

from bot.app import lint as noise
from bot.app import suggest as suggesting
from bot.app.backtest import Backtest, backtest
from bot.cli.common import add_command, add_config_option, config_from, count_arg, duration_arg, help_of, open_store
from bot.cli.match import load_checked, no_watchlists, rules_path
from bot.config import Config, is_postgres, parse_duration
from bot.errors import WatchbotError
from bot.times import utcnow
from bot.watch import Matcher, load_rules, rule_warnings
from bot.watch.explain import explain
from bot.watch.load import rule_text

_PROGRESS_FROM = 500  # items; shorter runs finish before a bar helps


def register(commands: Any) -> None:
    rules = add_command(
        commands, "rules",
        help="check watchlists, test them on a text, or replay stored items (backtest)",
        description="Work with the watchlists in rules/*.yaml.",
        example="  watchbot rules check rules\n  watchbot rules test 'ASML shares fall on export curbs'",
    )
    sub = rules.add_subparsers(dest="rules_command", metavar="COMMAND")
    rules.set_defaults(func=help_of(rules))

    check = add_command(
        sub, "check",
        help="validate the watchlists; every problem with file:line; exit 1 if any",
        description=(
            "Validate every *.yaml (and *.yml) watchlist in DIR, or one FILE, and print each problem as\n"
            "file:line: message. Without DIR: the config's rules.path (--config FILE, else ./config.toml),\n"
            "else ./rules, else the watchlists shipped with watchbot."
        ),
        example=(
            "  watchbot rules check rules\n"
            "  watchbot rules check rules/asml.yaml\n"
            "  watchbot rules check --config config.toml"
        ),
    )
    check.add_argument("dir", nargs="?", type=Path, default=None, metavar="DIR|FILE",
                       help="folder of *.yaml watchlists, or one file (default: the config's rules.path)")
    add_config_option(check)
    check.set_defaults(func=run_check)

    test = add_command(
        sub, "test",
        help="which watchlists match a title (and lede), and why",
        description="Match TEXT (the title) and an optional lede; show each watchlist's hits or why it missed.",
        example=(
            "  watchbot rules test '荷兰扩大对华光刻机出口管制'\n"
            "  watchbot rules test 'Chip curbs widen' --lede 'ASML said DUV sales need a licence.'"
        ),
    )
    test.add_argument("text", metavar="TEXT", type=_title, help="the title to match")
    test.add_argument("--lede", default="", metavar="TEXT", help="the lede (default: empty)")
    test.add_argument("--rules", type=Path, default=None, metavar="DIR",
                      help="folder (or file) of *.yaml watchlists (default: the config's rules.path)")
    add_config_option(test)
    test.set_defaults(func=run_test)

    backtest = add_command(
        sub, "backtest",
        help="current rules over stored items: what would match, what differs from what was alerted",
        description=(
            "Run the current watchlists over the items stored since --since and compare with the\n"
            "watchlists each item matched when it arrived (and was alerted for). Reads the store only."
        ),
        example="  watchbot rules backtest --since 30d --config config.toml",
    )
    backtest.add_argument("--since", default="30d", type=_age, metavar="AGE",
                          help="how far back: 30d, 12h, 90m (default: 30d)")
    backtest.add_argument("--rules", type=Path, default=None, metavar="DIR",
                          help="folder of *.yaml watchlists (default: the config's rules.path)")
    backtest.add_argument("--show", type=count_arg(100_000), default=20, metavar="N",
                          help="list at most N differing items per watchlist (default: 20)")
    add_config_option(backtest)
    backtest.set_defaults(func=run_backtest)

    suggest = add_command(
        sub, "suggest",
        help="rule edits that 👍/👎 on alerts point to, with their effect; --apply ID writes one",
        description=(
            "Turn the judgments tapped under alerts (👎 mostly, 👍 as counter-evidence) into edits of the\n"
            "watchlists: mark a phrase weak, add an except phrase, add a none veto. Each line starts with\n"
            "the suggestion's id and says how many judged 👎 it removes, judged 👍 it loses, and other\n"
            "matches among the items stored since --since it drops. --apply ID writes that edit into its\n"
            "file, keeping comments and layout (the service reloads it)."
        ),
        example="  watchbot rules suggest --config config.toml\n  watchbot rules suggest --apply 615cac4",
    )
    suggest.add_argument("--apply", metavar="ID", default=None, help="write the suggestion with this id")
    suggest.add_argument("--since", default="30d", type=_age, metavar="AGE",
                         help="stored items to measure each edit on: 30d, 12h (default: 30d)")
    suggest.add_argument("--rules", type=Path, default=None, metavar="DIR",
                         help="folder of *.yaml watchlists (default: the config's rules.path)")
    suggest.add_argument("--limit", type=count_arg(10_000), default=suggesting.LIMIT, metavar="N",
                         help=f"list at most N suggestions (default: {suggesting.LIMIT})")
    add_config_option(suggest)
    suggest.set_defaults(func=run_suggest)

    lint = add_command(
        sub, "lint",
        help="noise report: the patterns that fire alone most often over stored items",
        description=(
            "Match the items stored since --since and list the patterns that were the only hit of a match,\n"
            "most often first, with example titles: the words to mark weak, narrow with except, or veto\n"
            "before users see their alerts. Reads the store only."
        ),
        example="  watchbot rules lint --since 30d --config config.toml",
    )
    lint.add_argument("--since", default="30d", type=_age, metavar="AGE",
                      help="how far back: 30d, 12h, 90m (default: 30d)")
    lint.add_argument("--rules", type=Path, default=None, metavar="DIR",
                      help="folder of *.yaml watchlists (default: the config's rules.path)")
    lint.add_argument("--limit", type=count_arg(10_000), default=15, metavar="N",
                      help="list at most N patterns (default: 15)")
    add_config_option(lint)
    lint.set_defaults(func=run_lint)


def _age(text: str) -> str:
    """--since: a duration, checked while parsing (duration_arg) so a bad one is a usage error (exit 2)."""
    duration_arg(text)
    return text


def run_check(args: argparse.Namespace) -> int:
    folder = rules_path(args, args.dir)
    if not folder.exists():
        raise WatchbotError(f"{folder}: no such file or folder")
    rules = load_rules(folder)
    if not rules.watchlists and not rules.errors:
        raise WatchbotError(no_watchlists(folder))
    for e in sorted(rules.errors, key=lambda e: (e.path, e.line or 0)):  # (in the file's order, as read)
        print(e)
    warnings = [w for wl in rules.watchlists for w in rule_warnings(wl, rule_text(wl.source))]
    for warning in warnings:
        print(f"warning: {warning}")
    names = ", ".join(w.id for w in rules.watchlists) or "none"
    problems = f"{len(rules.errors)} problem{'s' * (len(rules.errors) != 1)}"
    if warnings:
        problems += f", {len(warnings)} warning{'s' * (len(warnings) != 1)} (they do not stop the rules)"
    print(f"{folder}: {len(rules.watchlists)} valid watchlist{'s' * (len(rules.watchlists) != 1)} ({names}); "
          f"{problems}")
    return 1 if rules.errors else 0


def _title(text: str) -> str:
    """An argparse type: a title with something in it (an empty one, from a shell variable that was not set, matched
    nothing and said so for every watchlist)."""
    if not text.strip():
        raise argparse.ArgumentTypeError("the title is empty; write the headline to test, e.g. 'ASML export licence'")
    return text


def run_test(args: argparse.Namespace) -> int:
    rules = load_checked(rules_path(args, args.rules))
    matcher = Matcher(rules.watchlists)
    by_id = {w.id: w for w in rules.watchlists}
    fields = {"title": args.text, "lede": args.lede}
    verdicts = matcher.explain(fields)
    matched = [v for v in verdicts if v.match is not None]
    for v in verdicts:
        if v.match is None:
            print(f"✗ {v.watchlist}: {v.reason}")
            for d in v.discounted[1:]:  # (the reason names the first; two weak words deep in a lede named one)
                print(f"    (not counted) {d.reason}")
            continue
        print(f"✓ {v.watchlist} (score {v.match.score:g})")
        for line in explain(v.match, by_id[v.watchlist]):
            print(f"    {line}")
        for d in v.discounted:
            print(f"    (not counted) {d.reason}")
    print(f"{len(matched)} of {len(verdicts)} watchlists match")
    return 0


def run_backtest(args: argparse.Namespace) -> int:
    seconds = parse_duration(args.since) or 0.0  # checked by _age
    config = config_from(args, secrets=False)
    rules = load_checked(args.rules or config.rules_path)
    matcher = Matcher(rules.watchlists)
    since = utcnow() - timedelta(seconds=seconds)
    if not is_postgres(config.storage_url) and not config.db_path.exists():
        raise WatchbotError(f"{config.db_path}: no store yet (nothing was polled); run watchbot poll first")
    def progress(n: int, total: int) -> None:
        if total >= _PROGRESS_FROM and sys.stderr.isatty() and (n % 100 == 0 or n == total):
            print(f"\rbacktest: {n}/{total} items", end="" if n < total else "\n", file=sys.stderr)

    store = open_store(config, upgrade=False)  # (only reads: an older store is not upgraded)
    try:
        report = backtest(store, matcher, since, progress)
    finally:
        store.close()
    show_backtest(report, args.since, [w.id for w in rules.watchlists], args.show)
    return 0


def show_backtest(report: Backtest, since: str, current: list[str], show: int) -> None:
    print(f"{report.total} item{'s' * (report.total != 1)} stored in the last {since}")
    names = sorted(set(current) | set(report.before))
    print(f"{'watchlist':24} {'now':>6} {'then':>6} {'alerted':>8} {'new':>6} {'gone':>6}")
    for w in names:
        print(f"{w:24} {report.now[w]:6} {report.before[w]:6} {report.alerted[w]:8} "
              f"{len(report.gained.get(w, [])):6} {len(report.lost.get(w, [])):6}")
    sections = (("would match now, did not then", report.gained), ("matched then, would not now", report.lost))
    for label, table in sections:
        for w in names:
            rows = table.get(w, [])
            if not rows:
                continue
            print(f"\n{w}: {label} ({len(rows)}):")
            for row in rows[:show]:
                print(f"  {row}")
            if len(rows) > show:
                print(f"  ... and {len(rows) - show} more (--show N lists more)")


def _stored(config: Config) -> None:
    if config.store_missing:  # (a PostgreSQL URL had been taken for a file's path: "postgresql:/...: no store yet")
        raise WatchbotError(f"{config.db_path}: no store yet (nothing was polled); run watchbot poll first")


def run_suggest(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    rules = load_checked(args.rules or config.rules_path)
    _stored(config)
    store = open_store(config, upgrade=False)  # (only reads: an older store is not upgraded)
    try:
        found = suggesting.evidence(store, utcnow() - timedelta(seconds=parse_duration(args.since) or 0.0))
    finally:
        store.close()
    if args.apply:
        done = suggesting.apply(rules.watchlists, found, args.apply)
        print(f"{done.path}: {done.suggestion.edit.describe()} (suggestion {done.suggestion.id}); "
              f"check with: watchbot rules check {done.path}")
        return 0
    for line in suggesting.report_lines(found, suggesting.suggestions(rules.watchlists, found, limit=args.limit),
                                        args.since):
        print(line)
    return 0


def run_lint(args: argparse.Namespace) -> int:
    config = config_from(args, secrets=False)
    rules = load_checked(args.rules or config.rules_path)
    _stored(config)
    store = open_store(config, upgrade=False)  # (only reads: an older store is not upgraded)
    try:
        report = noise.lint(store, rules.watchlists, utcnow() - timedelta(seconds=parse_duration(args.since) or 0.0))
    finally:
        store.close()
    for line in noise.report_lines(report, args.since, args.limit):
        print(line)
    return 0
