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
    assert "feed Busy: fetch failed: HTTP 429 (retry after 60 min)" in svc.stderr_text()

    with work.service() as svc:
        polled = len(feeds.requests_for("/good.xml"))
        svc.wait_for(lambda: len(feeds.requests_for("/good.xml")) >= polled + 3, "three more polls")
        assert svc.terminate() == 0
    assert len(feeds.requests_for("/busy.xml")) == 1  # the stored next poll time survived the restart
