"""How alerts read: one module per channel, values in, text out. Pure.

``telegram`` renders an alert as Telegram HTML (and groups HTML lines into pages); ``console``
as a plain-text block. Digests render in ``bot/digest`` (pages for Telegram, email bodies).
"""
