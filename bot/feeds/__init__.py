"""Feeds: fetching bodies over HTTP or from files (fetch), reading them into raw entries (parse)."""
