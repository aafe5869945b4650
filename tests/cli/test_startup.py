"""Commands that need no network start without loading the Telegram, HTTP and web libraries (about a
second of imports): `watchbot match`, `rules check` and `--help` are what people run in a shell loop."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("telegram", "httpx", "starlette", "uvicorn", "psycopg", "procrastinate")

PROBE = """
import sys
from bot.cli import main
code = main(sys.argv[1:])
loaded = [m for m in {heavy!r} if m in sys.modules]
print("LOADED", " ".join(loaded))
raise SystemExit(code)
"""


def loaded_by(*argv: str, stdin: str = "") -> tuple[int, list[str], str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(heavy=HEAVY), *argv], cwd=ROOT, input=stdin,
                          capture_output=True, text=True, timeout=120)
    last = [line for line in done.stdout.splitlines() if line.startswith("LOADED")]
    return done.returncode, last[-1].split()[1:] if last else ["<no probe line>"], done.stdout


def test_match_loads_no_network_library() -> None:
    code, loaded, out = loaded_by("match", "--input", "-", "--rules", str(ROOT / "rules"),
                                  stdin='{"id": "1", "title": "ASML shares jump on China orders", "lede": ""}\n')
    assert code == 0
    assert '"watchlist": "asml"' in out  # (it did match)
    assert loaded == []


def test_rules_check_loads_no_network_library() -> None:
    code, loaded, _ = loaded_by("rules", "check", str(ROOT / "rules"))
    assert code == 0
    assert loaded == []
