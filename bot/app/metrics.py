"""The service's Prometheus metrics: counters, gauges and the poll latency histogram. No IO.

Named in the README (Observing the service); served by ``bot.observe.HttpEndpoint`` at /metrics.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.app.alerts import DrainReport
from bot.app.pipeline import FeedResult


class Metrics:
    """The service's Prometheus metrics, in their own registry (so tests can make several)."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.polls = Counter("watchbot_polls", "Feed polls finished (any outcome).", registry=r)
        self.poll_failures = Counter("watchbot_poll_failures", "Feed polls that failed.", registry=r)
        self.items = Counter("watchbot_items_fetched", "Items in fetched feed bodies.", registry=r)
        self.new_items = Counter("watchbot_items_new", "Items never seen before.", registry=r)
        self.matches = Counter("watchbot_matches", "New items that matched a watchlist.", registry=r)
        self.enqueued = Counter("watchbot_alerts_enqueued", "Alerts written to the outbox.", registry=r)
        self.sent = Counter("watchbot_alerts_sent", "Alerts a peer accepted.", ["channel"], registry=r)
        self.failed = Counter("watchbot_alerts_failed", "Alert sends that failed and will be retried.",
                              ["channel"], registry=r)
        self.dead = Counter("watchbot_alerts_dead_lettered", "Alerts moved to the dead-letter state.",
                            ["channel"], registry=r)
        self.outbox = Gauge("watchbot_outbox_depth", "Outbox rows by state.", ["state"], registry=r)
        self.latency = Histogram("watchbot_poll_duration_seconds", "Time to fetch, parse and match one feed.",
                                 buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60), registry=r)
        self.last_poll = Gauge("watchbot_last_poll_timestamp_seconds", "When the last poll finished.",
                               registry=r)
        self.watchlists = Gauge("watchbot_watchlists", "Active watchlists.", registry=r)
        self.rule_errors = Gauge("watchbot_rule_errors", "Problems in rule files.", registry=r)
        self.feeds = Gauge("watchbot_feeds", "Configured feeds.", registry=r)

    def poll(self, result: FeedResult, finished: float) -> None:
        self.polls.inc()
        if result.error:
            self.poll_failures.inc()
        self.items.inc(result.items)
        self.new_items.inc(result.new)
        self.matches.inc(result.matched)
        self.enqueued.inc(result.alerts)
        self.latency.observe(result.ms / 1000)
        self.last_poll.set(finished)

    def delivery(self, reports: Mapping[str, DrainReport]) -> None:
        for channel, report in reports.items():
            self.sent.labels(channel).inc(report.sent)
            self.failed.labels(channel).inc(report.retried)
            self.dead.labels(channel).inc(report.dead)

    def outbox_depth(self, counts: Mapping[str, int]) -> None:
        for state in ("pending", "sending", "sent", "dead"):
            self.outbox.labels(state).set(counts.get(state, 0))

    def text(self) -> bytes:
        return generate_latest(self.registry)
