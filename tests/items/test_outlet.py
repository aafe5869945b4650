"""What alerts, digests and stories call a feed: its publisher, from the feed's title and its site (outlet.py).

The titles are real, from the 200 captured feeds (../shared/corpus/feeds), with each feed's own site address."""

from __future__ import annotations

import pytest

from bot.items.outlet import outlet_name


@pytest.mark.parametrize(("title", "link", "outlet"), [
    # a section and the outlet: the part that spells the site's name
    ("World – TIME", "https://time.com", "TIME"),
    ("NYT > World News", "https://www.nytimes.com/section/world", "NYT"),
    ("World - CBSNews.com", "https://www.cbsnews.com/", "CBSNews.com"),
    ("WSJ.com: World News", "http://online.wsj.com/page/2_0006.html", "WSJ.com"),
    ("Blog - Ardour", "https://discourse.ardour.org/c/blog/15", "Ardour"),
    # a name with a tagline or a section
    ("Al Jazeera – Breaking News, World News and Video from Al Jazeera", "https://www.aljazeera.com", "Al Jazeera"),
    ("Al-Monitor: The Pulse of The Middle East", "https://www.al-monitor.com/", "Al-Monitor"),
    ("The Christian Science Monitor | All stories", "https://www.csmonitor.com", "The Christian Science Monitor"),
    ("ABC News: International", "http://abcnews.com", "ABC News"),
    ("Japan Today - Category World", "https://japantoday.com/category/world", "Japan Today"),
    ("NPR Topics: World", "https://www.npr.org/templates/story/story.php?storyId=1004", "NPR"),
    ("Always Twisted| Articles", "https://www.alwaystwisted.com/", "Always Twisted"),
    # a search page's title
    ("NDTV News Search Records Found 1000", "https://www.ndtv.com/", "NDTV"),
    # only a section, or nothing: the site's host
    ("World", "https://www.washingtonpost.com", "washingtonpost.com"),
    ("Top Stories", "https://www.abc.net.au/news", "abc.net.au"),
    ("RSS", "https://explog.in/", "explog.in"),
    ("Asia", "https://www.economist.com/asia", "economist.com"),
    ("Middle East", "https://www.example.com/mideast", "example.com"),
    ("", "https://willpatrick.xyz/", "willpatrick.xyz"),
    ("World News: Breaking news, politics, crime, tech, and more", "https://www.boston.com/tag/world-news/",
     "boston.com"),
    # names kept whole
    ("Society of Gilbert Keith Chesterton", "https://www.chesterton.org/", "Society of Gilbert Keith Chesterton"),
    ("(Fabio Alessandro Locati|Fale)'s blog", "https://fale.io", "(Fabio Alessandro Locati|Fale)'s blog"),
    ("Web • Tech • Audio", "https://www.morningtempo.com/", "Web • Tech • Audio"),
    ("Stratechery by Ben Thompson", "https://stratechery.com", "Stratechery by Ben Thompson"),
    ("Deutsche Welle", "https://www.dw.com", "Deutsche Welle"),
    ("TheWeek feed", "https://theweek.com", "TheWeek"),  # (but "Feed" alone is a section: the host)
    ("Gatsby Starter Blog RSS Feed", "https://gatsby-starter-blog-demo.netlify.app/", "Gatsby Starter Blog"),
    ("Asia Times", "https://asiatimes.com", "Asia Times"),
    ("联合早报", "https://www.zaobao.com.sg", "联合早报"),
    ("Science &amp; technology experiments", "http://localhost:4000/", "Science & technology experiments"),
    # no site to fall back on: the title as it is
    ("World", None, "World"),
    ("News", "http://127.0.0.1:8080/feed.xml", "News"),
])
def test_a_feed_is_called_by_its_publisher(title: str, link: str | None, outlet: str) -> None:
    assert outlet_name(title, link) == outlet
