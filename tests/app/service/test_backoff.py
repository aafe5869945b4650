"""The service honours Retry-After and stored next-poll times, across a restart too."""

from __future__ import annotations

from tests.app.service.conftest import Workdir
from tests.doubles.feedserver import FeedServer, rss


def test_retry_after_is_obeyed_across_a_restart(work: Workdir, feeds: FeedServer) -> None:
    good = feeds.feed("/good.xml", rss([("Chip news", "https://news.example/1")], title="Good"))
    busy = feeds.status("/busy.xml", 429, headers={"Retry-After": "3600"})
    work.config([(good, "Good"), (busy, "Busy")])

    # The good feed's polls are the clock: five of them at a 1 s interval, and the busy one asked once.
    with work.service() as svc:
        svc.wait_for(lambda: len(feeds.requests_for("/good.xml")) >= 5, "five polls of the good feed")
        assert svc.terminate() == 0
    assert len(feeds.requests_for("/busy.xml")) == 1
    log = svc.stderr_text()
    assert "WARNING watchbot.poll: feed Busy: fetch failed: HTTP 429 (retry after 60 min); next poll in 60 min (" in log
    assert "poll Busy status=" not in log  # a failed poll is one line, the warning

    with work.service() as svc:
        polled = len(feeds.requests_for("/good.xml"))
        svc.wait_for(lambda: len(feeds.requests_for("/good.xml")) >= polled + 3, "three more polls")
        assert svc.terminate() == 0
    assert len(feeds.requests_for("/busy.xml")) == 1  # the stored next poll time survived the restart


def test_a_start_with_no_feed_due_says_when_the_first_poll_is(work: Workdir, feeds: FeedServer) -> None:
    busy = feeds.status("/busy.xml", 503, headers={"Retry-After": "7200"})
    work.config([(busy, "Busy")])
    with work.service() as svc:
        svc.wait_for(lambda: "feed Busy: fetch failed" in svc.stderr_text(), "the failed poll")
        assert svc.terminate() == 0

    with work.service() as svc:  # a restart: the feed backs off, so nothing is polled; the service says so
        svc.wait_for(lambda: "no feed is due yet" in svc.stderr_text(), "the start-up line")
        assert svc.terminate() == 0
    line = next(x for x in svc.stderr_text().splitlines() if "no feed is due yet" in x)
    assert "the first poll is in 120 min (" in line and "1 feed is backing off after failures" in line, line
    assert len(feeds.requests_for("/busy.xml")) == 1
