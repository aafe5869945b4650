"""The real service (`python -m bot run`) with Telegram (the Bot API double), email digests (aiosmtpd),
a feed server and the web interface on loopback, plus a headless Debian chromium driven by Playwright.
Used by tests/web/test_browser.py and bench/web_screenshots.py.

    with LiveService(tmp) as live:
        link = live.login_link()          # /web from the admin, the link from the bot's reply
        page = browser.new_page(); page.goto(link); page.click("#sign-in")
"""

from __future__ import annotations

import os
import re
import shutil
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

from tests.app.service.proc import ServiceProcess, free_port
from tests.doubles.botapi import BotApiDouble
from tests.doubles.feedserver import FeedServer
from tests.doubles.smtp import SmtpServer

ADMIN = 9001
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HOW = ("browser tests need Debian's chromium and Playwright: apt-get install -y chromium && "
       "pip install playwright (never `playwright install`); WATCHBOT_REQUIRE_BROWSER=1 makes this skip a failure")
RULES = {
    "asml.yaml": "# The company ASML\nid: asml\nname: ASML\ndescription: The Dutch lithography company.\nany:\n"
                 "  - {term: ASML, case: true}\n  - 阿斯麦\n",
    "chips.yaml": "id: chips\nname: Chips\ndescription: Semiconductors and fabs.\nany:\n  - semiconductor\n"
                  "  - chipmaker\n  - 芯片\n",
}
_LINK = re.compile(r"(http://127\.0\.0\.1:\d+/login/[A-Za-z0-9_-]+)")


def browser_problem() -> str | None:
    """Why browser tests cannot run here (None when they can)."""
    if not Path(CHROMIUM).exists() or shutil.which(CHROMIUM) is None:
        return f"no {CHROMIUM}"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "no playwright module"
    return None


def launch(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


class LiveService:
    """A work folder (rules, config), the doubles, and the service running on them."""

    def __init__(self, folder: Path, feeds: list[tuple[str, bytes]] = ()) -> None:  # type: ignore[assignment]
        self.folder = folder
        self.initial_feeds = feeds
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._stack = ExitStack()

    def __enter__(self) -> LiveService:
        stack = self._stack
        self.api = stack.enter_context(BotApiDouble())
        self.smtp = stack.enter_context(SmtpServer())
        self.feeds = stack.enter_context(FeedServer())
        rules = self.folder / "rules"
        rules.mkdir(exist_ok=True)
        for name, text in RULES.items():
            (rules / name).write_text(text, encoding="utf-8")
        lines = ['[rules]', 'path = "rules"', '[poll]', 'interval = "1s"', 'timeout = "3s"',
                 'backlog = "0"']  # the fixed-date test stories alert on a feed's first poll too
        for path, body in self.initial_feeds:
            url = self.feeds.feed(path, body)
            lines += ["[[feeds]]", f'url = "{url}"', f'name = "{path.strip("/").rsplit(".", 1)[0]}"']
        lines += ["[telegram]", f'token = "{self.api.token}"', f'api_url = "{self.api.url}"', f"admins = [{ADMIN}]",
                  "[email]", f'host = "{self.smtp.host}"', f"port = {self.smtp.port}", 'security = "none"',
                  'from = "Watchbot <alerts@example.com>"',
                  "[[email.digests]]", 'to = ["analyst@example.com"]', 'at = "08:00"', 'timezone = "Asia/Shanghai"',
                  "[http]", f'listen = "127.0.0.1:{self.port}"']
        config = self.folder / "config.toml"
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.service = ServiceProcess(config, env={"PYTHONWARNINGS": "ignore"})
        stack.enter_context(self.service)
        self.service.wait_for(lambda: "telegram: polling for updates" in self.service.stderr_text(),
                              "the bot polling", timeout=30)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if self.service.proc is not None and self.service.proc.poll() is None:
                self.service.terminate()
        finally:
            self._stack.close()

    def texts(self, chat_id: int) -> list[str]:
        return [m.text for m in self.api.sent_messages(chat_id)]

    def login_link(self) -> str:
        """/web from the admin in a private chat; the link in the bot's reply."""
        before = len(self.api.sent_messages(ADMIN))
        self.api.user_sends(ADMIN, ADMIN, "/web")
        sent = self.api.wait_for_messages_sync(before + 1, timeout=10, chat_id=ADMIN)
        found = _LINK.search(sent[-1].text)
        assert found, sent[-1].text
        return found[1]

    def tell(self, text: str, chat_id: int = ADMIN) -> str:
        """A command from the admin; the bot's reply."""
        before = len(self.api.sent_messages(chat_id))
        self.api.user_sends(chat_id, chat_id, text)
        return self.api.wait_for_messages_sync(before + 1, timeout=10, chat_id=chat_id)[-1].text


def require_browser() -> None:
    """Skip (or, with WATCHBOT_REQUIRE_BROWSER=1, fail) when chromium or Playwright is missing."""
    import pytest

    problem = browser_problem()
    if problem:
        if os.environ.get("WATCHBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{problem}: {HOW}")
        pytest.skip(f"{problem}: {HOW}")
