"""`watchbot match` on a long input matches in forked worker processes: the same lines, in input order,
bad lines included, as one process gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bot.cli.match import PARALLEL_FROM

ROOT = Path(__file__).resolve().parents[2]
TITLES = ["ASML shares jump on China orders", "Local bakery wins award", "台积电扩产 2纳米", "美國擴大出口管制實體清單",
          "Semicondutor stocks slide", "Weather: rain"]


def run_match(path: Path, *extra: str) -> tuple[int, list[str]]:
    done = subprocess.run([sys.executable, "-m", "bot", "match", "--input", str(path), "--rules", str(ROOT / "rules"),
                           *extra], cwd=ROOT, capture_output=True, text=True, timeout=300)
    return done.returncode, done.stdout.splitlines()


def test_workers_give_the_lines_one_process_gives(tmp_path: Path) -> None:
    lines = [json.dumps({"id": n, "title": TITLES[n % len(TITLES)], "lede": f"item {n}"}, ensure_ascii=False)
             for n in range(PARALLEL_FROM + 500)]
    lines[7] = "{not json"
    path = tmp_path / "items.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code_one, one = run_match(path, "--workers", "1")
    code_two, two = run_match(path, "--workers", "2")
    assert (code_one, code_two) == (1, 1)  # the bad line makes both fail, after every other line
    assert len(two) == len(lines) and two == one
    assert json.loads(two[7])["error"].startswith("not JSON")
    assert [json.loads(line).get("id") for line in two[8:12]] == [8, 9, 10, 11]
    assert sum(1 for line in two if '"asml"' in line) >= PARALLEL_FROM // len(TITLES)
