"""Signing in: no page without a session, a login link works once (and only for 10 minutes, only for
admins, only in a private chat), sessions survive in the store, CSRF tokens are enforced."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.conftest import Web
from tests.worlds import ADMIN

PAGES = ["/", "/watchlists", "/watchlists/asml.yaml", "/alerts", "/feeds", "/feeds/export.opml", "/digests"]
POSTS = ["/watchlists/asml.yaml", "/watchlists/asml.yaml/check", "/watchlists/asml.yaml/preview", "/watchlists/new",
         "/feeds/add", "/feeds/pause", "/feeds/resume", "/feeds/remove", "/feeds/import", "/logout"]


@pytest.mark.parametrize("path", PAGES)
async def test_no_page_without_a_session(web: Web, path: str) -> None:
    r = await web.client.get(path)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    htmx = await web.client.get(path, headers={"HX-Request": "true"})  # (the page stays: the line goes on top)
    assert htmx.status_code == 401 and htmx.headers["hx-retarget"] == "#said" and "You are signed out" in htmx.text
    login = await web.client.get("/login")
    assert "Send <code>/web</code> to the bot" in login.text and "was not done" not in login.text


@pytest.mark.parametrize("path", POSTS)
async def test_no_change_without_a_session(web: Web, path: str) -> None:
    before = (web.world.rules.folder / "asml.yaml").read_text()
    r = await web.client.post(path, data={"url": "http://127.0.0.1:9/x.xml"})
    assert r.status_code == 303 and r.headers["location"] == "/login?undone=1"
    assert "so what you sent was not done" in (await web.client.get(r.headers["location"])).text
    typed = await web.client.post(path, data={"text": "id: asml\nany: [x, mine]\n"})  # (the editor's Save, Preview)
    assert typed.status_code == 401 and "You are signed out" in typed.text
    assert 'readonly spellcheck="false">id: asml\nany: [x, mine]\n</textarea>' in typed.text  # (kept to copy)
    assert (web.world.rules.folder / "asml.yaml").read_text() == before


async def test_typing_after_signing_out_keeps_the_text_and_says_so(web: Web) -> None:
    """Signed out in another tab while editing: the live check must not take the page (and the typed text) away."""
    csrf = await web.sign_in()
    assert (await web.client.post("/logout", data={"csrf": csrf})).status_code == 303
    r = await web.client.post("/watchlists/asml.yaml/check", data={"csrf": csrf, "text": "id: asml\nany: [x]\n"},
                              headers={"HX-Request": "true", "X-CSRF-Token": csrf})
    assert r.status_code == 401 and "hx-redirect" not in r.headers
    assert (r.headers["hx-retarget"], r.headers["hx-reswap"]) == ("#said", "outerHTML")  # (replaced, not stacked)
    assert "What you typed is still here" in r.text and "/web to the bot in a private chat" in r.text


async def test_a_login_link_works_once(web: Web) -> None:
    link = await web.link()
    for _ in range(2):  # opening the link (or a link preview fetching it) does not use it up
        page = await web.client.get(link)
        assert page.status_code == 200 and 'id="sign-in"' in page.text
    r = await web.client.post(link)
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "watchbot_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert (await web.client.get("/watchlists")).status_code == 200
    signed_in = await web.client.post(link)  # (Back to the sign-in page, Sign in again)
    assert signed_in.status_code == 200 and "You are signed in" in signed_in.text
    assert "You are signed in" in (await web.client.get(link)).text
    assert "You are signed in" in (await web.client.get("/login")).text
    web.client.cookies.clear()
    again = await web.client.post(link)
    assert again.status_code == 403 and "This link does not work" in again.text and "was used" in again.text
    assert (await web.client.get("/watchlists")).status_code == 303


async def test_a_login_link_expires_after_ten_minutes(web: Web) -> None:
    link = await web.link()
    web.world.clock.now += timedelta(minutes=10, seconds=1)
    assert (await web.client.post(link)).status_code == 403


async def test_only_admins_in_a_private_chat_get_a_link(web: Web) -> None:
    stranger = await web.world.ask(777, "/web", user_id=777)
    assert "for the bot's admins" in stranger.text and "/login/" not in stranger.text
    group = await web.world.ask(-100, "/web", user_id=ADMIN, chat_type="group")
    assert "private chat" in group.text and "/login/" not in group.text


async def test_web_is_in_the_admins_menu_and_help_only(web: Web) -> None:
    """/web, an admin command, was in everyone's menu and in the people's part of /help."""
    menus = web.world.api.calls("setMyCommands")
    everyone = [c for c in menus if "scope" not in c.params or c.params["scope"].get("type") == "default"]
    admins = [c for c in menus if (c.params.get("scope") or {}).get("chat_id") == ADMIN]
    assert everyone and admins
    assert all("web" not in {cmd["command"] for cmd in c.params["commands"]} for c in everyone)
    assert "web" in {cmd["command"] for cmd in admins[-1].params["commands"]}
    said = (await web.world.ask(777, "/help", user_id=777)).text
    assert "\n/web" not in said and said.endswith("Admins: /feeds, /reload, /stats, /suggest, /web")


async def test_a_made_up_link_opens_nothing(web: Web) -> None:
    assert (await web.client.post("/login/not-a-token")).status_code == 403
    assert (await web.client.get("/watchlists")).status_code == 303


async def test_csrf_token_is_required_for_every_change(web: Web) -> None:
    csrf = await web.sign_in()
    path = web.world.rules.folder / "asml.yaml"
    before = path.read_text()
    text = "id: asml\nname: ASML\nany: [ASML, 阿斯麦]\n"
    for token in (None, "wrong"):
        data = {"text": text} | ({"csrf": token} if token else {})
        r = await web.client.post("/watchlists/asml.yaml", data=data)
        assert r.status_code == 403 and "opened before you last signed in" in r.text and "token missing" not in r.text
        assert 'href="/alerts"' in r.text  # (the page has its menu)
    assert path.read_text() == before
    r = await web.client.post("/watchlists/asml.yaml", data={"text": text}, headers={"X-CSRF-Token": csrf})
    assert r.status_code == 303 and path.read_text() == text


async def test_sessions_live_in_the_store_and_end_on_sign_out(web: Web) -> None:
    csrf = await web.sign_in()
    cookie = web.client.cookies["watchbot_session"]
    stored = b"".join(p.read_bytes() for p in web.world.tmp.glob("w.db*"))
    assert cookie.encode() not in stored  # only its digest is stored
    r = await web.client.post("/logout", data={"csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/login"
    web.client.cookies.set("watchbot_session", cookie)  # the old cookie opens nothing any more
    assert (await web.client.get("/watchlists")).status_code == 303


async def test_a_session_ends_after_twelve_hours(web: Web) -> None:
    await web.sign_in()
    web.world.clock.now += timedelta(hours=12, seconds=1)
    assert (await web.client.get("/watchlists")).status_code == 303


async def test_pages_carry_security_headers_and_never_the_bot_token(web: Web) -> None:
    await web.sign_in()
    for path in PAGES:
        r = await web.client.get(path, follow_redirects=True)
        assert r.status_code == 200, path
        assert web.world.api.token not in r.text
        assert "default-src 'self'" in r.headers["content-security-policy"]
        assert r.headers["referrer-policy"] == "no-referrer"


async def test_a_page_that_is_not_there_says_so_in_the_sites_page(web: Web) -> None:
    r = await web.client.get("/nonexistent")
    assert r.status_code == 404 and "No such page" in r.text and "/nonexistent" in r.text
    assert 'href="/alerts"' not in r.text  # (no menu before signing in)
    await web.sign_in()
    r = await web.client.get("/watchlists/../config.toml")
    assert r.status_code == 404 and "No such page" in r.text and 'href="/alerts"' in r.text
