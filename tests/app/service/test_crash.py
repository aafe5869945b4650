"""kill -9 in the middle of sending, or anywhere, then restart: every matched alert is delivered."""

from __future__ import annotations

import random
import re
import time
from collections import Counter

from tests.app.service.conftest import Workdir
from tests.doubles.feedserver import FeedServer, rss

COUNT = 400  # ~100 KB of console alerts: more than a pipe holds, so an unread stdout stalls the sender


def test_kill_9_while_sending_then_restart_delivers_everything(work: Workdir, feeds: FeedServer) -> None:
    items = [(f"Chip story {i:03d}", f"https://news.example/chip/{i}") for i in range(COUNT)]
    url = feeds.feed("/a.xml", rss(items, title="Alpha", description="A long lede about a chip plant. " * 4))
    work.config([(url, "Alpha")])

    # Nobody reads the service's stdout: the console sender blocks mid-batch on the full pipe.
    with work.service(hold_stdout=True) as first:
        first.wait_for(lambda: work.outbox().get("sending", 0) > 0, "alerts claimed for sending")
        first.kill9()
        first.release_stdout()
        first.wait_exit()
    in_flight = {t for (t,) in work.query(
        "SELECT i.title FROM outbox o JOIN items i USING (identity) WHERE o.state = 'sending'")}
    assert in_flight and work.outbox().get("pending", 0) + work.outbox().get("sent", 0) + len(in_flight) == COUNT
    before = Counter(re.findall(r"^\[chips\] (Chip story \d+)$", first.stdout_text(), re.M))

    with work.service() as second:
        second.wait_for(lambda: work.outbox() == {"sent": COUNT}, "every alert marked sent", timeout=60)
        second.wait_for(lambda: second.stdout_text().count("[chips] ") >= COUNT - sum(before.values()),
                        "the rest printed")
        assert second.terminate() == 0
    after = Counter(re.findall(r"^\[chips\] (Chip story \d+)$", second.stdout_text(), re.M))
    delivered = before + after
    assert set(delivered) == {t for t, _ in items}
    repeated = {t for t, n in delivered.items() if n > 1}
    assert repeated <= in_flight  # only sends cut off by the kill went out twice
    assert "were being sent when the service last stopped" in second.stderr_text()


def test_kill_9_at_random_moments_loses_nothing(work: Workdir, feeds: FeedServer) -> None:
    rng = random.Random(20261124)
    published: dict[int, list[tuple[str, str]]] = {f: [] for f in range(4)}
    urls = [feeds.feed(f"/f{f}.xml", rss([], title=f"F{f}")) for f in published]
    # Every story here is one template ("Chip story N", one lede) in four feeds: as stories they would join
    # each other. This test is about kills, not stories: each item is its own story.
    work.config([(url, f"F{f}") for f, url in enumerate(urls)], extra='[stories]\nwindow = "0"\n')
    printed = ""
    n = 0
    for _ in range(6):  # publish a few stories, start, kill -9 somewhere in polling, matching or sending
        for _ in range(rng.randint(2, 5)):
            f = rng.randrange(len(urls))
            published[f].append((f"Chip story {n:03d}", f"https://news.example/k/{n}"))
            n += 1
            feeds.update(f"/f{f}.xml", rss(published[f], title=f"F{f}", description="A chip lede. " * 20))
        svc = work.service().start()
        time.sleep(rng.uniform(0.7, 1.6))
        svc.kill9()
        printed += svc.stdout_text()

    wanted = {f"Chip story {i:03d}" for i in range(n)}
    with work.service() as last:
        last.wait_for(lambda: "watchbot run:" in last.stderr_text(), "the start-up line")
        last.wait_for(lambda: wanted <= set(re.findall(r"^\[chips\] (Chip story \d+)$", printed + last.stdout_text(),
                                                        re.M)), "every story alerted", timeout=60)
        last.wait_for(lambda: work.outbox() == {"sent": n}, "every alert marked sent")
        assert last.terminate() == 0
