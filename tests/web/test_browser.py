"""The web interface in a real browser (Debian's chromium through Playwright) against the real service on
loopback: sign in with the link from the Bot API double, edit a watchlist, see the problems and the
preview, save, and see the next alert change; add a feed and see it polled; preview a digest.

Without chromium these skip with one line saying how to run them; WATCHBOT_REQUIRE_BROWSER=1 (CI)
turns that skip into a failure.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.doubles.feedserver import rss
from tests.web.live import ADMIN, LiveService, launch, require_browser

EUV = ("ASML ships its newest EUV machine", "https://news.example/euv")
GALLIUM = ("Gallium prices jump as ASML stocks up", "https://news.example/gallium")
WAFER = ("Wafer makers expand in Japan", "https://news.example/wafer")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


def test_edit_a_watchlist_add_a_feed_preview_a_digest(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with LiveService(tmp_path, feeds=[("/wire.xml", rss([EUV], title="Wire"))]) as live:
        live.tell("/subscribe chips")
        live.service.wait_for(lambda: live.feeds.requests_for("/wire.xml"), "the first poll")
        page = browser.new_page(viewport={"width": 390, "height": 844})
        page.set_default_timeout(10_000)

        # Sign in with the link the bot sent.
        page.goto(live.login_link())
        page.click("#sign-in")
        expect(page.locator("h1")).to_have_text("Watchlists")

        # Edit chips: a typo shows its line as you type; the fix shows the preview; save.
        page.click('a[href="/watchlists/chips.yaml"]')
        text = page.locator("#text")
        # monospace, so that an indentation one space off shows (a later `font: inherit` had made it proportional)
        assert "monospace" in text.evaluate("e => getComputedStyle(e).fontFamily")
        text.fill("id: chips\nname: Chips\nany:\n  - semiconductor\n  - wafer\nfuzy: 80\n")
        expect(page.locator("#problems")).to_contain_text("chips.yaml:6:")
        text.fill("# wafers count too\nid: chips\nname: Chips\nany:\n  - semiconductor\n  - chipmaker\n  - wafer\n"
                  "  - ASML\n")
        expect(page.locator("#problems")).to_contain_text("No problems")
        page.click("#preview-button")
        expect(page.locator("#preview")).to_contain_text("ASML ships its newest EUV machine")
        expect(page.locator("#preview")).to_contain_text("'ASML' — phrase")
        page.click("#save")
        expect(page.locator("p[role=status]")).to_contain_text("Saved.")
        assert (live.folder / "rules" / "chips.yaml").read_text().startswith("# wafers count too\n")
        # Typing again: "Saved." and the old preview no longer hold (they had stayed under a broken text)...
        page.click("#preview-button")
        expect(page.locator("#preview")).to_contain_text("ASML ships its newest EUV machine")
        text.fill("id: chips\nany:\n  - wafer\nfuzy: 1\n")
        expect(page.locator("#preview")).to_contain_text("The text changed since any preview")
        expect(page.locator("#banner")).to_have_text("")
        expect(page.locator("#problems")).to_contain_text("chips.yaml:4:")
        # ... but a preview asked for at once, before the check of what was typed, stays
        text.fill("# wafers count too\nid: chips\nname: Chips\nany:\n  - semiconductor\n  - chipmaker\n  - wafer\n"
                  "  - ASML\n")
        page.click("#preview-button")
        page.wait_for_timeout(800)  # (the check of the text, 300 ms after typing, has come back)
        expect(page.locator("#preview")).to_contain_text("ASML ships its newest EUV machine")

        # The next alert follows the saved watchlist.
        live.feeds.update("/wire.xml", rss([EUV, WAFER], title="Wire"))
        live.service.wait_for(lambda: any(WAFER[0] in t for t in live.texts(ADMIN)), "the alert on the new phrase")

        # Add a feed by its URL; the service polls it and its matching item alerts.
        url = live.feeds.feed("/extra.xml", rss([GALLIUM], title="Extra News"))
        page.click('nav a[href="/feeds"]')
        page.fill('input[name="url"]', url)
        page.click("form.add button")
        expect(page.locator("p[role=status]")).to_contain_text("Extra News was added")
        live.service.wait_for(lambda: any(GALLIUM[0] in t for t in live.texts(ADMIN)), "the added feed's alert")

        # The digest the analyst would get now.
        page.click('nav a[href="/digests"]')
        expect(page.locator(".subject")).to_contain_text("Watchbot digest")
        frame = page.frame_locator("iframe.mail")
        expect(frame.locator("body")).to_contain_text(EUV[0])
        assert live.smtp.messages == []  # a preview sends nothing
        page.close()

        # Without JavaScript the same forms work as plain posts: sign in, preview, save.
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
        plain = context.new_page()
        plain.set_default_timeout(10_000)
        plain.goto(live.login_link())
        plain.click("#sign-in")
        plain.goto(live.url + "/watchlists/asml.yaml")
        plain.locator("#text").fill("id: asml\nname: ASML\nany:\n  - ASML\n  - gallium\n")
        plain.click("#preview-button")
        expect(plain.locator("#preview")).to_contain_text("Gallium prices jump as ASML stocks up")
        plain.click("#save")
        expect(plain.locator("p[role=status]")).to_contain_text("Saved.")
        assert "gallium" in (live.folder / "rules" / "asml.yaml").read_text()
        context.close()


def test_leaving_the_editor_with_unsaved_text_asks_first(browser: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with LiveService(tmp_path) as live:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.set_default_timeout(10_000)
        page.goto(live.login_link())
        page.click("#sign-in")
        page.goto(live.url + "/watchlists/chips.yaml")
        asked: list[str] = []

        def answer(dialog: Any) -> None:
            asked.append(dialog.type)
            dialog.dismiss() if len(asked) in (1, 3) else dialog.accept()

        page.on("dialog", answer)
        page.click('nav a[href="/alerts"]')  # unchanged: leaves without asking
        expect(page.locator("h1")).to_have_text("Recent alerts")
        assert asked == []
        page.go_back()
        page.locator("#text").fill("id: chips\nany:\n  - wafer\n")
        page.click('nav a[href="/alerts"]')  # changed: asked, and staying keeps the text
        page.wait_for_timeout(300)
        assert asked == ["beforeunload"] and page.locator("#text").input_value() == "id: chips\nany:\n  - wafer\n"
        page.click("#save")  # saving leaves without asking
        expect(page.locator("p[role=status]")).to_contain_text("Saved.")
        assert asked == ["beforeunload"]
        page.locator("#text").fill("id: chips\nany:\n  - gallium\n")
        page.click('nav a[href="/alerts"]')  # asked again; leaving goes
        expect(page.locator("h1")).to_have_text("Recent alerts")
        assert asked == ["beforeunload", "beforeunload"]

        # Removing a feed asks first too: "No" keeps it.
        url = live.feeds.feed("/extra.xml", rss([GALLIUM], title="Extra News"))
        page.click('nav a[href="/feeds"]')
        page.fill('input[name="url"]', url)
        page.click("form.add button")
        expect(page.locator("p[role=status]")).to_contain_text("Extra News was added")
        page.click("form[action='/feeds/remove'] button")  # (the third dialog: dismissed below)
        page.wait_for_timeout(300)
        assert asked[-1] == "confirm" and page.locator("form[action='/feeds/remove']").count() == 1
        page.close()
