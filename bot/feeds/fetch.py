"""Fetch feed bodies over HTTP(S) or from local files. Does IO (network, disk).

A thin adapter: it makes the request, turns every way a server can misbehave into a FetchError
whose ``reason`` a person understands, and returns a ``Fetched`` value. It decides nothing about
feeds: parsing is parse.py's job, when to poll again is health.py's.

What it guards against, per request:
- the whole request (every redirect hop, headers and body) runs under one ``timeout``, not
  httpx's per-phase timeouts, so a server that dribbles a byte a second still gets cut off;
- bodies are counted while they stream, after decompression, and cut off past ``max_bytes``
  (gzip/deflate are decoded with a bounded output in body.py, so a zip bomb never inflates in memory);
- redirects are followed by hand: at most 5, a loop is named as such, and none into a
  loopback, private or link-local address the configured feed is not on (address.py);
- at most ``concurrency`` feeds are in flight and ``per_host`` per host name (port ignored).

Connections are kept alive and reused: a freed slot goes to the same host first, each host has
its own small connection pool, and 304 and redirect bodies are read to the end (an unread one
closes its connection). Over 2,000 feeds on 50 hosts that took 100 connections instead of 2,000
per cycle (bench/poll.py).

Conditional GET: the caller passes the stored ETag / Last-Modified; a 304 comes back as
``Fetched.not_modified`` with an empty body, so nothing gets parsed.

A failure that got no answer from the network at all is ``silent`` (errors.py): a connection never made (httpcore's
trace events tell whether one was), no route, name servers not answering. The pipeline tells a machine offline by
them; a refusal or an unknown host name is some machine's answer.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Protocol
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from bot import __version__
from bot.errors import FetchError
from bot.feeds.address import ip_of, non_public, redirect_refusal
from bot.feeds.body import drain, read_capped
from bot.feeds.health import describe_seconds, describe_size, http_failure, parse_retry_after
from bot.feeds.pool import PoolPerHost, Slots
from bot.feeds.urls import feed_url_problem

DEFAULT_USER_AGENT = f"watchbot/{__version__} (+https://github.com/watchbot/watchbot)"
MAX_REDIRECTS = 5
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"
)
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
# Headers that describe the transfer, not the body we hand on (which is already decoded).
_TRANSFER_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding", "connection"})


@dataclass(frozen=True, slots=True)
class FetchRequest:
    """What to fetch, with the validators stored from the last successful fetch."""

    url: str  # http(s) URL or local file path (or file:// URL)
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """A fetched body (or a 304) and what the server said about it."""

    url: str  # final URL after redirects (or the file path)
    status: int | None  # 200, 304 ...; None for a local file, which has no HTTP status
    body: bytes  # b"" when not_modified
    headers: Mapping[str, str]  # lower-cased names, as feedparser's response_headers wants
    etag: str | None
    last_modified: str | None
    elapsed_ms: float

    @property
    def status_text(self) -> str:
        """How logs show the status: "200", "304", or "file" for a local file."""
        return "file" if self.status is None else str(self.status)

    @property
    def not_modified(self) -> bool:
        """True for a 304: the feed did not change since the validators were stored."""
        return self.status == 304


class Fetcher(Protocol):
    """Anything that turns a FetchRequest into a Fetched (or raises FetchError)."""

    async def fetch(self, request: FetchRequest) -> Fetched: ...


class HttpFetcher:
    """Fetches http(s) URLs and local files; an async context manager owning one httpx.AsyncClient."""

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_bytes: int = 10_000_000,
        concurrency: int = 32,
        per_host: int = 2,
        user_agent: str = DEFAULT_USER_AGENT,
        verify: ssl.SSLContext | None = None,
    ) -> None:
        if timeout <= 0 or max_bytes <= 0 or concurrency <= 0 or per_host <= 0:
            raise ValueError("timeout, max_bytes, concurrency and per_host must be positive")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self._slots = Slots(concurrency, per_host)
        self._client = httpx.AsyncClient(
            headers={"User-Agent": user_agent, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout + 1),  # a backstop; asyncio.timeout bounds the whole request
            follow_redirects=False,
            transport=PoolPerHost(per_host, busy=self._slots.busy, verify=verify),
        )

    async def __aenter__(self) -> HttpFetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()

    async def fetch(self, request: FetchRequest) -> Fetched:
        """Fetch one feed. Raises FetchError with a readable reason; never another exception type."""
        problem = feed_url_problem(request.url)
        if problem:
            raise _permanent(request.url, problem)
        if urlsplit(request.url.strip()).scheme.lower() in ("http", "https"):
            return await self._fetch_http(request)
        try:
            async with self._slots.slot(""), asyncio.timeout(self.timeout):  # a FIFO may never end
                return await asyncio.to_thread(read_file, request.url, self.max_bytes)
        except TimeoutError:
            raise FetchError(request.url, f"timed out after {describe_seconds(self.timeout)}") from None

    async def _fetch_http(self, request: FetchRequest) -> Fetched:
        url = request.url
        seen = {_without_fragment(url)}
        conditional = _conditional_headers(request)
        started = 0.0
        deadline: float | None = None
        contact = _Contact()
        try:
            for _hop in range(MAX_REDIRECTS + 1):
                host = (urlsplit(url).hostname or "").lower()
                async with self._slots.slot(host):
                    if deadline is None:  # the clock starts once the first request may go out
                        started = time.perf_counter()
                        deadline = asyncio.get_running_loop().time() + self.timeout
                    async with asyncio.timeout_at(deadline):
                        outcome = await self._one_hop(request, url, conditional, started, contact)
                if isinstance(outcome, Fetched):
                    return outcome
                url = outcome
                if _without_fragment(url) in seen:
                    raise FetchError(request.url, "redirect loop")
                seen.add(_without_fragment(url))
                async with asyncio.timeout_at(deadline):
                    await _check_redirect(request.url, url)
            raise FetchError(request.url, f"too many redirects (more than {MAX_REDIRECTS})")
        except TimeoutError:
            if contact.made:
                raise FetchError(request.url, f"timed out after {describe_seconds(self.timeout)}") from None
            raise _silent(request.url, f"timed out after {describe_seconds(self.timeout)} without a connection") \
                from None
        except httpx.HTTPError as e:
            raise _transport_error(request.url, e) from e

    async def _one_hop(self, request: FetchRequest, url: str, conditional: dict[str, str],
                       started: float, contact: _Contact) -> Fetched | str:
        """One request: a Fetched, or the next URL when the server redirects."""
        try:
            outgoing = self._client.build_request("GET", url, headers=conditional, extensions={"trace": contact})
        except httpx.InvalidURL as e:
            raise _permanent(request.url, f"not a valid URL ({e})") from e
        response = await self._client.send(outgoing, stream=True)
        try:
            status = response.status_code
            if status in _REDIRECTS:
                await drain(response)
                return _redirect_target(request.url, response)
            headers = {k.lower(): v for k, v in response.headers.items()}
            if status == 304:
                await drain(response)
                return Fetched(
                    url=url, status=304, body=b"", headers=headers,
                    etag=headers.get("etag") or request.etag,
                    last_modified=headers.get("last-modified") or request.last_modified,
                    elapsed_ms=_ms_since(started),
                )
            if not 200 <= status < 300:
                raise _status_error(request.url, status, headers)
            body = await read_capped(request.url, response, self.max_bytes)
            return Fetched(
                url=url, status=status, body=body,
                headers={k: v for k, v in headers.items() if k not in _TRANSFER_HEADERS},
                etag=headers.get("etag"), last_modified=headers.get("last-modified"),
                elapsed_ms=_ms_since(started),
            )
        finally:
            await response.aclose()


def read_file(location: str, max_bytes: int) -> Fetched:
    """Read a local feed file (a path or a file:// URL) with the same size cap as HTTP. Blocking."""
    started = time.perf_counter()
    path = _file_path(location)
    try:
        with path.open("rb") as f:
            body = f.read(max_bytes + 1)  # read, not stat: /dev/zero and FIFOs have no honest size
    except FileNotFoundError:
        raise _permanent(location, "file not found") from None
    except IsADirectoryError:
        raise _permanent(location, "is a folder, not a feed file") from None
    except PermissionError:
        raise _permanent(location, "permission denied: watchbot cannot read this file") from None
    except OSError as e:
        raise FetchError(location, f"cannot read the file ({e.strerror or e})") from e
    if len(body) > max_bytes:
        raise _permanent(location, f"body over {describe_size(max_bytes)} (poll.max_bytes)")
    return Fetched(url=location, status=None, body=body, headers={}, etag=None, last_modified=None,
                   elapsed_ms=_ms_since(started))


def _file_path(location: str) -> Path:
    parts = urlsplit(location)
    if parts.scheme.lower() == "file":
        if parts.netloc not in ("", "localhost"):
            raise _permanent(location, f"file URL on another host '{parts.netloc}' (only local files)")
        return Path(url2pathname(parts.path))
    return Path(location).expanduser()


def _redirect_target(url: str, response: httpx.Response) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchError(url, f"HTTP {response.status_code} redirect without a Location header")
    try:
        target = response.request.url.join(location)
    except httpx.InvalidURL as e:
        raise FetchError(url, f"redirect to an invalid URL ({location[:200]})") from e
    if target.scheme not in ("http", "https"):
        raise _permanent(url, f"redirect to an unsupported URL scheme '{target.scheme}'")
    return str(target)


async def _check_redirect(configured: str, target: str) -> None:
    """FetchError (permanent) when a redirect leads to a non-public address the feed is not on."""
    origin_host = urlsplit(configured).hostname or ""
    target_host = urlsplit(target).hostname or ""
    if origin_host.lower() == target_host.lower():
        return
    target_addresses = await _addresses(configured, target_host)
    if not any(non_public(ip) for ip in map(ip_of, target_addresses) if ip is not None):
        return
    origin_addresses = await _addresses(configured, origin_host, quiet=True)
    refusal = redirect_refusal(origin_host=origin_host, origin_addresses=origin_addresses,
                               target_host=target_host, target_addresses=target_addresses)
    if refusal:
        raise _permanent(configured, refusal)


async def _addresses(url: str, host: str, *, quiet: bool = False) -> list[str]:
    """The IP addresses ``host`` stands for: itself for a literal, else what getaddrinfo says."""
    if ip_of(host) is not None:
        return [host]
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as e:
        if quiet:
            return []
        raise FetchError(url, f"host not found: {host} (a redirect target)") from e
    return [str(info[4][0]) for info in infos]


def _status_error(url: str, status: int, headers: Mapping[str, str]) -> FetchError:
    retry_after = None
    if status in (429, 503) and "retry-after" in headers:
        retry_after = parse_retry_after(headers["retry-after"], _http_now())
    reason, temporary = http_failure(status, retry_after)
    error = FetchError(url, reason, retry_after=retry_after, status=status)
    error.temporary = temporary
    return error


class _Contact:
    """Whether a fetch got a connection on any of its hops: httpcore's trace callback (the request extension "trace",
    told of each step of the exchange). A new connection is made, or a kept-alive one sends the request."""

    __slots__ = ("made",)

    def __init__(self) -> None:
        self.made = False

    async def __call__(self, event: str, info: Mapping[str, object]) -> None:
        if event == "connection.connect_tcp.complete" or event.startswith(("http11.", "http2.")):
            self.made = True


def _transport_error(url: str, e: httpx.HTTPError) -> FetchError:
    causes = list(_chain(e))
    if isinstance(e, httpx.TimeoutException):  # (only if httpx's backstop fires before the whole-request timeout)
        if isinstance(e, httpx.ConnectTimeout):
            return _silent(url, f"timed out connecting ({type(e).__name__})")
        return FetchError(url, f"timed out ({type(e).__name__})")
    if isinstance(e, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return _permanent(url, f"not a valid URL ({e})")
    if any(isinstance(c, ConnectionRefusedError) for c in causes) or "refused" in str(e).lower():
        return FetchError(url, "connection refused")
    text = str(e) or type(e).__name__
    if "CERTIFICATE_VERIFY_FAILED" in text:
        why = text.split("certificate verify failed:", 1)[-1].split("(_ssl", 1)[0].strip(" :)")
        return FetchError(url, f"TLS certificate not accepted ({why[:160]})")
    if any(isinstance(c, ssl.SSLError) for c in causes) or "ssl" in text.lower():
        return FetchError(url, f"TLS error: {text[:200]}")
    if "name or service not known" in text.lower() or "nodename nor servname" in text.lower():
        return FetchError(url, f"host not found: {urlsplit(url).hostname}")  # (the name servers answered: no such name)
    if "temporary failure in name resolution" in text.lower():
        return _silent(url, f"the name servers did not answer for {urlsplit(url).hostname}")
    if isinstance(e, httpx.RemoteProtocolError):
        return FetchError(url, f"the server broke the HTTP exchange ({text[:200]})")
    if isinstance(e, httpx.ConnectError):  # no route, network unreachable, ...: no connection made
        return _silent(url, f"could not connect ({text[:200]})")
    return FetchError(url, f"connection failed ({text[:200]})")


def _chain(e: BaseException) -> Iterable[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = e
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _permanent(url: str, reason: str) -> FetchError:
    error = FetchError(url, reason)
    error.temporary = False
    return error


def _silent(url: str, reason: str) -> FetchError:
    """Nothing on the network answered (FeedError.silent)."""
    error = FetchError(url, reason)
    error.silent = True
    return error


def _conditional_headers(request: FetchRequest) -> dict[str, str]:
    headers = {}
    if request.etag:
        headers["If-None-Match"] = request.etag
    if request.last_modified:
        headers["If-Modified-Since"] = request.last_modified
    return headers


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _http_now() -> datetime:
    return datetime.now(UTC)
