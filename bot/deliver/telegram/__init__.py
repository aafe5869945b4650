"""Telegram: chat commands, instant alerts in HTML, paced delivery from the outbox.

    format (pure HTML, UTF-16 length) | ratelimit (our BaseRateLimiter) | sender (TelegramSender)
    | commands (one handler per command) | app (TelegramService: lifecycle, notices)
"""
