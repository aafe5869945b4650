"""Canonical URLs and item identity. Pure.

Two links to one story should give one identity: scheme and host lower-cased, the default port
dropped, the fragment dropped, tracking parameters removed, the remaining query sorted and its
percent-encoding normalized (w3lib). Real parameters stay: `?id=42` or `?cid=7` name the story.
We keep our own list of tracking parameters because courlan also drops real ones such as `cid`.
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_parameter(name: str) -> bool:
    """True for parameters that only say where a click came from."""
    key = name.lower()
    return key in _TRACKING_EXACT or key.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL; other strings come back stripped and unchanged."""
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
    query = [(k, v) for k, v in pairs if not is_tracking_parameter(k)]
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
