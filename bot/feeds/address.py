"""Which redirects a feed may follow: none into a non-public address it was not configured on. Pure.

A configured feed is trusted to point where it points, a local test server included. What it
redirects to is not: a public feed answering "302 Location: http://169.254.169.254/..." would
make watchbot fetch the cloud metadata service, or a service on the host's loopback or private
network, and show what it said in a parse error. So a redirect whose target is a loopback,
private, link-local, unspecified, multicast or otherwise non-global address is refused, unless
the configured feed's own host is that address (a local feed may move around its own host).

The fetcher supplies the addresses (the target host name resolved with the event loop's
getaddrinfo); this module only decides, so it is tested as a table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Collection

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def ip_of(text: str) -> Address | None:
    """The address ``text`` names (an IP literal, brackets and zone allowed), IPv4-mapped IPv6 as IPv4."""
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


def non_public(ip: Address) -> str | None:
    """What kind of non-public address ``ip`` is ("loopback", "private", ...), or None if it is public."""
    if ip.is_unspecified:
        return "unspecified"
    if ip.is_loopback:
        return "loopback"
    if ip.is_link_local:
        return "link-local"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private:
        return "private"
    if not ip.is_global:
        return "non-public"
    return None


def redirect_refusal(*, origin_host: str, origin_addresses: Collection[str], target_host: str,
                     target_addresses: Collection[str]) -> str | None:
    """Why a redirect to ``target_host`` must not be followed, or None when it may.

    ``origin_host`` is the configured feed URL's host and ``origin_addresses`` what it resolves to
    (the literal itself for an IP); ``target_*`` likewise for the redirect's target. Only the
    target's non-public addresses matter; each must be one of the origin's.
    """
    if _host(origin_host) == _host(target_host):
        return None
    allowed = {ip for ip in map(ip_of, origin_addresses) if ip is not None}
    for text in target_addresses:
        ip = ip_of(text)
        if ip is None:
            continue
        kind = non_public(ip)
        if kind and ip not in allowed:
            shown = target_host if ip_of(target_host) == ip else f"{target_host} ({ip})"
            return (f"redirect to {kind} address {shown} refused: only a feed configured on that address "
                    "may be fetched from it")
    return None


def _host(host: str) -> str:
    return host.strip("[]").rstrip(".").lower()
