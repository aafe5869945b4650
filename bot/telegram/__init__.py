"""The Telegram front door: commands in (``commands``, ``admin``, ``digest_commands``), the bot's
lifecycle (``app``). Handlers call use-cases in ``bot/app``; they never touch the store.
"""
