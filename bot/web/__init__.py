"""The web front door: server-rendered pages (Starlette + Jinja2, enhanced with htmx) on the service's
own event loop, behind one-time login links from /web. Pages call use-cases (``bot.app``), never the store.

    app.py         the Starlette app: sessions, CSRF, security headers, routes of every page
    watchlists.py  edit a watchlist: check as you type, preview, backtest difference, save
    feeds.py       feed health; add (with discovery), pause, resume, remove; OPML in and out
    views.py       recent alerts, digest previews, signing in and out
"""
