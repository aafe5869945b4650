"""A store that refuses writes (its disk full): the service fetches each feed at its interval, not in a loop, says
what is wrong, and stores and alerts everything once the store writes again.

A file-size limit set on the running service (RLIMIT_FSIZE, with prlimit) makes a write past it fail as on a full
disk, in any folder and without root; lifting it again is the disk getting space again.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Iterator

import pytest

from bot.store.sqlite import SqliteStore
from tests.app.service.conftest import Workdir
from tests.app.service.proc import ServiceProcess, watchbot
from tests.doubles.botapi import BotApiDouble
from tests.doubles.feedserver import FeedServer, rss

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="prlimit of another process is Linux's")


def disk_full(work: Workdir, svc: ServiceProcess, *, full: bool = True) -> None:
    """Once the service has started (while its feeds answer slowly): no file of its store may grow any more; with
    ``full=False``, space again."""
    svc.wait_for(lambda: "watchbot run: polling " in svc.stderr_text(), "the start-up line")
    assert svc.proc is not None
    wal = work.db.with_name(work.db.name + "-wal")
    hard = resource.getrlimit(resource.RLIMIT_FSIZE)[1]
    soft = (wal.stat().st_size if wal.exists() else 0) if full else hard
    resource.prlimit(svc.proc.pid, resource.RLIMIT_FSIZE, (soft, hard))


def test_a_store_that_refuses_writes_gets_no_feed_fetched_in_a_loop_and_loses_nothing(
        work: Workdir, feeds: FeedServer) -> None:
    items = [(f"Chip story {n}", f"https://news.example/{n}") for n in range(300)]
    url = feeds.slow("/big.xml", rss(items, title="Big", description="x" * 1000), delay=1.5)
    work.config([(url, "Big")], interval="5s")
    work.db.parent.mkdir()
    SqliteStore(work.db).close()

    with work.service() as svc:
        disk_full(work, svc)
        svc.wait_for(lambda: "feed Big: store failed: store " in svc.stderr_text(), "the refused ingest")
        # An interval and a bit: one more poll. Before, the feed stayed due (its next poll could not be written
        # either) and was fetched again the moment a fetch ended (here every 1.5 s; from a fast server, hundreds of
        # times a second).
        time.sleep(7)
        assert len(feeds.requests_for("/big.xml")) <= 2
        line = next(x for x in svc.stderr_text().splitlines() if "feed Big: store failed" in x)
        assert "(a write to its disk failed: is the disk full or failing?); next poll in 5 s" in line, line
        assert "cannot record its failure" not in svc.stderr_text()  # a store's failure is not held against a feed
        assert "[chips]" not in svc.stdout_text()

        disk_full(work, svc, full=False)
        svc.wait_for(lambda: svc.stdout_text().count("[chips] Chip story") == 300, "every item alerted", timeout=30)
        assert svc.terminate() == 0
    assert work.query("SELECT consecutive_failures FROM feeds") == [(0,)]
    assert work.outbox() == {"sent": 300}


def test_a_poll_by_hand_whose_store_refuses_says_so_at_once_and_exits_1(work: Workdir, feeds: FeedServer) -> None:
    """Before: each feed's line, then five minutes of retried claims of the outbox, then a traceback-free error."""
    items = [(f"Chip story {n}", f"https://news.example/{n}") for n in range(300)]
    work.config([(feeds.feed("/big.xml", rss(items, title="Big", description="x" * 1000)), "Big")])
    work.db.parent.mkdir()
    SqliteStore(work.db).close()
    # The write-ahead log, where every write goes first, may hold 64 KB: the ingest needs more.
    done = watchbot("poll", "--config", str(work.path / "config.toml"), cwd=work.path, disk_room=64 * 1024)
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert lines[-2] == "polled 1 feed: 0 ok, 1 failed; 0 items, 0 new, 0 matched; 0 alerts sent", done.stderr
    assert lines[-1].startswith("watchbot: error: nothing of 1 feed was stored (the next poll reads it again): store ")
    assert "Traceback" not in done.stderr and "retrying" not in done.stderr

    again = watchbot("poll", "-q", "--config", str(work.path / "config.toml"), cwd=work.path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("[chips] Chip story") == 300  # nothing lost: all read again, stored, alerted


@pytest.fixture
def api() -> Iterator[BotApiDouble]:
    with BotApiDouble() as double:
        yield double


def test_the_admins_hear_once_that_the_store_refuses_writes(work: Workdir, feeds: FeedServer, api: BotApiDouble) -> None:
    """Not one notice a feed that 'fails' (before: after three polls, every feed's own notice), and not again at every
    poll: once an outage, and the store cannot keep that it told, so the service remembers."""
    admin = 9001
    items = [(f"Chip story {n}", f"https://news.example/{n}") for n in range(300)]
    urls = [feeds.slow(f"/big{n}.xml", rss(items[n::2], title=f"Big {n}", description="x" * 1000), delay=1.5)
            for n in range(2)]
    work.config([(url, f"Big {n}") for n, url in enumerate(urls)], interval="2s",
                extra=f'[telegram]\ntoken = "{api.token}"\napi_url = "{api.url}"\nadmins = [{admin}]\n')
    work.db.parent.mkdir()
    SqliteStore(work.db).close()
    with work.service() as svc:
        disk_full(work, svc)
        svc.wait_for(lambda: svc.stderr_text().count("store failed") >= 6, "three failed polls of each feed")
        assert svc.terminate() == 0
    notices = [m.text for m in api.sent_messages(admin)]
    assert len(notices) == 1, notices
    assert notices[0].startswith("⚠️ The store refuses to keep what the feeds bring: store ")
    assert "(a write to its disk failed: is the disk full or failing?)" in notices[0]
    err = svc.stderr_text()
    assert "Traceback" not in err, err[max(0, err.find("Traceback") - 300):]  # (the whole of it, to tell what escaped)
