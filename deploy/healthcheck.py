"""Container health check: GET /healthz of the running service, when its config has an [http] table.

    python deploy/healthcheck.py /etc/watchbot/config.toml

Exit 0 when /healthz answers 200, or when the config sets no ``[http] listen`` (nothing to ask);
exit 1 with one line on stderr when it answers otherwise or not at all. A listen address of 0.0.0.0
or :: is asked on loopback. Standard library only (it runs inside the image, outside the package).
"""

from __future__ import annotations

import json
import sys
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

WILDCARDS = {"0.0.0.0": "127.0.0.1", "::": "::1", "[::]": "[::1]", "": "127.0.0.1"}


def health_url(config: Path) -> str | None:
    """The /healthz URL the service at ``config`` serves, or None without [http] listen."""
    with config.open("rb") as f:
        listen = tomllib.load(f).get("http", {}).get("listen")
    if not listen:
        return None
    host, _, port = str(listen).rpartition(":")
    host = WILDCARDS.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}/healthz"


def check(config: Path, timeout: float = 8.0) -> tuple[bool, str]:
    url = health_url(config)
    if url is None:
        return True, f"{config}: no [http] listen, nothing to check"
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - the service's own address
            return True, f"{url}: {r.status}"
    except urllib.error.HTTPError as e:
        try:
            details = json.loads(e.read())
        except ValueError:
            details = {}
        failing = {k: v for k, v in details.items() if v not in ("ok", 0, None) and k in ("scheduler", "store",
                                                                                        "overdue_feeds")}
        return False, f"{url}: {e.code} {failing or ''}".rstrip()
    except OSError as e:
        return False, f"{url}: no answer ({getattr(e, 'reason', e)}): is watchbot running?"


def main(argv: list[str]) -> int:
    config = Path(argv[0] if argv else "/etc/watchbot/config.toml")
    try:
        ok, line = check(config)
    except (OSError, tomllib.TOMLDecodeError) as e:
        ok, line = False, f"{config}: cannot read the config ({e})"
    print(line, file=sys.stdout if ok else sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
