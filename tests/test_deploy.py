"""The deployment files in deploy/: the systemd unit passes `systemd-analyze verify` and runs our entry
point, the Dockerfile's commands and copies exist in the package, the container health check asks the
real service, and deploy/README.md's backup and restore steps work on a running service."""

from __future__ import annotations

import http.server
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import build_parser
from tests.app.service.proc import ServiceProcess, free_port
from tests.doubles.feedserver import FeedServer

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
UNIT = DEPLOY / "watchbot.service"
DOCKERFILE = DEPLOY / "Dockerfile"
README = DEPLOY / "README.md"
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))


def unit_settings(text: str) -> dict[str, list[str]]:
    """``[Service]``-style "Key=value" lines of a unit file, every value of a repeated key kept."""
    settings: dict[str, list[str]] = {}
    section = ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        settings.setdefault(f"{section}.{key.strip()}", []).append(value.strip())
    return settings


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) in order: comments dropped, backslash continuations joined."""
    joined = re.sub(r"\\\n", " ", "\n".join(ln for ln in text.splitlines() if not ln.lstrip().startswith("#")))
    out = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def exec_form(arguments: str) -> list[str]:
    """A JSON-form (exec form) argument list, as Docker requires for ENTRYPOINT and CMD here."""
    value = json.loads(arguments)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), arguments
    return value


def assert_runs_the_service(argv: list[str], config: str) -> None:
    """``argv`` is our console script with arguments our own parser reads as `run --config CONFIG`."""
    assert Path(argv[0]).name in PYPROJECT["project"]["scripts"], argv[0]
    args = build_parser().parse_args(argv[1:])
    assert args.command == "run" and args.config == Path(config)


# --- the systemd unit ----------------------------------------------------------------------------

def verify_complaints(unit: Path) -> list[str]:
    done = subprocess.run(["systemd-analyze", "verify", str(unit)], capture_output=True, text=True, timeout=60)
    lines = (done.stdout + done.stderr).splitlines()
    return [ln for ln in lines if unit.name in ln] + ([f"exit {done.returncode}"] if done.returncode else [])


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_unit_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    # verify wants the ExecStart binary to exist: point it at this environment's interpreter.
    text = UNIT.read_text(encoding="utf-8").replace("/opt/watchbot/.venv/bin/watchbot", sys.executable + " -m bot")
    (tmp_path / "watchbot.service").write_text(text, encoding="utf-8")
    assert verify_complaints(tmp_path / "watchbot.service") == []
    # The same check catches a misspelt key and a bad value (it is not a check that cannot fail).
    broken = text.replace("NoNewPrivileges=yes", "NoNewPrivilege=yes").replace("Restart=on-failure", "Restart=often")
    (tmp_path / "broken" / "watchbot.service").parent.mkdir()
    (tmp_path / "broken" / "watchbot.service").write_text(broken, encoding="utf-8")
    complaints = "\n".join(verify_complaints(tmp_path / "broken" / "watchbot.service"))
    assert "NoNewPrivilege" in complaints and "often" in complaints


def test_unit_runs_our_entry_point_hardened_with_a_writable_data_folder() -> None:
    s = unit_settings(UNIT.read_text(encoding="utf-8"))
    [exec_start] = s["Service.ExecStart"]
    assert_runs_the_service(exec_start.split(), "/etc/watchbot/config.toml")
    assert s["Service.Type"] == ["simple"] and s["Service.Restart"] == ["on-failure"]
    assert s["Service.User"][0] not in ("root", "0") and s["Service.EnvironmentFile"]
    for key, value in (("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("PrivateTmp", "yes")):
        assert s[f"Service.{key}"] == [value], key
    assert "MALLOC_ARENA_MAX=2" in s["Service.Environment"]
    # The store path the README gives for systemd is inside the folder the unit may write.
    [db] = re.findall(r'url = "sqlite:///(/var/lib/[^"]+)"', README.read_text(encoding="utf-8"))
    writable = [Path(p) for p in " ".join(s["Service.ReadWritePaths"]).split()]
    assert any(Path(db).parent == w or w in Path(db).parents for w in writable), (db, writable)
    assert Path(s["Service.WorkingDirectory"][0]) in writable
    # the rules folder too: the web's watchlist editor saves there (under ProtectSystem=strict it could not)
    assert Path("/etc/watchbot/rules") in [Path(str(w).lstrip("-")) for w in writable]


# --- the Dockerfile ------------------------------------------------------------------------------

def test_dockerfile_installs_the_package_and_runs_it_as_a_user_with_a_data_volume() -> None:
    steps = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    names = [name for name, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    # Every COPY source exists, and together they hold what `pip install .` builds the wheel from.
    copied: set[str] = set()
    for name, arguments in steps:
        if name == "COPY":
            *sources, _ = arguments.split()
            for source in sources:
                assert (REPO / source).exists(), f"COPY {source}: not in the repository"
                copied.add(source)
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    hook = PYPROJECT["tool"]["hatch"]["build"]["hooks"]["custom"]["path"]  # (compiles bot/watch/_speedups.c)
    needed = {"pyproject.toml", PYPROJECT["project"]["readme"], hook, *wheel["packages"], *wheel["force-include"]}
    assert needed <= copied, needed - copied
    assert any(name == "RUN" and "pip install ." in arguments for name, arguments in steps)
    users = [arguments for name, arguments in steps if name == "USER"]
    assert users and users[-1] not in ("root", "0") and names.index("USER") < names.index("ENTRYPOINT")
    assert ("VOLUME", '["/data"]') in steps and ("ENV" in names)
    assert any("MALLOC_ARENA_MAX=2" in arguments for name, arguments in steps if name == "ENV")
    entrypoint = exec_form(dict(steps)["ENTRYPOINT"])
    assert_runs_the_service(entrypoint + exec_form(dict(steps)["CMD"]), "/etc/watchbot/config.toml")


def test_dockerfile_health_check_runs_the_copied_script() -> None:
    steps = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    [health] = [arguments for name, arguments in steps if name == "HEALTHCHECK"]
    command = exec_form(health.split(" CMD ", 1)[1])
    assert command[0] == "python" and command[2] == "/etc/watchbot/config.toml"
    workdir, installed = "/", set()
    for name, arguments in steps:
        if name == "WORKDIR":
            workdir = str(Path(workdir) / arguments)
        if name == "COPY":
            *sources, target = arguments.split()
            for source in sources:
                into_folder = len(sources) > 1 or target.endswith("/")
                installed.add(str(Path(workdir) / target / (Path(source).name if into_folder else "")))
    assert command[1] in installed


# --- the health check and the backup, on the real service ----------------------------------------

def healthcheck(config: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(DEPLOY / "healthcheck.py"), str(config)],
                          capture_output=True, text=True, timeout=30)


def test_health_check_without_http_is_healthy_and_a_503_is_not(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[poll]\ninterval = "5m"\n', encoding="utf-8")
    assert healthcheck(config).returncode == 0

    class Unhealthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            body = json.dumps({"scheduler": "ok", "store": "not writable", "overdue_feeds": 0}).encode()
            self.send_response(503)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Unhealthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        config.write_text(f'[http]\nlisten = "0.0.0.0:{server.server_address[1]}"\n', encoding="utf-8")
        done = healthcheck(config)
        assert done.returncode == 1 and "503" in done.stderr and "not writable" in done.stderr
    finally:
        server.shutdown()


UNDATED = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Alpha</title><link>https://example.org/</link><description>d</description>
<item><title>Chipmaker opens a new chip fab</title><link>https://news.example/fab</link></item>
</channel></rss>
"""


LATER = b"<item><title>A second chip story</title><link>https://news.example/second</link></item>\n"


@pytest.fixture
def served() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


def readme_python_backup(db: Path, backup: Path) -> list[str]:
    """deploy/README.md's Docker backup one-liner, run here on ``db`` into ``backup``."""
    [code] = re.findall(r'docker exec watchbot python -c "([^"]+)"', README.read_text(encoding="utf-8"))
    return [sys.executable, "-c", code.replace("/data/watchbot.db", str(db)).replace("/data/backup.db", str(backup))]


def test_backup_while_running_then_restore_keeps_what_was_seen(tmp_path: Path, served: FeedServer) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "chips.yaml").write_text("id: chips\nany: [chip]\n", encoding="utf-8")
    url = served.feed("/a.xml", UNDATED)
    config = tmp_path / "config.toml"
    config.write_text(f'[rules]\npath = "rules"\n[poll]\ninterval = "1s"\n[[feeds]]\nurl = "{url}"\n'
                      f'name = "Alpha"\n[http]\nlisten = "127.0.0.1:{free_port()}"\n', encoding="utf-8")
    db, backup = tmp_path / "data" / "watchbot.db", tmp_path / "backup.db"
    alert = "[chips] Chipmaker opens a new chip fab"

    with ServiceProcess(config) as svc:
        svc.wait_for(lambda: alert in svc.stdout_text(), "the alert")
        svc.wait_for(lambda: healthcheck(config).returncode == 0, "a healthy /healthz")
        done = subprocess.run(readme_python_backup(db, backup), capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        if shutil.which("sqlite3"):  # the systemd host's command, as the README writes it
            [line] = re.findall(r"sqlite3 /var/lib/watchbot/watchbot.db \"(\.backup '[^']+')\"",
                                README.read_text(encoding="utf-8"))
            cli = line.replace("/var/backups/watchbot-$(date +%F).db", str(tmp_path / "cli.db"))
            assert subprocess.run(["sqlite3", str(db), cli], timeout=60).returncode == 0
            assert sqlite3.connect(tmp_path / "cli.db").execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert svc.terminate() == 0
    assert healthcheck(config).returncode == 1  # nothing answers any more
    copy = sqlite3.connect(backup)
    assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    copy.close()

    # The store is lost; the README's restore: old WAL files away, the backup in place, start again.
    for path in db.parent.glob("watchbot.db*"):
        path.unlink()
    shutil.copy(backup, db)
    served.update("/a.xml", UNDATED.replace(b"</channel>", LATER + b"</channel>"))
    with ServiceProcess(config) as svc:
        svc.wait_for(lambda: "[chips] A second chip story" in svc.stdout_text(), "the new item's alert")
        assert alert not in svc.stdout_text()  # the first item was in the backup: not alerted again
        assert svc.terminate() == 0


def test_dockerfile_reads_the_same_with_buildkits_own_parser() -> None:
    parser = pytest.importorskip("dockerfile", reason="the `dockerfile` package (BuildKit's parser) is not installed")
    official = parser.parse_file(str(DOCKERFILE))
    ours = dockerfile_instructions(DOCKERFILE.read_text(encoding="utf-8"))
    assert [c.cmd.upper() for c in official] == [name for name, _ in ours]
    exec_forms = {c.cmd.upper(): c for c in official if c.cmd.upper() in ("ENTRYPOINT", "CMD", "HEALTHCHECK")}
    assert all(c.json for c in exec_forms.values()), "ENTRYPOINT, CMD and HEALTHCHECK in exec (JSON) form"
    assert list(exec_forms["ENTRYPOINT"].value + exec_forms["CMD"].value) == exec_form(
        dict(ours)["ENTRYPOINT"]) + exec_form(dict(ours)["CMD"])


def test_the_version_is_one_number_in_the_package_and_its_metadata() -> None:
    """An operator tells releases apart by `watchbot --version` (two releases four schema versions apart both said
    0.1.0)."""
    import tomllib

    import bot

    assert tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"] == bot.__version__
