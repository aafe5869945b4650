"""Delivery: alerts out of the outbox to the console, Telegram chats and (as digests) email."""
