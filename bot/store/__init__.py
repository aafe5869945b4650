"""The store: feeds and their fetch state, items with sightings and matches, the outbox, chats, digests.

``protocols.py`` is the contract (small Protocols per aggregate, the values they hand out);
``sqlite/`` implements it on SQLite, holding all of its SQL and its numbered migrations. Only the
use-cases in ``bot/app`` call the store; ``bot.app.build`` opens it.
"""
