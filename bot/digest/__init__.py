"""Digests, pure: build one from pending matches, page it for Telegram, compose it as email, schedule it.

    pending matches | build (one story per item, sections, times in the zone) | pages (Telegram) / email

Nothing here does IO; the digest use-case (``bot/app/digests.py``) reads the store and sends.
"""
