"""A real HTTP/1.1 feed server on loopback for tests and benchmarks. Does IO (sockets, a thread).

Every way a feed server misbehaves, as routes registered per path:

    server = FeedServer()                       # 127.0.0.1, a free port
    with server:                                # serves from a background thread
        server.feed("/a.xml", rss_bytes)        # ETag + Last-Modified, answers 304 to either
        server.update("/a.xml", new_bytes)      # new content: new ETag, later Last-Modified
        server.status("/busy", 429, headers={"Retry-After": "120"})
        server.redirect("/r1", "/r2")           # chains and loops
        server.slow("/slow", body, delay=30)    # nothing before `delay` seconds
        server.dribble("/drip", body, interval=0.5)
        server.endless("/endless")              # a chunked body that never ends
        server.feed("/gz.xml", body, gzip=True)
        url = server.url("/a.xml")              # http://127.0.0.1:PORT/a.xml
    server.requests                             # the request log: path, host, headers, time
    server.max_concurrent("127.0.0.1")          # most requests in flight at once for a host name

It binds to any loopback addresses (``FeedServer(hosts=["127.0.0.2", ...])``) and serves as a
separate process for benchmarks:

    python -m tests.doubles.feedserver --hosts 127.0.0.2-127.0.0.51 --feeds-per-host 40

which prints one JSON line ``{"urls": [...]}`` once it listens, serves until its standard input
closes (or ``--max-seconds`` pass), then prints ``{"requests": N, "max_concurrent": {...}}`` (and with
``--log FILE`` writes its request log there, a line ``MONOTONIC PATH`` per request).
``FeedServerProcess`` starts it so and speaks that protocol:

    with FeedServerProcess(hosts=50, feeds_per_host=40) as served:
        poll(served.urls)
    served.stats                                # the closing JSON line, once the block ended cleanly
Builders for feed bodies, hostile XML included, are at the bottom. Standard library only.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip as gzip_module
import hashlib
import json
import ssl
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from xml.sax.saxutils import escape

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 304: "Not Modified",
            307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request", 403: "Forbidden",
            404: "Not Found", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable"}


@dataclass(frozen=True)
class Route:
    """What one path answers. Build with FeedServer's helpers rather than by hand."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None  # when set, If-None-Match is honoured with a 304
    last_modified: str | None = None  # when set, If-Modified-Since is honoured with a 304
    delay: float = 0.0  # seconds before the status line
    drip: float = 0.0  # seconds between chunks of `drip_size` bytes of the body
    drip_size: int = 1
    endless: bool = False  # a chunked body of `body` repeated forever
    gzip: bool = False


@dataclass(frozen=True)
class Logged:
    """One request as the server saw it."""

    path: str  # the request target, query included
    host: str  # host name from the Host header, port stripped
    headers: dict[str, str]  # lower-cased names
    at: float  # time.monotonic() when the request head arrived


class FeedServer:
    """Serves registered routes on one or more loopback addresses; see the module docstring."""

    def __init__(self, hosts: Sequence[str] = ("127.0.0.1",), port: int = 0, *,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self.hosts = list(hosts)
        self.ssl_context = ssl_context  # serve https (e.g. with a trustme certificate)
        self._wanted_port = port
        self.ports: dict[str, int] = {}
        self.routes: dict[str, Route] = {}
        self.requests: list[Logged] = []
        self._in_flight: Counter[str] = Counter()
        self._max_in_flight: Counter[str] = Counter()
        self.connections = 0  # TCP connections accepted
        self._total_in_flight = 0
        self._max_total_in_flight = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[asyncio.Server] = []
        self._thread: threading.Thread | None = None
        self._stopping: asyncio.Event | None = None

    # -- routes ---------------------------------------------------------------------------------

    def feed(self, path: str, body: bytes, *, content_type: str = "application/rss+xml; charset=utf-8",
             validators: bool = True, gzip: bool = False, headers: dict[str, str] | None = None) -> str:
        """A feed with ETag and Last-Modified (unless validators=False); content_type="" sends none."""
        typed = {"Content-Type": content_type} if content_type else {}
        route = Route(body=body, headers={**typed, **(headers or {})}, gzip=gzip)
        if validators:
            route = replace(route, etag=_etag(body), last_modified=formatdate(time.time(), usegmt=True))
        self.routes[path] = route
        return self.url(path)

    def update(self, path: str, body: bytes) -> None:
        """Change a feed's content between polls: a new ETag and a Last-Modified at least 1 s later."""
        route = self.routes[path]
        modified = time.time()
        if route.last_modified:
            modified = max(modified, parsedate_to_datetime(route.last_modified).timestamp() + 1)
        self.routes[path] = replace(route, body=body, etag=_etag(body) if route.etag else None,
                                    last_modified=formatdate(modified, usegmt=True) if route.last_modified
                                    else None)

    def status(self, path: str, status: int, body: bytes = b"", *,
               headers: dict[str, str] | None = None) -> str:
        """A fixed status with optional body and headers (429/503 with Retry-After, 500, 404...)."""
        self.routes[path] = Route(status=status, body=body,
                                  headers={"Content-Type": "text/plain", **(headers or {})})
        return self.url(path)

    def redirect(self, path: str, to: str, *, status: int = 302) -> str:
        """A redirect to `to` (a path on this server or any URL); chain them for chains and loops."""
        self.routes[path] = Route(status=status, headers={"Location": to})
        return self.url(path)

    def slow(self, path: str, body: bytes, *, delay: float) -> str:
        """Nothing at all (not even the status line) before `delay` seconds, then the feed."""
        self.routes[path] = Route(body=body, headers={"Content-Type": "application/rss+xml"}, delay=delay)
        return self.url(path)

    def dribble(self, path: str, body: bytes, *, interval: float, chunk: int = 1) -> str:
        """Headers at once, then `chunk` bytes of the body every `interval` seconds."""
        self.routes[path] = Route(body=body, headers={"Content-Type": "application/rss+xml"},
                                  drip=interval, drip_size=chunk)
        return self.url(path)

    def endless(self, path: str, chunk: bytes = b"<item><title>again</title></item>\n" * 256) -> str:
        """A feed whose body never ends (chunked transfer, `chunk` repeated as fast as it is read)."""
        self.routes[path] = Route(body=chunk, headers={"Content-Type": "application/rss+xml"}, endless=True)
        return self.url(path)

    def route(self, path: str, route: Route) -> str:
        """Register any Route."""
        self.routes[path] = route
        return self.url(path)

    # -- addresses, log -------------------------------------------------------------------------

    def url(self, path: str, host: str | None = None) -> str:
        """The URL of `path` on `host` (default: the first address). Valid once the server started."""
        host = host or self.hosts[0]
        port = self.ports.get(host, self._wanted_port) or self.ports.get(self.hosts[0], 0)
        return f"{'https' if self.ssl_context else 'http'}://{host}:{port}{path}"

    def requests_for(self, path: str) -> list[Logged]:
        """The logged requests of one path (query string ignored)."""
        return [r for r in list(self.requests) if r.path.split("?", 1)[0] == path]

    def max_concurrent(self, host: str | None = None) -> int:
        """Most requests in flight at the same time, for one host name or (None) the busiest host."""
        with self._lock:
            if host is None:
                return max(self._max_in_flight.values(), default=0)
            return self._max_in_flight[host]

    def max_concurrent_total(self) -> int:
        """Most requests in flight at the same time over all hosts."""
        with self._lock:
            return self._max_total_in_flight

    def max_concurrent_by_host(self) -> dict[str, int]:
        with self._lock:
            return dict(self._max_in_flight)

    def reset_log(self) -> None:
        """Forget logged requests and concurrency peaks (routes stay)."""
        with self._lock:
            self.requests.clear()
            self._max_in_flight.clear()
            self._max_total_in_flight = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def __enter__(self) -> FeedServer:
        self.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def start(self) -> None:
        """Serve from a background thread with its own event loop; returns once listening."""
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self.listen())
            except BaseException as e:  # surfaced to start()'s caller
                failure.append(e)
                ready.set()
                return
            ready.set()
            loop.run_until_complete(self._wait_stopped())
            loop.close()

        self._thread = threading.Thread(target=run, name="feedserver", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            raise failure[0]

    def stop(self) -> None:
        """Stop serving and join the thread."""
        if self._loop is not None and self._stopping is not None:
            self._loop.call_soon_threadsafe(self._stopping.set)
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    async def listen(self) -> None:
        """Bind every address (in the running loop); the same port on all where possible."""
        self._stopping = asyncio.Event()
        port = self._wanted_port
        for host in self.hosts:
            try:
                server = await asyncio.start_server(self._connection, host, port, backlog=1024,
                                                    ssl=self.ssl_context)
            except OSError:
                if port == self._wanted_port:
                    raise
                server = await asyncio.start_server(self._connection, host, 0, backlog=1024,
                                                    ssl=self.ssl_context)
            self.ports[host] = server.sockets[0].getsockname()[1]
            port = port or self.ports[host]
            self._servers.append(server)

    async def _wait_stopped(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 2)
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- HTTP -----------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self._lock:
            self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
                    return
                target, headers = _parse_head(head)
                host = headers.get("host", "").rsplit(":", 1)[0].strip("[]").lower()
                self._log(Logged(path=target, host=host, headers=headers, at=time.monotonic()))
                with self._lock:
                    self._in_flight[host] += 1
                    self._max_in_flight[host] = max(self._max_in_flight[host], self._in_flight[host])
                    self._total_in_flight += 1
                    self._max_total_in_flight = max(self._max_total_in_flight, self._total_in_flight)
                try:
                    keep = await self._respond(writer, target, headers)
                finally:
                    with self._lock:
                        self._in_flight[host] -= 1
                        self._total_in_flight -= 1
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    def _log(self, entry: Logged) -> None:
        with self._lock:
            self.requests.append(entry)

    async def _respond(self, writer: asyncio.StreamWriter, target: str, headers: dict[str, str]) -> bool:
        route = self.routes.get(target.split("?", 1)[0])
        if route is None:
            route = Route(status=404, body=b"no such feed", headers={"Content-Type": "text/plain"})
        if route.delay:
            await asyncio.sleep(route.delay)
        status, body = route.status, route.body
        out = dict(route.headers)
        if route.etag:
            out["ETag"] = route.etag
        if route.last_modified:
            out["Last-Modified"] = route.last_modified
        if status == 200 and _not_modified(route, headers):
            status, body = 304, b""
            out.pop("Content-Type", None)
        if route.gzip and body:
            body = gzip_module.compress(body)
            out["Content-Encoding"] = "gzip"
        out["Date"] = formatdate(usegmt=True)
        if route.endless:
            out["Transfer-Encoding"] = "chunked"
        else:
            out["Content-Length"] = str(len(body))
        lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}"]
        lines += [f"{k}: {v}" for k, v in out.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        if route.endless:
            frame = f"{len(body):x}\r\n".encode() + body + b"\r\n"
            while True:  # until the client hangs up
                writer.write(frame)
                await writer.drain()
        if route.drip and body:
            for i in range(0, len(body), route.drip_size):
                writer.write(body[i:i + route.drip_size])
                await writer.drain()
                await asyncio.sleep(route.drip)
        else:
            writer.write(body)
        await writer.drain()
        return True


def _parse_head(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    target = parts[1] if len(parts) > 1 else "/"
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return target, headers


def _not_modified(route: Route, headers: dict[str, str]) -> bool:
    """RFC 9110 13.2.2: If-None-Match wins over If-Modified-Since."""
    if "if-none-match" in headers:
        if not route.etag:
            return False
        wanted = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return "*" in wanted or route.etag.removeprefix("W/") in wanted
    if "if-modified-since" in headers and route.last_modified:
        try:
            since = parsedate_to_datetime(headers["if-modified-since"])
            modified = parsedate_to_datetime(route.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since
    return False


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha1(body).hexdigest()[:16] + '"'


# -- feed bodies ----------------------------------------------------------------------------------

def rss(items: Iterable[tuple[str, str]] = (), *, title: str = "Test feed", encoding: str = "utf-8",
        declare: bool = True, declared_as: str | None = None, description: str = "") -> bytes:
    """An RSS 2.0 feed of (title, link) items, encoded in `encoding`.

    declare=False leaves out the XML declaration's encoding (for header-only charsets);
    declared_as writes a different (wrong) encoding into the declaration.
    """
    entries = "".join(
        f"<item><title>{escape(t)}</title><link>{escape(link)}</link><guid>{escape(link)}</guid>"
        f"<description>{escape(description or t)}</description>"
        "<pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate></item>\n"
        for t, link in items
    )
    decl = f'<?xml version="1.0" encoding="{declared_as or encoding}"?>\n' if declare else ""
    text = (f'{decl}<rss version="2.0"><channel><title>{escape(title)}</title>'
            f"<link>https://example.org/</link><description>test</description>\n{entries}</channel></rss>\n")
    return text.encode(encoding)


def html_page() -> bytes:
    """An HTML page where a feed was expected (a moved feed, a login wall)."""
    return (b"<!DOCTYPE html>\n<html><head><title>Welcome</title></head>"
            b"<body><h1>Our news</h1><p>Subscribe!</p></body></html>\n")


def billion_laughs(levels: int = 10) -> bytes:
    """The classic entity-expansion bomb: 10 levels of 10 references, 10**10 'lol's if expanded."""
    decls = ['<!ENTITY lol0 "lol">']
    decls += [f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, levels)]
    ref = f"&lol{levels - 1};"
    return _bomb_feed(decls, ref)


def quadratic_blowup(size: int = 100_000, refs: int = 20_000) -> bytes:
    """One big entity referenced many times: size * refs characters (2 GB) if expanded."""
    return _bomb_feed([f'<!ENTITY a "{"x" * size}">'], "&a;" * refs)


def external_entity(path: str) -> bytes:
    """An external entity pointing at a local file, referenced in the title and the description."""
    return _bomb_feed([f'<!ENTITY xxe SYSTEM "file://{path}">'], "&xxe;")


def _bomb_feed(declarations: list[str], ref: str) -> bytes:
    subset = "\n".join(declarations)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n{subset}\n]>\n'
            f'<rss version="2.0"><channel><title>Bomb {ref}</title><link>https://example.org/</link>'
            f"<description>{ref}</description>"
            f"<item><title>Item {ref}</title><link>https://example.org/1</link>"
            f"<description>{ref}</description></item>"
            f"<item><title>Plain item</title><link>https://example.org/2</link></item>"
            "</channel></rss>\n").encode()


# -- separate process ----------------------------------------------------------------------------

def expand_hosts(spec: str) -> list[str]:
    """'127.0.0.2-127.0.0.51' or '127.0.0.2,127.0.0.3' to a list of addresses."""
    hosts: list[str] = []
    for part in spec.split(","):
        first, sep, last = part.strip().partition("-")
        if not sep:
            hosts.append(first)
            continue
        prefix, start = first.rsplit(".", 1)
        end = int(last.rsplit(".", 1)[1])
        hosts += [f"{prefix}.{n}" for n in range(int(start), end + 1)]
    return hosts


def small_feed(n: int, items: int) -> bytes:
    return rss(((f"Feed {n} story {i}: chip export rules", f"https://example.org/{n}/{i}")
                for i in range(items)), title=f"Feed {n}")


class FeedServerProcess:
    """This module as a separate process serving ``feeds_per_host`` small feeds on each of ``hosts``
    loopback addresses from 127.0.0.2 on, so a benchmark's poller does not share a CPU with it."""

    def __init__(self, hosts: int, feeds_per_host: int, items: int = 10, *,
                 latency: float = 0.0, max_seconds: float = 300, log: Path | None = None) -> None:
        self.args = ["--hosts", f"127.0.0.2-127.0.0.{1 + hosts}", "--feeds-per-host", str(feeds_per_host),
                     "--items", str(items), "--latency", str(latency), "--max-seconds", str(max_seconds)]
        if log is not None:
            self.args += ["--log", str(log)]
        self.urls: list[str] = []
        self.stats: dict[str, object] = {}

    def __enter__(self) -> FeedServerProcess:
        self.process = subprocess.Popen([sys.executable, "-m", "tests.doubles.feedserver", *self.args],
                                        cwd=Path(__file__).resolve().parents[2],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            assert self.process.stdout is not None
            self.urls = json.loads(self.process.stdout.readline())["urls"]
        except BaseException:
            self._stop()
            raise
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            if kind is None:
                assert self.process.stdin is not None and self.process.stdout is not None
                self.process.stdin.close()
                self.stats = json.loads(self.process.stdout.readline() or "{}")
        finally:
            self._stop()

    def _stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
        self.process.wait(10)


async def _serve_process(args: argparse.Namespace) -> None:
    server = FeedServer(expand_hosts(args.hosts), port=args.port)
    await server.listen()
    urls = []
    for h, host in enumerate(server.hosts):
        for i in range(args.feeds_per_host):
            n = h * args.feeds_per_host + i
            server.feed(f"/feeds/{n}.xml", small_feed(n, args.items))
            if args.latency:
                server.routes[f"/feeds/{n}.xml"] = replace(server.routes[f"/feeds/{n}.xml"], delay=args.latency)
            urls.append(server.url(f"/feeds/{n}.xml", host))
    print(json.dumps({"urls": urls}), flush=True)
    stdin = asyncio.StreamReader()
    await asyncio.get_running_loop().connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stdin.read(), args.max_seconds)
    if args.log:
        _write_log(Path(args.log), server.requests)
    print(json.dumps({"requests": len(server.requests), "connections": server.connections,
                      "max_concurrent": server.max_concurrent_by_host(),
                      "cpu_seconds": time.process_time()}), flush=True)
    assert server._stopping is not None
    server._stopping.set()
    await server._wait_stopped()


def _write_log(path: Path, requests: list[Logged]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.writelines(f"{r.at:.6f} {r.path}\n" for r in requests)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve many small feeds on loopback addresses.")
    parser.add_argument("--hosts", default="127.0.0.1", help="e.g. 127.0.0.2-127.0.0.51")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--feeds-per-host", type=int, default=40)
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    parser.add_argument("--max-seconds", type=float, default=300, help="stop by itself after this long")
    parser.add_argument("--log", help="write the request log to this file at the end")
    asyncio.run(_serve_process(parser.parse_args(argv)))


if __name__ == "__main__":
    main()
