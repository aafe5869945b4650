"""The feed server double runs as a separate process (as bench/poll.py uses it) and stops cleanly."""

from __future__ import annotations

import asyncio
import json
import sys

from bot.feeds.fetch import FetchRequest, HttpFetcher
from tests.conftest import REPO


async def test_separate_process_serves_feeds_on_several_addresses_and_reports() -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.doubles.feedserver", "--hosts", "127.0.0.2-127.0.0.3",
        "--feeds-per-host", "2", "--items", "3", "--max-seconds", "60",
        cwd=REPO, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )
    assert server.stdout is not None and server.stdin is not None
    try:
        async with asyncio.timeout(30):
            urls = json.loads(await server.stdout.readline())["urls"]
            assert [u.split("/")[2].split(":")[0] for u in urls] == ["127.0.0.2"] * 2 + ["127.0.0.3"] * 2
            async with HttpFetcher() as fetcher:
                first = await fetcher.fetch(FetchRequest(urls[0]))
                assert first.body.count(b"<item>") == 3
                assert (await fetcher.fetch(FetchRequest(urls[0], etag=first.etag))).not_modified
            server.stdin.close()
            stats = json.loads(await server.stdout.readline())
            assert stats["requests"] == 2 and stats["max_concurrent"] == {"127.0.0.2": 1}
            assert await server.wait() == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()
