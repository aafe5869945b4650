"""Alerts printed to a text stream: the sink when no Telegram is configured. IO: writes text."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import tzinfo
from typing import TextIO

from bot.deliver.alert import Alert, Outcome, Report


def format_alert(alert: Alert, zone: tzinfo | None = None) -> str:
    """A readable block: watchlists, title, source, published time, link, matched terms."""
    when = "time unknown"
    if alert.published is not None:
        local = alert.published.astimezone(zone) if zone else alert.published
        when = local.strftime("%Y-%m-%d %H:%M %Z").strip()
    lines = [
        f"[{', '.join(alert.watchlists)}] {alert.title}",
        f"  source:    {alert.source}" + (f" (also in: {', '.join(alert.also_in)})" if alert.also_in else ""),
        f"  published: {when}",
        f"  link:      {alert.link or '(no link)'}",
        f"  matched:   {', '.join(alert.terms()) or '(no terms)'}",
    ]
    if alert.lede:
        lede = alert.lede if len(alert.lede) <= 200 else alert.lede[:199] + "…"
        lines.append(f"  lede:      {lede}")
    return "\n".join(lines)


class ConsoleSender:
    """Prints each alert; never fails."""

    channel = "console"
    concurrency = 1

    def __init__(self, stream: TextIO | None = None, zone: tzinfo | None = None) -> None:
        self.stream = stream
        self.zone = zone

    async def send(self, target: str, alerts: Sequence[Alert], report: Report | None = None) -> list[Outcome]:
        stream = self.stream or sys.stdout
        for alert in alerts:
            print(format_alert(alert, self.zone) + "\n", file=stream, flush=True)
        return [Outcome(tuple(a.outbox_id for a in alerts))]
