"""Canonical URLs and item identity. Pure.

Two links to one story should give one identity: scheme and host lower-cased, the default port
dropped, the fragment dropped, tracking parameters removed, the remaining query sorted and its
percent-encoding normalized (w3lib). Real parameters stay: `?id=42` or `?cid=7` name the story.
We keep our own list of tracking parameters because courlan also drops real ones such as `cid`.

A parameter added to the list changes the identity of every stored item whose link carries it, and
a feed that still lists such an item would have it alerted again. So the parameters added since items
were first stored (``_TRACKING_ADDED``) are also kept, once, in ``former_canonical_url``: the link's
canonical form as it was made before, under which the pipeline looks the item up first.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Bump when the scheme below changes; stored identities keep their old prefix.
IDENTITY_VERSION = "v1"

_TRACKING_EXACT = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
        "igshid", "mc_cid", "mc_eid", "_ga", "_gl", "_hsenc", "_hsmi", "mkt_tok", "oly_anon_id",
        "oly_enc_id", "vero_id", "vero_conv", "wt.mc_id", "wt_mc", "cmpid", "ito", "spm", "scm",
        "share_source", "sharesource", "at_medium", "at_campaign", "at_custom1", "at_custom2",
        "__twitter_impression", "ref_src", "ref_url", "sr_share", "ocid", "smid", "mbid", "xtor",
    }
)
_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_")
# Added on 2026-12-06, seen on the captured feeds' links: DW's RSS campaign tag (maca=en-rss-en-all-1573-rdf, which
# differs from one DW feed to the next), Al Jazeera's traffic_source=rss, CSMonitor's icid=rss, and a blog's
# ref=rss. Items stored before keep the identity their links gave then (``former_canonical_url``); once the last of
# them has aged out of every store (storage.keep, 90 days by default), these can join the lists above.
_TRACKING_ADDED = frozenset({"maca", "traffic_source", "icid"})
_TRACKING_ADDED_VALUES = {"ref": frozenset({"rss", "feed", "atom"})}  # (ref=... is a real parameter elsewhere)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(name: str, value: str = "") -> bool:
    """True for parameters that only say where a click came from."""
    key = name.lower()
    return key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES) or _added(key, value)


def _added(key: str, value: str) -> bool:
    return key in _TRACKING_ADDED or value.lower() in _TRACKING_ADDED_VALUES.get(key, ())


def without_tracking(url: str) -> str:
    """``url`` without its tracking parameters and otherwise exactly as written: the link to offer a reader (as
    miniflux does), where the canonical form would also reorder the query and drop the fragment."""
    head, mark, rest = url.partition("?")
    if not mark:
        return url
    query, hash_, fragment = rest.partition("#")
    kept = [pair for pair in query.split("&") if pair and not _tracking_pair(pair)]
    return head + ("?" + "&".join(kept) if kept else "") + hash_ + fragment


def _tracking_pair(pair: str) -> bool:
    name, _, value = pair.partition("=")
    return is_tracking_parameter(unquote_plus(name), unquote_plus(value))


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL; other strings come back stripped and unchanged."""
    return _canonical(url, former=False)


def former_canonical_url(url: str) -> str | None:
    """The canonical form ``url`` had before the parameters it carries joined the tracking list, or None when it
    carries none of them (its canonical form is the same as ever)."""
    url = url.strip()
    if "?" not in url:  # (most links: no query, nothing to look at)
        return None
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    if not query or not any(_added(k.lower(), v) for k, v in parse_qsl(query, keep_blank_values=True)):
        return None
    return _canonical(url, former=True)


def _canonical(url: str, *, former: bool) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return url
    host = parts.hostname.lower().rstrip(".")
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = host if port in (None, _DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    if parts.username or parts.password:
        netloc = f"{parts.username or ''}{':' + parts.password if parts.password else ''}@{netloc}"
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = [(k, v) for k, v in pairs if not is_tracking_parameter(k, v) or (former and _added(k.lower(), v))]
    rebuilt = urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))
    return canonicalize_url(rebuilt, keep_fragments=False)


def identity(*, link: str | None, guid: str | None, feed_url: str, title: str) -> str:
    """A story's versioned identity hash.

    Fallback chain, as miniflux's rss adapter does: the canonical link is the best identity
    (one story, many feeds); without a link the GUID is unique within its publisher; without
    either, feed + title is all we have.
    """
    web = link and urlsplit(link.strip()).scheme.lower() in _DEFAULT_PORTS
    return identity_of(canonical=canonical_url(link) if link and web else None, guid=guid, feed_url=feed_url,
                       title=title)


def identity_of(*, canonical: str | None, guid: str | None, feed_url: str, title: str) -> str:
    """``identity`` for a link already made canonical (None when the item's link is no identity)."""
    if canonical:
        key = "url:" + canonical
    elif guid and guid.strip():
        key = "guid:" + guid.strip()
    else:
        key = "title:" + feed_url + "\n" + " ".join(title.split())
    return f"{IDENTITY_VERSION}:{hashlib.sha256(key.encode('utf-8')).hexdigest()[:32]}"
