"""What a feed location may be: an http(s) URL or a local file path, checked as a person typed it. Pure.

``check_feed_url`` is the one judge, for config.toml, ``feeds add``, OPML imports and the fetcher.
It refuses, with a line that says what to write instead: other schemes (``ftp://``), a host and
port without a scheme (``example.com:8080/feed``, which urllib reads as scheme "example.com"), and
a bare domain with a path (``example.com/feed.xml``, which would otherwise be read as a file).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit
from urllib.request import url2pathname

from bot.errors import ConfigError

_HOST_PORT = re.compile(r"^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\]):\d{1,5}(?:[/?#]|$)")
# A first path segment that reads as a domain: labels and an alphabetic top-level label.
_DOMAIN = re.compile(r"^(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")
_FILE_EXTENSIONS = frozenset({"xml", "rss", "atom", "json", "txt", "html", "htm", "feed", "opml", "rdf"})
URL_HINT = "use http(s):// or a local file path"


def check_feed_url(text: str, *, source: str = "feed URL") -> str:
    """``text`` as a feed location (stripped; a file:// URL as its path), or ConfigError saying why not.

    http(s) URLs come back exactly as written otherwise: they are the feed's key in the store.
    Relative paths stay relative (the caller knows the folder they are relative to).
    """
    problem = feed_url_problem(text)
    if problem:
        raise ConfigError(source, [problem])
    location = text.strip()
    parts = urlsplit(location)
    if parts.scheme.lower() == "file":
        return url2pathname(parts.path)
    return location


def feed_url_problem(text: str) -> str | None:
    """What is wrong with ``text`` as a feed location, in one line; None when nothing is."""
    location = text.strip()
    if not location:
        return f"empty feed URL: {URL_HINT}"
    if _HOST_PORT.match(location):
        return (f"no scheme in feed URL {location!r}: did you mean 'http://{location}'? "
                f"({URL_HINT})")
    try:
        parts = urlsplit(location)
        scheme = parts.scheme.lower()
        if scheme in ("http", "https"):
            if not parts.hostname:
                return f"no host in feed URL {location!r}: write it as {scheme}://HOST/PATH"
            if any(c.isspace() for c in parts.netloc):
                return f"a space in the host of feed URL {location!r}"
            parts.port  # noqa: B018 - raises ValueError for a port out of range
            return None
    except ValueError as e:
        return f"not a valid URL {location!r} ({e}): {URL_HINT}"
    if scheme == "file":
        if parts.netloc not in ("", "localhost"):
            return f"file URL {location!r} names another host ({parts.netloc!r}): only local files can be read"
        return None
    if len(scheme) > 1:  # one letter is a Windows drive ("C:\feeds\a.xml")
        return f"unsupported scheme {scheme!r} in feed URL {location!r}: {URL_HINT}"
    first = location.replace("\\", "/").split("/", 1)
    domain = _DOMAIN.match(first[0]) and first[0].rsplit(".", 1)[1].lower() not in _FILE_EXTENSIONS
    if domain and (len(first) == 2 or first[0].lower().startswith("www.")):
        return (f"no scheme in feed URL {location!r}: did you mean 'https://{location}'? "
                f"(for a local file, write './{location}')")
    return None
