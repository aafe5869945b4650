"""Commands under a crowd: how long an uninvolved user's /help waits while 150 users send 12 /watch each (1,800
commands at once, each user under the per-user flood limit), against the same /help on an idle bot, same run.

Run from the repo root: python bench/commands.py [--users 150] [--each 12]

The real service (`python -m bot run`) with the Bot API double (tests/web/live.py). Reported: the idle /help's
reply time, the crowded /help's, and when the crowd's last reply came (Telegram's 1 s per chat pacing bounds it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.doubles.feedserver import rss  # noqa: E402
from tests.web.live import LiveService  # noqa: E402


def ask(api: object, chat: int, text: str, timeout: float = 300.0) -> float | None:
    """Seconds until the bot answers ``text`` in ``chat`` (None: not within ``timeout``)."""
    began = time.monotonic()
    api.user_sends(chat, chat, text)  # type: ignore[attr-defined]
    try:
        api.wait_for_messages_sync(1, timeout=timeout, chat_id=chat)  # type: ignore[attr-defined]
    except Exception:
        return None
    return time.monotonic() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=150)
    parser.add_argument("--each", type=int, default=12)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="watchbot-commands-"))
    try:
        with LiveService(folder, feeds=[("/good.xml", rss([("Start", "https://good.example/0")], title="Good"))]) as live:
            api = live.api
            idle = ask(api, 7301, "/help")
            crowd = range(100_000, 100_000 + args.users)

            def send(users: list[int]) -> None:
                for u in users:
                    for j in range(args.each):
                        api.user_sends(u, u, f"/watch semiconductor crowd{u}x{j} " + " ".join(f"w{u}{j}{k}" for k in range(12)))

            began = time.monotonic()
            threads = [threading.Thread(target=send, args=(list(crowd)[k::3],)) for k in range(3)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            crowded = ask(api, 7302, "/help")
            total = args.users * args.each
            while sum(len(api.sent_messages(c)) for c in crowd) < total and time.monotonic() - began < 600:
                time.sleep(1)
            done = time.monotonic() - began
            got = sum(len(api.sent_messages(c)) for c in crowd)
        print(f"/help idle: {idle:.2f} s" if idle is not None else "/help idle: no answer")
        print(f"/help beside {total:,} /watch of {args.users} users: "
              + (f"{crowded:.1f} s ({crowded / idle:.0f}x idle)" if crowded is not None and idle else "no answer in 300 s"))
        print(f"the crowd's {got:,} replies of {total:,} after {done:.0f} s ({got / done:.1f} a second)")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
