"""watchbot: watch news feeds, match them against YAML watchlists, alert Telegram chats and email."""

__version__ = "0.2.0"  # (pyproject.toml says the same; round 2: store schema 15)
