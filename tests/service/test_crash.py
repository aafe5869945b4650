"""kill -9 in the middle of sending, restart: every matched alert is delivered, repeats only from the cut batch."""

from __future__ import annotations

import re
from collections import Counter

from tests.doubles.feedserver import FeedServer, rss
from tests.service.conftest import Workdir

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
