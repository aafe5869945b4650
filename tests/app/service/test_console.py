"""The real service in a subprocess with alerts on the console: alert, dedupe, health, restart, stop."""

from __future__ import annotations

import json
import socket
import urllib.request

from tests.app.service.conftest import Workdir
from tests.doubles.feedserver import FeedServer, rss

FAB = ("Chipmaker opens a new chip fab in Arizona", "https://news.example/fab")
EUV = ("ASML ships its newest EUV machine", "https://news.example/euv")
EUV_TRACKED = ("ASML ships its newest EUV machine", "https://NEWS.example/euv?utm_source=rss&utm_medium=feed#top")
SENTINEL = ("Semiconductor sentinel story", "https://other.example/sentinel")
WEATHER = ("Sunny weekend ahead", "https://other.example/weather")


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def test_alerts_once_per_story_then_stops_cleanly(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    b = feeds.feed("/b.xml", rss([WEATHER], title="Beta"))
    config = work.config([(a, "Alpha"), (b, "Beta")], http=True)
    listen = next(line.split('"')[1] for line in config.read_text().splitlines() if line.startswith("listen"))

    with work.service() as svc:
        svc.wait_for(lambda: f"[chips] {FAB[0]}" in svc.stdout_text(), "the first poll's alert")
        first = svc.stderr_text().splitlines()[0]
        assert first.startswith("watchbot run: polling 2 feeds with 2 watchlists (asml, chips); alerts to console")

        feeds.update("/a.xml", rss([FAB, EUV], title="Alpha"))
        svc.wait_for(lambda: f"[asml] {EUV[0]}" in svc.stdout_text(), "the alert for a new item")

        # The same story again, its link dressed with tracking parameters, in another feed: not sent again.
        feeds.update("/b.xml", rss([WEATHER, EUV_TRACKED, SENTINEL], title="Beta"))
        svc.wait_for(lambda: SENTINEL[0] in svc.stdout_text(), "the sentinel from the second feed")
        assert svc.stdout_text().count(f"[asml] {EUV[0]}") == 1
        assert WEATHER[0] not in svc.stdout_text()

        status, body = get(f"http://{listen}/healthz")
        health = json.loads(body)
        assert status == 200 and health["ok"] is True and health["store"] == "ok"
        assert health["outbox"] == {"sent": 3}
        status, body = get(f"http://{listen}/metrics")
        assert status == 200
        metrics = body.decode()
        assert 'watchbot_alerts_sent_total{channel="console"} 3.0' in metrics
        assert "watchbot_poll_duration_seconds_bucket" in metrics
        assert get(f"http://{listen}/nothing")[0] == 404

        assert svc.terminate() == 0
    log = svc.stderr_text()
    assert "poll Alpha status=200" in log and "matched=1" in log
    assert log.rstrip().endswith("stopped")
    assert work.outbox() == {"sent": 3}


def test_restart_resumes_from_stored_validators(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    work.config([(a, "Alpha")])
    with work.service() as svc:
        svc.wait_for(lambda: FAB[0] in svc.stdout_text(), "the alert")
        assert svc.terminate() == 0

    feeds.reset_log()
    with work.service() as svc:
        svc.wait_for(lambda: "poll Alpha status=304" in svc.stderr_text(), "a conditional poll answered 304")
        assert svc.terminate() == 0
    first = feeds.requests_for("/a.xml")[0]
    assert "if-none-match" in first.headers or "if-modified-since" in first.headers
    assert FAB[0] not in svc.stdout_text()  # nothing alerted twice across the restart


def test_json_logs(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    work.config([(a, "Alpha")])
    with work.service("--log-format", "json") as svc:
        svc.wait_for(lambda: "deliver console" in svc.stderr_text(), "the delivery log line")
        assert svc.terminate() == 0
    records = [json.loads(line) for line in svc.stderr_text().splitlines()]
    polls = [r for r in records if r["logger"] == "watchbot.poll"]
    assert polls[0]["status"] == 200 and polls[0]["items"] == 1 and polls[0]["matched"] == 1
    assert isinstance(polls[0]["ms"], int)
    assert records[0]["msg"].startswith("watchbot run: polling 1 feed")


def test_rules_reload_while_running(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    work.config([(a, "Alpha")])
    with work.service() as svc:
        svc.wait_for(lambda: FAB[0] in svc.stdout_text(), "the first alert")

        (work.rules / "gallium.yaml").write_text("id: gallium\nany:\n  - gallium\n  - Ga\n", encoding="utf-8")
        svc.wait_for(lambda: "rules reloaded: 3 watchlists" in svc.stderr_text(), "the new rule file loaded")
        # a reload's warnings are logged (once), as `rules check` says them: they had gone unsaid
        svc.wait_for(lambda: "rule warning: " in svc.stderr_text(), "the new file's warning")
        assert "gallium.yaml:4: watchlist 'gallium', any: 'Ga' is 2 letters" in svc.stderr_text()
        gallium = ("Gallium prices soar", "https://news.example/gallium")
        feeds.update("/a.xml", rss([FAB, gallium], title="Alpha"))
        svc.wait_for(lambda: f"[gallium] {gallium[0]}" in svc.stdout_text(), "an alert from the new watchlist")

        # A broken edit is reported; the last good version of the file stays active.
        (work.rules / "chips.yaml").write_text("id: chips\nany: [chip\n", encoding="utf-8")
        svc.wait_for(lambda: "rule problem: " in svc.stderr_text() and "chips.yaml" in svc.stderr_text(),
                     "the broken file reported")
        chip2 = ("Another chip story", "https://news.example/chip2")
        feeds.update("/a.xml", rss([FAB, gallium, chip2], title="Alpha"))
        svc.wait_for(lambda: f"[chips] {chip2[0]}" in svc.stdout_text(), "an alert from the last good chips")
        assert svc.terminate() == 0


def test_start_up_errors_are_one_readable_line(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    config = work.config([(a, "Alpha")])
    config.write_text(config.read_text().replace("interval", "intervl"), encoding="utf-8")
    with work.service() as svc:
        assert svc.wait_exit() == 1
    assert svc.stderr_text().splitlines() == [
        f"watchbot: error: {config}: poll.intervl: unknown key (did you mean 'interval'?)"]
    assert not work.db.exists()  # nothing opened before the config was good

    work.config([(a, "Alpha")])
    for name in ("chips.yaml", "asml.yaml"):
        (work.rules / name).write_text("id: broken\nany: {{\n", encoding="utf-8")
    with work.service() as svc:
        assert svc.wait_exit() == 1
    lines = svc.stderr_text().splitlines()
    assert len(lines) == 1 and "no valid watchlist" in lines[0] and "rules check" in lines[0]


def test_a_taken_http_port_is_a_readable_start_up_error(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        work.config([(a, "Alpha")], extra=f'[http]\nlisten = "127.0.0.1:{port}"\n')
        with work.service() as svc:
            assert svc.wait_exit() == 1
    assert svc.stderr_text().splitlines()[-1].startswith(f"watchbot: error: http.listen: cannot listen on 127.0.0.1:{port}")


def test_one_broken_rule_file_is_not_fatal(work: Workdir, feeds: FeedServer) -> None:
    a = feeds.feed("/a.xml", rss([FAB, EUV], title="Alpha"))
    work.config([(a, "Alpha")])
    (work.rules / "asml.yaml").write_text("id: asml\nany: 5\nfuzy: 3\n", encoding="utf-8")
    with work.service() as svc:
        svc.wait_for(lambda: f"[chips] {FAB[0]}" in svc.stdout_text(), "an alert from the good file")
        assert "rule problem: " in svc.stderr_text() and "asml.yaml" in svc.stderr_text()
        assert svc.stderr_text().splitlines()[0].startswith("watchbot run: polling 1 feed with 1 watchlist (chips)")
        assert svc.terminate() == 0
    assert EUV[0] not in svc.stdout_text()


def test_email_only_alerts_on_the_console(work: Workdir, feeds: FeedServer) -> None:
    from tests.doubles.smtp import SmtpServer

    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    with SmtpServer() as smtp:
        work.config([(a, "Alpha")], extra=(
            f'[email]\nhost = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\nfrom = "W <w@example.com>"\n'
            '[[email.digests]]\nto = ["a@example.com", "b@example.com"]\nat = "07:30"\ntimezone = "Europe/Paris"\n'))
        with work.service() as svc:
            svc.wait_for(lambda: f"[chips] {FAB[0]}" in svc.stdout_text(), "the console alert")
            assert "alerts to console; email digests for 2 recipients via 127.0.0.1" in svc.stderr_text()
            assert svc.terminate() == 0
        assert smtp.messages == []  # digests go out at 07:30 Paris time, not at start-up


def test_a_followed_watchlist_gone_from_the_rules_is_said(work: Workdir, feeds: FeedServer) -> None:
    """Its file deleted (or its id changed on disk, or broken at a restart), a watchlist chats follow alerted nobody,
    and the log said only "rules reloaded: 1 watchlists"."""
    from datetime import UTC, datetime

    from bot.store.sqlite import SqliteStore

    a = feeds.feed("/a.xml", rss([FAB], title="Alpha"))
    work.config([(a, "Alpha")])
    store = SqliteStore(work.db)
    now = datetime.now(UTC)
    for chat in (5, 6):
        store.chats.ensure(chat, type="private", title="p", now=now)
        store.chats.subscribe(chat, "asml", now=now)
    store.close()
    with work.service() as svc:
        svc.wait_for(lambda: FAB[0] in svc.stdout_text(), "the first alert")
        assert "is in no rule file" not in svc.stderr_text()
        (work.rules / "asml.yaml").unlink()
        svc.wait_for(lambda: "rules reloaded: 1 watchlists (chips)" in svc.stderr_text(), "the reload")
        svc.wait_for(lambda: "watchlist 'asml' is followed by 2 chats but is in no rule file now, so it alerts "
                             "nobody: its file was removed, or its id changed" in svc.stderr_text(), "the warning")
        assert svc.terminate() == 0
    assert svc.stderr_text().count("is in no rule file now") == 1  # (said once)
