"""Reading a response body: a size cap counted after decompression, and bounded gzip/deflate. Does IO.

Split from fetch.py, which decides what a response means; this module only reads its bytes.
A zip bomb never inflates in memory: every decompression step is bounded by what is left of
``max_bytes``.
"""

from __future__ import annotations

import contextlib
import zlib

import httpx

from bot.errors import FetchError
from bot.feeds.health import describe_size


async def read_capped(url: str, response: httpx.Response, max_bytes: int) -> bytes:
    """The decoded body, or FetchError as soon as it grows past max_bytes."""
    declared = response.headers.get("content-length", "")
    encoding = response.headers.get("content-encoding", "identity")
    too_big = f"body over {describe_size(max_bytes)} (poll.max_bytes)"
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError(url, too_big)
    decoder = _Decoder(url, encoding)
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        data = decoder.decode(raw, max_bytes - size + 1)
        size += len(data)
        if size > max_bytes:
            raise FetchError(url, too_big)
        chunks.append(data)
    tail = decoder.flush(max_bytes - size + 1)
    if size + len(tail) > max_bytes:
        raise FetchError(url, too_big)
    chunks.append(tail)
    return b"".join(chunks)


async def drain(response: httpx.Response, limit: int = 65_536) -> None:
    """Read a small body to its end, so that the connection goes back to the pool (not closed)."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            return  # not worth it: closing the connection is cheaper


class _Decoder:
    """gzip/deflate decoding with a bound on the output of every step (zip bombs stay small)."""

    def __init__(self, url: str, content_encoding: str) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",")]
        codings = [c for c in codings if c and c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise FetchError(url, f"unsupported Content-Encoding '{content_encoding}'")
        self._url = url
        self._coding = codings[0] if codings else None
        self._zlib = zlib.decompressobj(47 if self._coding in ("gzip", "x-gzip") else 15)
        self._started = False

    def decode(self, data: bytes, limit: int) -> bytes:
        if self._coding is None:
            return data
        if self._zlib.eof:
            return b""  # trailing bytes after the compressed stream
        try:
            out = self._zlib.decompress(self._zlib.unconsumed_tail + data, limit)
        except zlib.error:
            if self._coding == "deflate" and not self._started:
                # "deflate" in the wild is sometimes raw DEFLATE without the zlib wrapper.
                self._zlib = zlib.decompressobj(-15)
                self._started = True
                return self.decode(data, limit)
            raise FetchError(self._url, f"broken {self._coding} compression in the body") from None
        self._started = True
        return out

    def flush(self, limit: int) -> bytes:
        if self._coding is None or self._zlib.eof:
            return b""
        out = b""
        with contextlib.suppress(zlib.error):
            out = self._zlib.decompress(self._zlib.unconsumed_tail, limit)
        return out
