"""Fixtures for the service tests: a loopback feed server, a work folder with rules and a config."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.app.service.proc import ServiceProcess, free_port
from tests.doubles.feedserver import FeedServer

RULES = {
    "chips.yaml": "id: chips\nname: Chips\nany:\n  - chip\n  - semiconductor\n",
    "asml.yaml": "id: asml\nname: ASML\nany:\n  - {term: ASML, case: true}\n  - 阿斯麦\n",
}


@dataclass
class Workdir:
    """A folder holding config.toml, rules/ and the store (data/)."""

    path: Path

    @property
    def rules(self) -> Path:
        return self.path / "rules"

    @property
    def db(self) -> Path:
        return self.path / "data" / "watchbot.db"

    def config(self, feeds: list[tuple[str, str]], *, interval: str = "1s", timeout: str = "3s",
               extra: str = "", http: bool = False, backlog: str = "0") -> Path:
        """``backlog`` "0": the fixed-date test stories alert on a feed's first poll too."""
        lines = ['[rules]', 'path = "rules"', '[poll]', f'interval = "{interval}"', f'timeout = "{timeout}"',
                 "max_bytes = 2_000_000", f'backlog = "{backlog}"']
        for url, name in feeds:
            lines += ["[[feeds]]", f'url = "{url}"', f'name = "{name}"']
        if http:
            lines += ["[http]", f'listen = "127.0.0.1:{free_port()}"']
        path = self.path / "config.toml"
        path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        return path

    def service(self, *args: str, hold_stdout: bool = False) -> ServiceProcess:
        return ServiceProcess(self.path / "config.toml", args=args, hold_stdout=hold_stdout)

    def outbox(self) -> dict[str, int]:
        """Outbox rows by state ({} while the store does not exist yet)."""
        return dict(self.query("SELECT state, count(*) FROM outbox GROUP BY state"))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        if not self.db.exists():
            return []
        db = sqlite3.connect(self.db, timeout=10)
        try:
            return db.execute(sql).fetchall()
        except sqlite3.OperationalError:  # no such table yet
            return []
        finally:
            db.close()


@pytest.fixture
def work(tmp_path: Path) -> Workdir:
    (tmp_path / "rules").mkdir()
    for name, text in RULES.items():
        (tmp_path / "rules" / name).write_text(text, encoding="utf-8")
    return Workdir(tmp_path)


@pytest.fixture
def feeds() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server
