"""Thin senders: a message in, an outcome (or one of our DeliveryErrors) out. IO.

    console.py    text to a stream
    telegram.py   HTML messages to chats through the Bot API (post, edit); ``classify`` failures
    ratelimit.py  our pacing of every Bot API request (PTB's BaseRateLimiter interface)
    email.py      messages over SMTP (aiosmtplib); ``smtp_error`` classifies failures

What to send, to whom and when is decided by the use-cases in ``bot/app``.
"""
