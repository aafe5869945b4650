"""`watchbot run` with the asyncio default executor cut to N threads, for bench/soak.py's memory runs.

The pipeline parses feed bodies with ``asyncio.to_thread``, i.e. in the loop's default executor
(min(32, CPUs + 4) threads: 6 on 2 cores). Each of those threads can get its own glibc malloc arena,
which multi-MB bodies grow and keep. This wrapper installs an event loop policy whose loops start
with a ThreadPoolExecutor of N threads, then runs the real command line, so the service is exactly
`watchbot run` except for the executor size:

    python bench/soak_service.py --threads 2 run --config config.toml
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/telegram.py would shadow python-telegram-bot's `telegram` package for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


class SmallExecutorPolicy(asyncio.DefaultEventLoopPolicy):
    """New event loops get a default executor of ``threads`` threads."""

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = threads

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_default_executor(ThreadPoolExecutor(self.threads, thread_name_prefix="parse"))
        return loop


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--threads" or not argv[1].isdigit() or int(argv[1]) < 1:
        print("usage: python bench/soak_service.py --threads N run --config FILE", file=sys.stderr)
        return 2
    asyncio.set_event_loop_policy(SmallExecutorPolicy(int(argv[1])))
    from bot.cli import main as watchbot

    return watchbot(argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
