"""Alerts as plain-text blocks for a terminal. Pure: values in, text out."""

from __future__ import annotations

from datetime import tzinfo

from bot.markup import cut, one_line, readable_link
from bot.model import Alert

MAX_LEDE = 200


def format_alert(alert: Alert, zone: tzinfo | None = None) -> str:
    """A readable block: watchlists, title, source, published time, link, matched terms."""
    when = "time unknown"
    if alert.published is not None:
        local = alert.published.astimezone(zone) if zone else alert.published
        when = local.strftime("%Y-%m-%d %H:%M %Z").strip()
    lines = [
        f"[{', '.join(alert.watchlists)}] {one_line(alert.title)}",
        f"  source:    {alert.source}" + (f" (also in: {', '.join(alert.also_in)})" if alert.also_in else ""),
        f"  published: {when}",
        f"  link:      {readable_link(alert.link) if alert.link else '(no link)'}",
        f"  matched:   {', '.join(alert.terms()) or '(no terms)'}",
    ]
    if alert.lede:
        lines.append(f"  lede:      {cut(alert.lede, MAX_LEDE)}")
    return "\n".join(lines)
