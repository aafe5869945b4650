"""watchbot: watch news feeds, match them against YAML watchlists, alert Telegram chats and email."""

__version__ = "0.1.0"
