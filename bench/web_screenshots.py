"""Screenshots of every web page at phone (390 px) and desktop (1280 px) widths. Does IO.

    python bench/web_screenshots.py [--out bench/out]

Starts the real service (tests/web/live.py: the Bot API double, aiosmtpd, a feed server) with the
Chinese seed feed, a GB2312 Chinese news feed and a few captured real feeds (../shared/corpus, read in
place), signs in with the link the bot sends, and saves web-<page>-<width>.png for the login page, the
watchlists, the editor with its preview, the alerts, the feeds and the digest preview. Needs Debian's
chromium (apt-get install chromium fonts-noto-cjk) and Playwright (pip install playwright). Look at them.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

# the repo root instead of bench/ (where bench/telegram.py would shadow the telegram package)
sys.path[0] = str(Path(__file__).resolve().parents[1])

from tests.doubles.feedserver import rss  # noqa: E402
from tests.web.live import ADMIN, LiveService, browser_problem, launch  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("WATCHBOT_CORPUS", "/work/shared/corpus/feeds")).parent
WIDTHS = (390, 1280)


def feeds() -> list[tuple[str, bytes]]:
    found = [("/rfi.xml", (REPO / "seeds" / "rfi-feedx.xml").read_bytes())]
    qq = CORPUS / "zh" / "qq-news-china-gb2312.xml"
    if qq.exists():
        found.append(("/qq.xml", qq.read_bytes()))
    found.append(("/chips.xml", rss([], title="Chip Wire")))
    found.append(("/flaky.xml", rss([], title="Flaky Feed")))
    ledger = rss([("Double-entry accounting for a small blog", "https://ledger.example/1")], title="Ledger Notes")
    found.append(("/ledger.xml", ledger.replace(b"accounting", b"accounting&colon;")))  # read with a warning
    return found


def stories() -> bytes:
    return rss([
        ("ASML ships its newest EUV machine to a Taiwan chipmaker", "https://news.example/euv"),
        ("Semiconductor tariffs: what changes for fabs in 2026", "https://news.example/tariffs"),
        ("阿斯麦第三季度营收增长，芯片设备需求强劲", "https://news.example/asml-q3"),
        ("Sunny weekend ahead", "https://news.example/weather")], title="Chip Wire",
        description="The lede of the story, in a sentence or two.")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "out")
    args = parser.parse_args()
    problem = browser_problem()
    if problem:
        print(f"cannot take screenshots: {problem} (apt-get install chromium; pip install playwright)",
              file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp, LiveService(Path(tmp), feeds=feeds()) as live:
        live.tell("/subscribe asml")
        live.tell("/subscribe chips")
        live.feeds.update("/chips.xml", stories())
        live.service.wait_for(lambda: len(live.texts(ADMIN)) >= 5, "the first alerts", timeout=30)
        alerts = [m for m in live.api.sent_messages(ADMIN) if m.buttons]
        for m, (_, data) in zip(alerts, [alerts[0].buttons[1], alerts[1].buttons[0]], strict=False):
            live.api.user_presses(ADMIN, ADMIN, m.message_id, data or "")  # 👎 on the first alert, 👍 on the next
        live.feeds.status("/flaky.xml", 500)
        time.sleep(3)  # a few failed polls of the flaky feed
        with sync_playwright() as p:
            browser = launch(p)
            context = browser.new_context()
            page = context.new_page()
            page.set_viewport_size({"width": 1280, "height": 900})
            shots: list[tuple[str, str]] = [("login", "/login")]
            for name, path in shots:
                take(page, live.url + path, args.out, name)
            page.goto(live.login_link())
            page.click("#sign-in")
            for name, path in [("watchlists", "/watchlists"), ("alerts", "/alerts"), ("feeds", "/feeds"),
                               ("digests", "/digests")]:
                take(page, live.url + path, args.out, name)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": 900})
                page.goto(live.url + "/watchlists/asml.yaml")
                text = page.locator("#text")
                text.fill(text.input_value() + "  - lithography\n  - {term: 光刻机}\nfuzy: 80\n")
                page.wait_for_selector("#problems li.problem")
                page.screenshot(path=str(args.out / f"web-editor-problem-{width}.png"), full_page=True)
                text.fill(text.input_value().replace("fuzy: 80\n", ""))
                page.wait_for_selector("#problems p.ok")
                page.click("#preview-button")
                page.wait_for_selector("#preview h2")
                page.screenshot(path=str(args.out / f"web-editor-{width}.png"), full_page=True)
            browser.close()
    print(f"screenshots in {args.out}")
    return 0


def take(page: object, url: str, out: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        page.goto(url)  # type: ignore[attr-defined]
        page.screenshot(path=str(out / f"web-{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]


if __name__ == "__main__":
    raise SystemExit(main())
