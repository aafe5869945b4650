"""Run the real service (`python -m bot run`) in a subprocess and watch its output. Does IO.

    with ServiceProcess(config_path) as svc:        # starts it; stops it (SIGTERM, then kill) on exit
        svc.wait_for(lambda: "[asml]" in svc.stdout_text(), "the alert")
        assert svc.terminate() == 0

Lines of stdout and stderr are collected by reader threads, each with the time it arrived
(time.monotonic), so benchmarks can time alerts printed to the console. Used by tests/app/service
and bench/latency.py.
"""

from __future__ import annotations

import os
import resource
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import IO

REPO = Path(__file__).resolve().parents[3]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def watchbot(*args: str, cwd: Path | None = None, disk_room: int | None = None) -> subprocess.CompletedProcess[str]:
    """`python -m bot ARGS` run to its end, its output captured. With ``disk_room``, no file it writes may grow past
    that many bytes (RLIMIT_FSIZE, the soft limit): a write past it fails as on a full disk (Python ignores SIGXFSZ)."""
    def limited() -> None:
        if disk_room is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (disk_room, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return subprocess.run([sys.executable, "-m", "bot", *args], cwd=cwd, env={**os.environ, "PYTHONPATH": str(REPO)},
                          capture_output=True, text=True, timeout=60, preexec_fn=limited, check=False)


class ServiceProcess:
    """`python -m bot run --config CONFIG` with the repo importable, in the config's folder."""

    def __init__(self, config: Path, *, args: tuple[str, ...] = (), env: dict[str, str] | None = None,
                 hold_stdout: bool = False) -> None:
        self.config = config
        self.hold_stdout = hold_stdout  # leave stdout unread (a full pipe blocks the service) until release_stdout
        self.args = args
        self.env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1", **(env or {})}
        self.stdout: list[tuple[float, str]] = []
        self.stderr: list[tuple[float, str]] = []
        self.proc: subprocess.Popen[str] | None = None
        self._readers: list[threading.Thread] = []

    def start(self) -> ServiceProcess:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config), *self.args],
            cwd=self.config.parent, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True, encoding="utf-8",
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        self._reader(self.proc.stderr, self.stderr)
        if not self.hold_stdout:
            self.release_stdout()
        return self

    def release_stdout(self) -> None:
        """Start reading stdout (what a held pipe buffered comes first)."""
        assert self.proc is not None and self.proc.stdout is not None
        self._reader(self.proc.stdout, self.stdout)

    def _reader(self, stream: IO[str], sink: list[tuple[float, str]]) -> None:
        reader = threading.Thread(target=_read, args=(stream, sink), daemon=True)
        reader.start()
        self._readers.append(reader)

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stdout_text(self) -> str:
        return "".join(line for _, line in list(self.stdout))

    def stderr_text(self) -> str:
        return "".join(line for _, line in list(self.stderr))

    def wait_for(self, condition: Callable[[], object], what: str, timeout: float = 30.0) -> None:
        """Poll ``condition`` until it holds; fail with the service's output when it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.proc is not None and self.proc.poll() is not None:
                self._join()
                if condition():
                    return
                raise AssertionError(f"the service exited ({self.proc.returncode}) before {what}\n{self.output()}")
            time.sleep(0.05)
        raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}\n{self.output()}")

    def wait_exit(self, timeout: float = 15.0) -> int:
        assert self.proc is not None
        code = self.proc.wait(timeout)
        self._join()
        return code

    def terminate(self, timeout: float = 15.0) -> int:
        """SIGTERM; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait(10)
        self._join()

    def output(self) -> str:
        return f"--- stdout ---\n{self.stdout_text()[-4000:]}\n--- stderr ---\n{self.stderr_text()[-6000:]}"

    def _join(self) -> None:
        for reader in self._readers:
            reader.join(5)


def _read(stream: IO[str], sink: list[tuple[float, str]]) -> None:
    for line in stream:
        sink.append((time.monotonic(), line))
