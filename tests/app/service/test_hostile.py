"""The service keeps alerting from a good feed while others time out, loop, never end or explode."""

from __future__ import annotations

from tests.app.service.conftest import Workdir
from tests.doubles.feedserver import FeedServer, billion_laughs, html_page, quadratic_blowup, rss


def test_good_feed_keeps_alerting_among_hostile_ones(work: Workdir, feeds: FeedServer) -> None:
    first = ("Chip export rules tightened", "https://news.example/1")
    good = feeds.feed("/good.xml", rss([first], title="Good"))
    hostile = {
        "Slow": feeds.slow("/slow.xml", rss([("Chip story from a slow server", "https://slow.example/1")]),
                           delay=30),
        "Loop": feeds.redirect("/loop1", "/loop2"),
        "Endless": feeds.endless("/endless"),
        "Laughs": feeds.feed("/laughs.xml", billion_laughs()),
        "Blowup": feeds.feed("/blowup.xml", quadratic_blowup()),
        "Html": feeds.feed("/page.xml", html_page(), content_type="text/html"),
        "Gone": feeds.status("/gone.xml", 500),
    }
    feeds.redirect("/loop2", "/loop1")
    work.config([(good, "Good"), *((url, name) for name, url in hostile.items())], timeout="1s", http=True)

    with work.service() as svc:
        svc.wait_for(lambda: f"[chips] {first[0]}" in svc.stdout_text(), "the good feed's first alert")
        second = ("Semiconductor plant opens", "https://news.example/2")
        feeds.update("/good.xml", rss([first, second], title="Good"))
        svc.wait_for(lambda: f"[chips] {second[0]}" in svc.stdout_text(), "the good feed's next alert")
        svc.wait_for(lambda: all(f"feed {name}: " in svc.stderr_text() for name in ("Slow", "Loop", "Endless",
                                                                                   "Html", "Gone")),
                     "every hostile feed's failure logged")
        assert svc.terminate() == 0
    log = svc.stderr_text()
    assert "redirect loop" in log and "timed out after 1 s" in log and "body over 2 MB" in log
    assert "HTTP 500" in log
    # The entity bombs parse without expanding: their titles never carry the expansion.
    assert "lollol" not in svc.stdout_text() and "xxxxxxxx" not in svc.stdout_text()
