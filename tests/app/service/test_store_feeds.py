"""Feeds added in the store (by the web or `watchbot feeds add`, here from another process) are polled by
the running service, stop being polled when paused, and are still there after a restart."""

from __future__ import annotations

import subprocess
import sys

from tests.app.service.conftest import Workdir
from tests.app.service.proc import REPO
from tests.doubles.feedserver import FeedServer, rss

FAB = ("Chipmaker opens a new chip fab in Arizona", "https://news.example/fab")
EUV = ("ASML ships its newest EUV machine", "https://news.example/euv")


def feeds_cli(work: Workdir, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "bot", "feeds", *args, "--config", str(work.path / "config.toml")],
                          cwd=work.path, capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_feed_added_while_running_is_polled_paused_and_kept(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([], title="Alpha"))
    extra = feeds.feed("/extra.xml", rss([FAB], title="Extra"))
    work.config([(a, "Alpha")])
    with work.service() as svc:
        svc.wait_for(lambda: "poll Alpha status=200" in svc.stderr_text(), "the first poll")
        assert "Extra: added" in feeds_cli(work, "add", extra)
        svc.wait_for(lambda: f"[chips] {FAB[0]}" in svc.stdout_text(), "the added feed's alert")
        feeds_cli(work, "pause", extra)
        assert svc.terminate() == 0

    feeds.update("/extra.xml", rss([FAB, EUV], title="Extra"))
    with work.service() as svc:
        svc.wait_for(lambda: svc.stderr_text().count("poll Alpha status=304") >= 3, "a few polls of Alpha")
        assert "poll Extra" not in svc.stderr_text() and EUV[0] not in svc.stdout_text()  # paused, across a restart
        feeds_cli(work, "resume", extra)
        svc.wait_for(lambda: f"[asml] {EUV[0]}" in svc.stdout_text(), "the resumed feed's new item")
        assert svc.terminate() == 0
