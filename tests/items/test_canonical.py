"""Canonical URLs and identity: laws checked with hypothesis, cases in a table."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.items.canonical import IDENTITY_VERSION, canonical_url, former_canonical_url, identity

_segment = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=8)
_hosts = st.lists(_segment, min_size=2, max_size=3).map(".".join)
_paths = st.lists(_segment, max_size=3).map(lambda parts: "/" + "/".join(parts))
_real_params = st.dictionaries(st.sampled_from(["id", "cid", "page", "q", "article", "p"]), _segment, max_size=3)
_tracking = st.dictionaries(
    st.sampled_from(["utm_source", "utm_medium", "utm_campaign", "fbclid", "gclid", "spm", "mc_cid", "igshid"]),
    _segment, max_size=4,
)


def _url(scheme: str, host: str, port: str, path: str, params: dict[str, str], fragment: str = "") -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{scheme}://{host}{port}{path}" + (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")


@given(_hosts, _paths, _real_params, _tracking, _segment)
def test_tracking_parameters_host_case_fragment_and_default_port_are_ignored(host, path, real, tracking, frag):
    plain = _url("https", host, "", path, real)
    noisy = _url("HTTPS", host.upper(), ":443", path, {**tracking, **real}, frag)
    assert canonical_url(noisy) == canonical_url(plain)


@given(_hosts, _paths, _real_params)
def test_real_parameters_are_kept(host, path, real):
    canon = canonical_url(_url("https", host, "", path, real))
    for key, value in real.items():
        assert f"{key}={value}" in canon


@given(_hosts, _paths, _real_params, _tracking)
def test_canonicalizing_twice_changes_nothing(host, path, real, tracking):
    once = canonical_url(_url("http", host, ":8080", path, {**real, **tracking}))
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://Example.COM:443/a?utm_source=x&id=42#top", "https://example.com/a?id=42"),
        ("http://example.com:80", "http://example.com/"),
        ("http://example.com:8080/x", "http://example.com:8080/x"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/n?cid=7&spm=a.b.c", "https://example.com/n?cid=7"),
        ("https://example.com/%e4%b8%ad", "https://example.com/%E4%B8%AD"),
        ("https://example.com/中国", "https://example.com/%E4%B8%AD%E5%9B%BD"),
        ("mailto:someone@example.com", "mailto:someone@example.com"),
        # Seen on the captured feeds' links: DW, Al Jazeera, CSMonitor, a blog.
        ("https://www.dw.com/en/a/a-75995188?maca=en-rss-en-all-1573-rdf", "https://www.dw.com/en/a/a-75995188"),
        ("https://www.aljazeera.com/news/x?traffic_source=rss", "https://www.aljazeera.com/news/x"),
        ("https://www.csmonitor.com/USA/x?icid=rss", "https://www.csmonitor.com/USA/x"),
        ("https://alexwlchan.net/2026/bare-git/?ref=rss", "https://alexwlchan.net/2026/bare-git/"),
        ("https://example.com/compare?ref=v1.2&id=3", "https://example.com/compare?id=3&ref=v1.2"),
    ],
)
def test_canonical_url_cases(url: str, expected: str) -> None:
    assert canonical_url(url) == expected


def test_identity_falls_back_from_url_to_guid_to_feed_and_title() -> None:
    by_url = identity(link="https://x.com/a?utm_source=t", guid="g1", feed_url="f", title="T")
    assert by_url == identity(link="https://X.com/a", guid="other", feed_url="other", title="other")
    by_guid = identity(link=None, guid="g1", feed_url="f", title="T")
    assert by_guid == identity(link="", guid="g1", feed_url="f2", title="T2")
    assert by_guid != by_url
    by_title = identity(link=None, guid=None, feed_url="f", title="A  title")
    assert by_title == identity(link=None, guid=" ", feed_url="f", title="A title")
    assert by_title != identity(link=None, guid=None, feed_url="other feed", title="A title")
    assert all(i.startswith(IDENTITY_VERSION + ":") for i in (by_url, by_guid, by_title))


@pytest.mark.parametrize(
    ("url", "before"),
    [
        ("https://www.dw.com/en/a/a-75995188?maca=en-rss-en-all-1573-rdf&utm_source=x#top",
         "https://www.dw.com/en/a/a-75995188?maca=en-rss-en-all-1573-rdf"),
        ("https://Alexwlchan.net/2026/bare-git/?ref=RSS", "https://alexwlchan.net/2026/bare-git/?ref=RSS"),
        ("https://www.dw.com/en/a/a-75995188?utm_source=x", None),  # (its canonical form is the same as ever)
        ("https://example.com/compare?ref=v1.2", None),
        ("https://www.dw.com/en/a/a-75995188", None),
        ("http://[::1", None),
    ],
)
def test_the_canonical_form_a_link_had_before_its_parameter_counted_as_tracking(url: str, before: str | None) -> None:
    assert former_canonical_url(url) == before
