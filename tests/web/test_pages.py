"""Recent alerts (search, filters, explanations), feeds (health, add with discovery, pause, resume,
remove, OPML in and out) and digest previews, through the web front door."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.feeds.opml import parse_opml
from bot.items.normalize import Item
from bot.store.protocols import Judgment
from tests.doubles.feedserver import FeedServer, rss
from tests.web.conftest import Web
from tests.worlds import seed

OPML = b"""<?xml version="1.0"?><opml version="2.0"><head/><body><outline text="Tech">
<outline text="One" xmlUrl="https://one.example/rss"/><outline text="Two" xmlUrl="https://two.example/rss"/>
</outline></body></opml>"""


async def test_alerts_search_filter_and_explain(web: Web) -> None:
    store, at = web.world.store, web.world.clock.now - timedelta(hours=1)
    seed(store, "a", watchlists=["asml"], at=at, title="ASML ships its newest EUV machine")
    seed(store, "b", watchlists=["chips"], at=at, title="Chipmaker opens a fab", feeds=("NHK", "Reuters"))
    store.chats.ensure(5001, type="private", title="Analyst", now=at)
    store.outbox.enqueue("a", "telegram", "5001", ["asml"], now=at)
    store.outbox.enqueue("b", "telegram", "6002", ["chips"], now=at + timedelta(minutes=1))
    await web.sign_in()
    page = (await web.client.get("/alerts")).text
    assert page.index("Chipmaker opens a fab") < page.index("ASML ships")  # newest first
    assert "NHK, Reuters" in page and "Analyst" in page
    assert "&#39;ASML&#39; — phrase" in page  # the stored hit, explained
    only = (await web.client.get("/alerts", params={"watchlist": "asml"})).text
    assert "ASML ships" in only and "Chipmaker" not in only
    chat = (await web.client.get("/alerts", params={"chat": "6002"})).text
    assert "Chipmaker" in chat and "ASML ships" not in chat
    found = await web.client.get("/alerts", params={"q": "euv"}, headers={"HX-Request": "true", "HX-Target": "alert-list"})
    assert "ASML ships" in found.text and "Chipmaker" not in found.text and "<html" not in found.text
    none = (await web.client.get("/alerts", params={"q": "nothing like this"})).text
    assert "No alerts match these filters" in none
    # a filter by a chat or watchlist with no alerts says so, where the menus said "All chats"
    stray = (await web.client.get("/alerts", params={"chat": "777", "watchlist": "gone"})).text
    assert '<option value="777" selected>777 (no alerts to this chat)</option>' in stray
    assert '<option value="gone" selected>gone (no such watchlist now)</option>' in stray
    assert "No alerts match these filters" in stray
    seed(store, "c", watchlists=["chips"], at=at, title="台積電擴大在美投資")
    store.outbox.enqueue("c", "telegram", "5001", ["chips"], now=at + timedelta(minutes=2))
    simplified = (await web.client.get("/alerts", params={"q": "台积电"})).text  # as matching folds them
    assert "台積電擴大在美投資" in simplified and "ASML ships" not in simplified


async def test_an_alert_of_a_chats_own_phrases_is_labeled_in_words(web: Web) -> None:
    store, at = web.world.store, web.world.clock.now - timedelta(hours=1)
    seed(store, "p", watchlists=["chat:5001"], at=at, title="Gallium exports resume")
    store.outbox.enqueue("p", "telegram", "5001", ["chat:5001"], now=at)
    await web.sign_in()
    page = (await web.client.get("/alerts")).text
    assert '<span class="tag">chat 5001&#39;s own phrases</span>' in page and ">chat:5001<" not in page


async def test_alerts_say_when_the_story_was_published_and_when_it_was_alerted(web: Web) -> None:
    store, at = web.world.store, datetime(2026, 2, 18, 9, 30, tzinfo=UTC)
    seed(store, "a", watchlists=["asml"], at=at, title="ASML ships", published=datetime(2026, 2, 17, 21, 5, tzinfo=UTC))
    store.outbox.enqueue("a", "telegram", "5001", ["asml"], now=at)
    await web.sign_in()
    words = re.sub(r"<[^>]+>", "", (await web.client.get("/alerts")).text)
    assert "published 2026-02-17 21:05 UTC · alerted 2026-02-18 09:30 UTC" in words, words


async def test_alerts_show_how_the_chat_judged_them(web: Web) -> None:
    store, at = web.world.store, web.world.clock.now - timedelta(hours=1)
    seed(store, "a", watchlists=["asml"], at=at, title="ASML ships its newest EUV machine")
    seed(store, "b", watchlists=["chips"], at=at, title="Chipmaker opens a fab")
    store.outbox.enqueue("a", "telegram", "-100", ["asml"], now=at)
    store.outbox.enqueue("b", "telegram", "-100", ["chips"], now=at)
    store.outbox.enqueue("a", "telegram", "7", ["asml"], now=at)  # (another chat: its own judgments, none)
    for user, verdict in ((1, "down"), (2, "down"), (3, "up")):
        store.judgments.record(Judgment(chat_id=-100, story="a", user_id=user, verdict=verdict, identity="a",
                                        watchlists=("asml",), hits={}, at=at + timedelta(minutes=5)))
    await web.sign_in()
    words = re.sub(r"<[^>]+>", "", (await web.client.get("/alerts")).text)
    judged = [line for line in words.splitlines() if "judged" in line]
    assert [line.split(" · ")[-1].strip() for line in judged] == ["judged 1 relevant, 2 not relevant"]  # (-100's "a")


async def test_a_feeds_script_link_or_markup_is_never_live(web: Web) -> None:
    at = web.world.clock.now
    item = Item(identity="x", url=None, link="javascript:alert(1)", guid="x", title="<script>alert(2)</script> chips",
                lede="", language="en", published=at, feed_url="https://evil.example/rss")
    web.world.store.items.add([item], feed_name="Evil <b>", now=at)
    web.world.store.outbox.enqueue("x", "telegram", "5001", ["chips"], now=at)
    await web.sign_in()
    page = (await web.client.get("/alerts")).text
    assert "javascript:" not in page and "<script>alert" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt; chips" in page and "Evil &lt;b&gt;" in page


async def test_add_a_feed_by_its_url_and_by_its_site(web: Web, feeds: FeedServer) -> None:
    url = feeds.feed("/news.xml", rss([("Story", "https://n.example/1")], title="Daily News"))
    csrf = await web.sign_in()
    r = await web.client.post("/feeds/add", data={"csrf": csrf, "url": url})
    assert r.status_code == 303
    page = (await web.client.get(r.headers["location"])).text
    assert "Daily News was added" in page and url in page
    (state,) = web.world.store.feeds.get([url])
    assert state.origin == "store" and state.name == "Daily News"
    again = await web.client.post("/feeds/add", data={"csrf": csrf, "url": url}, follow_redirects=True)
    assert '<p class="note" role="status">Daily News is already there: nothing added</p>' in again.text
    assert 'class="ok"' not in again.text  # nothing changed: no success

    one = feeds.feed("/one.xml", rss([], title="One"))
    two = feeds.feed("/two.xml", rss([], title="Two"))
    links = (f'<link rel="alternate" type="application/rss+xml" title="First" href="{one}">'
             f'<link rel="alternate" type="application/atom+xml" title="Second" href="{two}">')
    site = feeds.feed("/", f"<!DOCTYPE html><html><head><title>Site</title>{links}</head><body>Hi</body></html>".encode(),
                      content_type="text/html; charset=utf-8")
    choose = await web.client.post("/feeds/add", data={"csrf": csrf, "url": site})
    assert choose.status_code == 200 and "links to several feeds" in choose.text and one in choose.text
    assert web.world.store.feeds.get([one]) == []  # nothing added until one is chosen
    picked = await web.client.post("/feeds/add", data={"csrf": csrf, "url": two, "name": "Second", "chosen": "1"})
    assert picked.status_code == 303 and web.world.store.feeds.get([two])[0].name == "Second"

    bad = await web.client.post("/feeds/add", data={"csrf": csrf, "url": "news.example:80"})
    assert bad.status_code == 422 and "did you mean" in bad.text
    script = await web.client.post("/feeds/add", data={"csrf": csrf, "url": "javascript:alert(1)"})
    assert script.status_code == 422 and "unsupported scheme &#39;javascript&#39;" in script.text
    assert "local file path" not in script.text  # (offered, then refused here)
    three = feeds.feed("/three.xml", rss([], title="Three"))  # (a 300-character name took over the list)
    named = await web.client.post("/feeds/add", data={"csrf": csrf, "url": three, "name": "名" * 300, "chosen": "1"})
    assert named.status_code == 303 and len(web.world.store.feeds.get([three])[0].name) <= 120
    gone = await web.client.post("/feeds/add", data={"csrf": csrf, "url": feeds.url("/missing.xml")})
    assert gone.status_code == 422 and "404" in gone.text
    empty = await web.client.post("/feeds/add", data={"csrf": csrf, "url": " "})  # (it had said "or a local file path")
    assert empty.status_code == 422 and "give the address of a feed, or of a site that offers one" in empty.text


async def test_a_feed_name_typed_on_the_web_is_one_line_without_control_characters(web: Web, feeds: FeedServer) -> None:
    url = feeds.feed("/wire.xml", rss([("Story", "https://w.example/1")], title="Wire"))
    csrf = await web.sign_in()
    r = await web.client.post("/feeds/add", data={"csrf": csrf, "url": url, "name": "Daily\x00 Wire\r\nNews"})
    assert r.status_code == 303  # (PostgreSQL refuses NUL in text)
    (state,) = web.world.store.feeds.get([url])
    assert state.name == "Daily Wire News"


async def test_pause_resume_and_remove_and_config_feeds_stay(web: Web, feeds: FeedServer) -> None:
    config_feed = web.world.feed("configured", [])
    web.world.store.feeds.sync([(str(config_feed), "Configured")])
    url = feeds.feed("/news.xml", rss([], title="Daily News"))
    web.world.store.feeds.add(url, "Daily News", now=web.world.clock.now)
    csrf = await web.sign_in()
    paused = await web.client.post("/feeds/pause", data={"csrf": csrf, "url": url})
    assert paused.status_code == 303
    assert "Daily News: paused" in (await web.client.get(paused.headers["location"])).text  # (its name, not its URL)
    assert web.world.store.feeds.get([url])[0].paused
    assert web.world.app.pipeline.polled(web.world.store.feeds.all()) == []  # neither paused nor unconfigured
    page = (await web.client.get("/feeds")).text
    assert "Resume" in page and "paused" in page and 'data-confirm="Remove Daily News?' in page
    await web.client.post("/feeds/resume", data={"csrf": csrf, "url": url})
    assert [f.url for f in web.world.app.pipeline.polled(web.world.store.feeds.all())] == [url]
    refused = await web.client.post("/feeds/remove", data={"csrf": csrf, "url": str(config_feed)})
    assert refused.status_code == 422 and "config.toml: remove its [[feeds]] entry there" in refused.text
    assert (await web.client.post("/feeds/remove", data={"csrf": csrf, "url": url})).status_code == 303
    assert web.world.store.feeds.get([url]) == []
    unknown = await web.client.post("/feeds/pause", data={"csrf": csrf, "url": "https://nope.example/rss"})
    assert unknown.status_code == 422 and "no feed" in unknown.text


async def test_many_feeds_are_found_by_name_or_health_a_page_at_a_time(web: Web) -> None:
    """20,000 feeds made one page of 18 MB. The list shows 100 at a time, counted by health, with a search; a change
    made on page 3 of a search comes back to it."""
    store, now = web.world.store, web.world.clock.now
    for i in range(250):
        store.feeds.add(f"https://outlet{i}.example/rss", f"Outlet {i}", now=now)
    store.feeds.record_failure("https://outlet7.example/rss", now=now, status=500, error="HTTP 500", next_poll_at=now)
    csrf = await web.sign_in()
    page = (await web.client.get("/feeds")).text
    assert page.count('class="url"') + page.count("small url") == 100 and "1–100 of 250" in page
    assert "250 feeds</a> · <a href=\"/feeds?health=failing\" class=\"h-failing\">1 failing</a>" in page
    assert "249 not read yet" in page and 'href="/feeds?page=2" rel="next"' in page
    last = (await web.client.get("/feeds?page=3")).text
    assert "201–250 of 250" in last and "Outlet 249" in last and "Outlet 199<" not in last and 'rel="next"' not in last
    assert "201–250 of 250" in (await web.client.get("/feeds?page=99")).text  # past the last: the last
    assert "1–100 of 250" in (await web.client.get("/feeds?page=x")).text
    found = (await web.client.get("/feeds?q=OUTLET 24")).text  # any case, name or address
    assert "1–11 of 11 matching" in found and "Outlet 240" in found and "Outlet 2<" not in found
    assert "1–1 of 1 matching" in (await web.client.get("/feeds?q=outlet7.example")).text
    failing = (await web.client.get("/feeds?health=failing")).text
    assert "1–1 of 1 matching" in failing and "Outlet 7" in failing and "HTTP 500" in failing
    assert "No feed matches." in (await web.client.get("/feeds?q=nowhere")).text
    back = await web.client.post("/feeds/pause", data={"csrf": csrf, "url": "https://outlet240.example/rss",
                                                       "back": "q=outlet+24&page=1&evil=1"})
    # (back at the feed: the page scrolls to it, and the next Tab goes on from there)
    from bot.web.feeds import anchor

    at = anchor("https://outlet240.example/rss")
    assert back.status_code == 303 and re.fullmatch(
        rf"/feeds\?done=Outlet\+240%3A\+paused&said=[0-9a-f]{{16}}&q=outlet\+24#{at}", back.headers["location"])
    assert "Outlet 240: paused" in (await web.client.get(back.headers["location"])).text
    # a message only a link can carry is not shown as the site's ("Your session is compromised: sign in at ...")
    forged = await web.client.get("/feeds", params={"done": "Your session is compromised", "said": "0" * 16})
    assert forged.status_code == 200 and "Your session is compromised" not in forged.text
    assert f'<li id="{at}"' in (await web.client.get(back.headers["location"])).text
    assert "1 paused" in (await web.client.get(back.headers["location"])).text


async def test_a_feed_shows_its_items_interval_and_failures_in_words(web: Web, feeds: FeedServer) -> None:
    store, now = web.world.store, web.world.clock.now
    one, two = feeds.url("/one.xml"), feeds.url("/two.xml")
    store.feeds.add(one, "One", now=now)
    store.feeds.add(two, "Two", now=now)
    await web.sign_in()
    page = (await web.client.get("/feeds")).text
    assert "0 items since added" in page and "polled every" not in page  # (not polled yet)
    store.items.add([Item(identity="v1:x", url=None, link=None, guid=None, title="t", lede="", language="en",
                          published=None, feed_url=one)], feed_name="One", now=now)
    store.feeds.record_interval(one, seconds=6 * 3600, reason="no new items in the last week")
    store.feeds.record_failure(two, now=now, status=500, error="HTTP 500", next_poll_at=now)
    page = (await web.client.get("/feeds")).text
    assert "1 item since added" in page and "polled every 6 h (no new items in the last week)" in page
    assert "1 failure in a row: HTTP 500" in page
    words = re.sub(r"<[^>]+>", "", page)  # (as a reader sees it: one space around each separator)
    assert "0 items since added · 1 failure in a row: HTTP 500" in words
    assert "1 item since added · polled every 6 h" in words
    store.feeds.record_body(one, items=1, ttl=None, update=None,
                            warning="1 byte not valid GB2312 replaced; the rest of the feed is intact")
    words = re.sub(r"<[^>]+>", "", (await web.client.get("/feeds")).text)
    assert "read with a warning: 1 byte not valid GB2312 replaced; the rest of the feed is intact" in words
    later = now + timedelta(minutes=5)  # a poll not held against the feed: this machine seemed offline
    store.feeds.record_failure(one, now=later, status=None, error="no route to host", next_poll_at=later,
                               counted=False)
    words = re.sub(r"<[^>]+>", "", (await web.client.get("/feeds")).text)
    assert ("polled every 6 h (no new items in the last week) · not reached while this machine seemed offline (no "
            "route to host): not held against it") in words
    assert "failure in a row: no route" not in words


async def test_opml_import_and_export(web: Web) -> None:
    csrf = await web.sign_in()
    r = await web.client.post("/feeds/import", data={"csrf": csrf}, files={"opml": ("subs.opml", OPML, "text/xml")})
    assert r.status_code == 303
    assert "imported 2 feeds; 0 were already there" in (await web.client.get(r.headers["location"])).text
    again = await web.client.post("/feeds/import", data={"csrf": csrf}, files={"opml": ("subs.opml", OPML)},
                                  follow_redirects=True)
    assert "imported 0 feeds; 2 were already there" in again.text
    export = await web.client.get("/feeds/export.opml")
    assert export.headers["content-type"].startswith("text/x-opml")
    assert parse_opml(export.content) == [("https://one.example/rss", "One"), ("https://two.example/rss", "Two")]
    # a file of 50,000 feeds was added at once from a click, with no way to undo it: a limit, said
    many = ('<opml version="2.0"><body>' + "".join(f'<outline type="rss" xmlUrl="https://f{n}.example/rss"/>'
                                                    for n in range(1001)) + "</body></opml>").encode()
    big = await web.client.post("/feeds/import", data={"csrf": csrf}, files={"opml": ("big.opml", many)})
    assert big.status_code == 422 and "1,001 feeds in it: at most 1,000 are added at once here" in big.text
    odd = (b'<opml version="2.0"><body><outline type="rss" xmlUrl="javascript:alert(1)"/>'
           b'<outline type="rss" xmlUrl="https://three.example/rss"/></body></opml>')
    r = await web.client.post("/feeds/import", data={"csrf": csrf}, files={"opml": ("odd.opml", odd)},
                              follow_redirects=True)
    assert "not a web address (javascript:)" in r.text and "a local file" not in r.text
    bad = await web.client.post("/feeds/import", data={"csrf": csrf}, files={"opml": ("x.opml", b"<rss/>")})
    assert bad.status_code == 422 and "not an OPML file" in bad.text


async def test_digest_preview_shows_the_email_without_sending(web: Web) -> None:
    at = web.world.clock.now - timedelta(hours=2)
    seed(web.world.store, "a", watchlists=["asml"], at=at, title="ASML ships its newest EUV machine")
    seed(web.world.store, "b", watchlists=["chips"], at=at, title="Chipmaker opens a fab")
    await web.sign_in()
    page = (await web.client.get("/digests")).text
    assert "analyst@example.com" in page and "<strong>1</strong> story." in page
    assert "ASML ships its newest EUV machine" in page and "Chipmaker opens" not in page  # asml only
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox" title="The digest email"' in page
    # its links open beside it (followed inside the frame, the page's CSP broke it)
    assert 'srcdoc="&lt;' in page and "&lt;a target=&#34;_blank&#34; rel=&#34;noopener noreferrer&#34; href=" in page
    assert web.world.store.digests.recipient("email:analyst@example.com|asml") is None  # nothing sent or settled
    gone = await web.client.get("/digests", params={"key": "nobody"})  # (a link from before the config changed)
    assert gone.status_code == 200 and "That recipient is not in the config any more" in gone.text
    assert "ASML ships its newest EUV machine" in gone.text  # (the first recipient's, as it says)


async def test_a_store_that_refuses_writes_is_said_on_the_page_and_nothing_is_changed(web: Web, feeds: FeedServer) -> None:
    url = feeds.feed("/news.xml", rss([], title="Daily News"))
    web.world.store.feeds.add(url, "Daily News", now=web.world.clock.now)
    csrf = await web.sign_in()
    web.world.store.db.execute("PRAGMA query_only = ON")  # every write refused, as by a full disk
    try:
        assert "Daily News" in (await web.client.get("/feeds")).text  # reading still works
        plain = await web.client.post("/feeds/pause", data={"csrf": csrf, "url": url})
        assert plain.status_code == 503 and "The store refuses to save anything right now" in plain.text
        assert "Nothing was changed" in plain.text and "<nav>" in plain.text  # a page, with the way back
        htmx = await web.client.post("/feeds/pause", data={"csrf": csrf, "url": url}, headers={"HX-Request": "true"})
        assert htmx.status_code == 503 and htmx.headers["HX-Retarget"] == "#said"
        assert htmx.text.startswith('<div id="said"><p class="problem" role="alert">The store refuses')
    finally:
        web.world.store.db.execute("PRAGMA query_only = OFF")
    assert not web.world.store.feeds.get([url])[0].paused


async def test_an_unforeseen_error_is_said_in_the_sites_page(web: Web, caplog: pytest.LogCaptureFixture) -> None:
    """Any error but the store's and a 404 gave a bare "Internal Server Error" (a template newer than the code
    running, after an upgrade in place): now the site's page says nothing was done, and the log has the traceback."""
    import logging

    import httpx
    from starlette.requests import Request
    from starlette.routing import Route

    from bot.web.app import web_app

    async def broken(request: Request) -> None:
        raise RuntimeError("No filter named 'wrap' found")

    app = web_app(web.world.app)
    app.app.router.routes.insert(0, Route("/broken", broken))  # type: ignore[attr-defined]
    caplog.set_level(logging.ERROR, logger="watchbot.web")
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
        r = await client.get("/broken")
        htmx = await client.get("/broken", headers={"HX-Request": "true"})
    assert r.status_code == 500 and "Something went wrong on the server, so this was not done" in r.text
    assert "<nav" in r.text or "<main" in r.text  # (the site's own page)
    assert htmx.status_code == 500 and htmx.text.startswith('<div id="said">')
    assert any("GET /broken failed" in rec.getMessage() and rec.exc_info for rec in caplog.records)
