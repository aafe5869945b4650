"""Use-cases: what watchbot does, over the store and the senders. Front doors call these.

    build.py     the one wiring place: a Config in, the opened parts out (CLI and service alike)
    service.py   `watchbot run`: the scheduler, the poll plan, delivery, digests, rule reloads
    pipeline.py  one poll: fetch | parse | normalize | dedupe | match | outbox
    polling.py   when each feed is polled (interval, backoff, Retry-After, jitter), pure
    alerts.py    who follows a match; delivering the outbox through the channels
    digests.py   email and Telegram digests and their schedule
    chats.py     chats, subscriptions and settings; a group that moved
    notices.py   problems told to the admins once
    status.py    feed health and delivery counts for people
"""
