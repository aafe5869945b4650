"""`watchbot run` with a smaller parse executor or periodic malloc_trim, for bench/soak.py's memory runs.

The pipeline parses feed bodies with ``asyncio.to_thread``, i.e. in the loop's default executor
(min(32, CPUs + 4) threads: 6 on 2 cores). Each of those threads can get its own glibc malloc arena,
which multi-MB bodies grow and keep. This wrapper installs an event loop policy whose loops start
with a ThreadPoolExecutor of N threads, then runs the real command line, so the service is exactly
`watchbot run` except for the executor size. ``--trim S`` instead (or as well) calls glibc's
``malloc_trim(0)`` every S seconds from a daemon thread, which hands free pages of every arena back
to the system:

    python bench/soak_service.py --threads 2 run --config config.toml
    python bench/soak_service.py --trim 10 run --config config.toml

``--arenas N`` calls ``mallopt(M_ARENA_MAX, N)`` before anything starts a thread: what
MALLOC_ARENA_MAX=N does, set from inside the process (as the service itself could do at start-up).
"""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# bench/telegram.py would shadow python-telegram-bot's `telegram` package for a script run from bench/.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT))


M_ARENA_MAX = -8  # glibc's malloc.h


class SmallExecutorPolicy(asyncio.DefaultEventLoopPolicy):
    """New event loops get a default executor of ``threads`` threads."""

    def __init__(self, threads: int) -> None:
        super().__init__()
        self.threads = threads

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        loop = super().new_event_loop()
        loop.set_default_executor(ThreadPoolExecutor(self.threads, thread_name_prefix="parse"))
        return loop


def trim_every(seconds: float) -> None:
    libc = ctypes.CDLL("libc.so.6")

    def loop() -> None:
        while True:
            time.sleep(seconds)
            libc.malloc_trim(0)

    threading.Thread(target=loop, name="malloc-trim", daemon=True).start()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(usage="python bench/soak_service.py [--threads N] [--trim S] [--arenas N] run --config FILE")
    parser.add_argument("--threads", type=int, default=0, help="default executor threads (0: asyncio's default)")
    parser.add_argument("--trim", type=float, default=0.0, help="malloc_trim(0) every S seconds (0: never)")
    parser.add_argument("--arenas", type=int, default=0, help="mallopt(M_ARENA_MAX, N) at start (0: leave it)")
    args, rest = parser.parse_known_args(argv)
    if args.arenas:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, args.arenas)
    if args.threads:
        asyncio.set_event_loop_policy(SmallExecutorPolicy(args.threads))
    if args.trim:
        trim_every(args.trim)
    from bot.cli import main as watchbot

    return watchbot(rest)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
