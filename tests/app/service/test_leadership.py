"""Several `watchbot run` on one PostgreSQL store: one leads (polls, sends), the others stand by;
kill -9 of the leader hands over within 30 s and nothing is lost or sent twice.

Runs the real service in subprocesses (tests/app/service/proc.py) with alerts on the console;
skips without a PostgreSQL server (tests/postgres.py).
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.app.service.conftest import Workdir
from tests.app.service.proc import ServiceProcess
from tests.app.service.test_console import get
from tests.doubles.feedserver import FeedServer, rss
from tests.postgres import postgres_schema


@pytest.fixture
def pg() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


def role(config: Path) -> str | None:
    listen = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("listen"))
    try:
        status, body = get(f"http://{listen}/healthz")
    except OSError:
        return None
    return str(json.loads(body).get("role"))


def configs(work: Workdir, feeds: list[tuple[str, str]], pg: str) -> tuple[Path, Path]:
    """Two configs on one store, each with its own health port."""
    made = []
    for name in ("a", "b"):
        config = work.config(feeds, http=True, extra=f'[storage]\nurl = "{pg}"\n')
        made.append(shutil.copy(config, work.path / f"{name}.toml"))
    return Path(made[0]), Path(made[1])


def alerted(text: str) -> Counter[str]:
    return Counter(re.findall(r"^\[chips\] (Chip story \d+)$", text, re.M))


def test_one_leads_the_other_stands_by_and_takes_over_after_a_kill_9(
        work: Workdir, feeds: FeedServer, pg: str) -> None:
    from bot.store.postgres import PostgresStore

    stories = [(f"Chip story {i:03d}", f"https://news.example/chip/{i}") for i in range(40)]
    url = feeds.feed("/a.xml", rss(stories[:20], title="Alpha"))
    a_config, b_config = configs(work, [(url, "Alpha")], pg)
    store = PostgresStore(pg)
    a, b = ServiceProcess(a_config), ServiceProcess(b_config)
    with a:
        a.wait_for(lambda: role(a_config) == "leader", "the first process to lead")
        with b:
            b.wait_for(lambda: role(b_config) == "standby", "the second process to stand by")
            a.wait_for(lambda: store.outbox.counts() == {"sent": 20}, "the leader's alerts")
            assert "standby: another `watchbot run` leads the store" in b.stderr_text()

            a.kill9()
            feeds.update("/a.xml", rss(stories, title="Alpha"))
            b.wait_for(lambda: role(b_config) == "leader", "the standby to take over", timeout=30)
            b.wait_for(lambda: store.outbox.counts() == {"sent": 40}, "the new leader's alerts")
            b.wait_for(lambda: sum(alerted(b.stdout_text()).values()) >= 20, "the new alerts printed")
            assert b.terminate() == 0
    store.close()
    first, second = alerted(a.stdout_text()), alerted(b.stdout_text())
    assert set(first) == {t for t, _ in stories[:20]} and set(second) == {t for t, _ in stories[20:]}
    assert max((first + second).values()) == 1  # nothing sent twice
    assert "taking over: this process now leads the store" in b.stderr_text()
