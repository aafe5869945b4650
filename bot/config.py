"""Configuration: config.toml read, checked and turned into frozen values. IO: reads one file.

Every problem is collected and reported at once by key path; unknown keys are errors (a typo
must never silently stop alerts); `${VAR}` is read from the environment; durations accept
"30s", "5m", "1h", "2d" or seconds; paths are relative to the config file's folder. Secrets
never appear in messages.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import ConfigError
from bot.feeds.urls import check_feed_url, feed_url_problem
from bot.i18n import DEFAULT as DEFAULT_LANGUAGE
from bot.i18n import LANGUAGES
from bot.shipped import default_rules_dir, shipped_path
from bot.times import hhmm, valid_zone

SEED_FEED = "rfi-feedx.xml"


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str  # http(s) URL or absolute file path
    name: str = ""
    interval: float | None = None  # seconds; None = poll.interval (fixed or "auto")
    adaptive: bool = False  # interval = "auto": this feed adapts even where poll.interval pins the others


@dataclass(frozen=True, slots=True)
class PollConfig:
    interval: float | None = None  # seconds, fixed for every feed without its own; None = "auto" (adaptive)
    min_interval: float = 120.0  # adaptive polling's bounds (bot/app/polling.py)
    max_interval: float = 21600.0
    timeout: float = 20.0
    max_bytes: int = 10_000_000
    concurrency: int = 32
    per_host: int = 2
    max_age: float = 0.0  # seconds; 0 = no limit
    backlog: float = 48 * 3600.0  # a feed's first poll alerts only items this young; 0 = no limit


DEFAULT_DIGEST_AT = "08:00"  # telegram.digest_at: when chats that set no time with /digest get their digest


@dataclass(frozen=True, slots=True)
class TelegramConfig:
    token: str
    api_url: str = "https://api.telegram.org"
    admins: tuple[int, ...] = ()
    concurrency: int = 4
    digest_at: str = DEFAULT_DIGEST_AT
    max_watch: int = 50  # phrases per chat (/watch)
    max_alerts_per_hour: int | None = None  # per chat; beyond it alerts go to the chat's next digest

    def __repr__(self) -> str:  # never print the token
        return f"TelegramConfig(api_url={self.api_url!r}, admins={self.admins!r})"


@dataclass(frozen=True, slots=True)
class EmailDigestConfig:
    to: tuple[str, ...]
    watchlists: tuple[str, ...] = ()  # empty = all
    at: str = "08:00"
    timezone: str = "UTC"
    language: str = "en"  # what the email says around the stories (bot.i18n): en, zh-hans or zh-hant


@dataclass(frozen=True, slots=True)
class EmailConfig:
    host: str
    port: int = 587
    security: str = "starttls"
    username: str | None = None
    password: str | None = None
    sender: str = "Watchbot <watchbot@localhost>"
    send_empty: bool = False
    digests: tuple[EmailDigestConfig, ...] = ()

    def __repr__(self) -> str:  # never print the password
        return f"EmailConfig(host={self.host!r}, port={self.port}, security={self.security!r})"


@dataclass(frozen=True, slots=True)
class StoriesConfig:
    window: float = 72 * 3600.0  # how long an item can still join an earlier story; 0 = one story per item
    edit_within: float = 48 * 3600.0  # how long an alert is still edited to add outlets; 0 = never
    cross_language: bool = True  # link English and Chinese reports of one event (precision 1.00, tests/stories)


BUILT_IN = "built-in defaults"  # Config.source when no config file was read


@dataclass(frozen=True, slots=True)
class Config:
    storage_url: str
    rules_path: Path
    poll: PollConfig
    feeds: tuple[FeedConfig, ...]
    telegram: TelegramConfig | None = None
    email: EmailConfig | None = None
    http_listen: tuple[str, int] | None = None
    stories: StoriesConfig = field(default_factory=StoriesConfig)
    http_public_url: str | None = None  # base of the web's login links; None: http://<listen>
    source: str = BUILT_IN
    base_dir: Path = field(default_factory=Path.cwd)
    storage_keep: float = 180 * 86400  # seconds: items, sightings and matches older than this are pruned
    unset: tuple[str, ...] = ()  # loaded with secrets=False: the secrets whose variables are not set, and why

    @property
    def db_path(self) -> Path:
        return sqlite_path(self.storage_url, self.base_dir)

    @property
    def store_missing(self) -> bool:
        """The SQLite store is not there yet (nothing was polled with this config, or its URL names another path)."""
        return not is_postgres(self.storage_url) and not self.db_path.exists()

    @property
    def web_url(self) -> str:
        """The base of the web interface's links (``http.public_url``, else http:// + listen)."""
        if self.http_public_url:
            return self.http_public_url.rstrip("/")
        host, port = self.http_listen or ("127.0.0.1", 9108)
        return f"http://{'[' + host + ']' if ':' in host else host}:{port}"

    def secrets(self) -> list[str]:
        """The values that must never appear in a log line or an error message."""
        found = [self.telegram.token if self.telegram else None, self.email.password if self.email else None,
                 urlsplit(self.storage_url).password]
        return [x for x in found if x and len(x) >= 4 and x not in (UNSET, UNSET_TOKEN)]


def default_config(cwd: Path | None = None) -> Config:
    """No config file: SQLite in ./data, rules from ./rules (or shipped), the shipped seed feed."""
    base = cwd or Path.cwd()
    return Config(
        storage_url="sqlite:///data/watchbot.db",
        rules_path=default_rules_dir(base),
        poll=PollConfig(backlog=0.0),  # the seed demo alerts its (2024) story: a config file has the 48 h backlog
        feeds=(FeedConfig(url=str(shipped_path("seeds") / SEED_FEED), name="RFI 中文 (seed, feedx)"),),
        base_dir=base,
    )


def load_config(path: Path | None = None, *, env: dict[str, str] | None = None, secrets: bool = True) -> Config:
    """Read ``path``, or ./config.toml when present, or fall back to the built-in defaults. ``secrets=False``: for a
    command that contacts neither Telegram nor a mail server, a secret's unset variable is no error."""
    if path is None:
        local = Path.cwd() / "config.toml"
        if not local.is_file():
            return default_config()
        path = local
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), ["file not found (copy config.example.toml to start)"]) from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(str(path), [f"cannot read: {e}"]) from e
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(str(path), [f"not valid TOML: {e}"]) from e
    return parse_config(data, source=str(path), base_dir=path.resolve().parent,
                        env=os.environ.copy() if env is None else env, secrets=secrets)


# --- checking -------------------------------------------------------------------------------------

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
# The longest duration any key or option takes: 100 years. A longer one, taken from today, reaches before the year 1
# that dates can hold ("storage.keep = '1000000d'" stopped the daily prune with an OverflowError).
MAX_DURATION = 36_500 * 86_400.0
TOO_LONG = "too long: at most 36500d (100 years)"
_TOKEN = re.compile(r"^\d+:[A-Za-z0-9_-]+$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECRET_KEYS = {"token", "password", "username"}
# What an unset secret reads as in a config loaded with secrets=False (Config.unset says which): never sent anywhere,
# since the commands that load it so contact neither Telegram nor a mail server.
UNSET_TOKEN = "0:unset"
UNSET = "unset"

_SCHEMA: dict[str, Any] = {
    "storage": {"url": str, "keep": "duration"},
    "rules": {"path": str},
    "poll": {"interval": "auto|duration", "timeout": "duration", "max_bytes": int, "concurrency": int,
             "per_host": int, "max_age": "duration", "backlog": "duration", "min_interval": "duration",
             "max_interval": "duration"},
    "feeds": [{"url": str, "name": str, "interval": "auto|duration"}],
    "telegram": {"token": str, "api_url": str, "admins": list, "concurrency": int, "digest_at": str,
                 "max_watch": int, "max_alerts_per_hour": int},
    "email": {"host": str, "port": int, "security": str, "username": str, "password": str, "from": str,
              "send_empty": bool, "digests": [{"to": list, "watchlists": list, "at": str, "timezone": str,
                                                 "language": str}]},
    "http": {"listen": str, "public_url": str},
    "stories": {"window": "duration", "edit_within": "duration", "cross_language": bool},
}


def _meant(key: str, known: list[str]) -> list[str]:
    """The known keys closest in spelling to a mistyped ``key``: every one as close as the closest, since naming one
    of two alike would guess ([store] is as close to 'storage' as to 'stories')."""
    close = difflib.get_close_matches(key, known, n=3)
    if not close:
        return []
    best = difflib.SequenceMatcher(None, key, close[0]).ratio()
    return [k for k in close if difflib.SequenceMatcher(None, key, k).ratio() >= best - 1e-9]


class _Checker:
    def __init__(self, env: dict[str, str], *, secrets: bool = True) -> None:
        self.problems: list[str] = []
        self.unset: list[str] = []  # with secrets=False: a secret's variable not set (the command never uses it)
        self.env = env
        self.secrets = secrets

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{key}: {message}")

    def unknown_keys(self, table: dict[str, Any], schema: dict[str, Any], prefix: str) -> None:
        for key in table:
            if key not in schema:
                hint = " or ".join(f"'{k}'" for k in _meant(key, list(schema)))
                where = f"{prefix}.{key}" if prefix else key
                self.fail(where, "unknown key" + (f" (did you mean {hint}?)" if hint else
                                                  f" (known: {', '.join(schema)})"))

    def value(self, table: dict[str, Any], key: str, kind: Any, prefix: str, *, one: bool = False) -> Any:
        """``one``: a list that may be written as its one string alone (to = "desk@example.com")."""
        where = f"{prefix}.{key}"
        if key not in table:
            return None
        raw = table[key]
        if isinstance(raw, str):
            raw = self.expand(raw, where, secret=key in _SECRET_KEYS)
            if raw is None:
                return None
            if one and kind is list:
                raw = [raw]
        if kind == "auto|duration" and isinstance(raw, str) and raw.strip().lower() == "auto":
            return "auto"
        if kind in ("duration", "auto|duration"):
            seconds = parse_duration(raw)
            if seconds is None:
                self.fail(where, f"not a duration (got {raw!r}); write \"30s\", \"5m\", \"1h\", \"2d\" or seconds"
                          + (" (or \"auto\")" if kind == "auto|duration" else ""))
            elif seconds > MAX_DURATION:
                self.fail(where, f"{TOO_LONG} (got {raw!r})")
                return None
            return seconds
        if kind is int and isinstance(raw, bool) or not isinstance(raw, kind):
            name = {str: "a string", int: "a whole number", bool: "true or false", list: "a list"}[kind]
            shown = "(hidden)" if key in _SECRET_KEYS else repr(raw)
            self.fail(where, f"must be {name} (got {shown})")
            return None
        return raw

    def expand(self, text: str, where: str, *, secret: bool) -> str | None:
        problem = None
        missing = [m for m in _VAR.findall(text) if m not in self.env]
        empty = [m for m in _VAR.findall(text) if m in self.env and not self.env[m].strip()]
        if missing:
            problem = f"environment variable {missing[0]} is not set (export it or edit the value)"
        elif empty:  # (how an injected secret fails: an env file's "TOKEN=", a container's empty variable)
            problem = f"environment variable {empty[0]} is set but empty (give it a value or edit the value)"
        if problem is None:
            return _VAR.sub(lambda m: self.env[m.group(1)], text)
        if secret and not self.secrets:  # (rules check, alerts...: they need no bot token nor mail password)
            self.unset.append(f"{where}: {problem}")
            return UNSET_TOKEN if where == "telegram.token" else UNSET
        self.fail(where, problem)
        return None


def parse_duration(value: object) -> float | None:
    """Seconds from "30s", "5m", "1h", "2d", "250ms" or a number; None when not a duration."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if value >= 0 else None
    if isinstance(value, str):
        m = _DURATION.match(value)
        if m:
            return float(m.group(1)) * _UNITS[m.group(2)]
    return None


STORAGE_SCHEMES = ("sqlite:///", "postgresql://", "postgres://")


def is_postgres(url: str) -> bool:
    return url.startswith(("postgresql://", "postgres://"))


def postgres_url_problem(url: str) -> str | None:
    """Why a PostgreSQL URL will not do, or None: it must name its database (without one, PostgreSQL takes the
    user's name, and a `watchbot feeds` made its 22 tables in the server's own `postgres` database)."""
    parts = urlsplit(url)
    if parts.path.strip("/") or "dbname=" in parts.query:
        return None
    return (f"name the database, like {parts.scheme}://user@{parts.hostname or 'host'}/watchbot (without one, "
            "PostgreSQL would take the user's name)")


def sqlite_path(url: str, base_dir: Path) -> Path:
    """The file of a ``sqlite:///relative`` or ``sqlite:////absolute`` URL."""
    rest = url.removeprefix("sqlite:///")
    path = Path(rest)
    return path if path.is_absolute() else base_dir / path


def parse_config(data: dict[str, Any], *, source: str, base_dir: Path, env: dict[str, str],
                 secrets: bool = True) -> Config:
    """Check a parsed TOML document; raise ConfigError listing every problem. ``secrets=False``: a secret (the bot's
    token, the mail password) whose environment variable is not set is no problem, only said in ``Config.unset``."""
    c = _Checker(env, secrets=secrets)
    c.unknown_keys(data, _SCHEMA, "")
    for name, schema in _SCHEMA.items():
        if name in data and isinstance(schema, dict) and not isinstance(data[name], dict):
            c.fail(name, "must be a table ([" + name + "])")
        if name in data and isinstance(schema, list) and not isinstance(data[name], list):
            c.fail(name, "must be an array of tables ([[" + name + "]])")

    def table(name: str) -> dict[str, Any]:
        value = data.get(name, {})
        if isinstance(value, dict):
            c.unknown_keys(value, _SCHEMA[name], name)
            return value
        return {}

    storage = table("storage")
    storage_url = c.value(storage, "url", str, "storage")
    if storage_url is not None and not storage_url.strip():
        c.fail("storage.url", "empty: write sqlite:///data/watchbot.db or postgresql://user@host/db, or leave it out")
    storage_url = storage_url or "sqlite:///data/watchbot.db"
    if not storage_url.startswith(STORAGE_SCHEMES):
        c.fail("storage.url", f"write sqlite:///data/watchbot.db or postgresql://user@host/db (got {storage_url!r})")
    elif is_postgres(storage_url) and (problem := postgres_url_problem(storage_url)):
        c.fail("storage.url", problem)
    keep = c.value(storage, "keep", "duration", "storage")
    if keep is not None and keep < 86400:
        c.fail("storage.keep", f"keep at least a day, e.g. \"180d\" (got {keep:g} seconds)")

    rules = table("rules")
    rules_raw = c.value(rules, "path", str, "rules")
    rules_path = (base_dir / rules_raw) if rules_raw else default_rules_dir(base_dir)

    p = table("poll")
    poll = PollConfig()
    values: dict[str, Any] = {}
    for key, kind in _SCHEMA["poll"].items():
        v = c.value(p, key, kind, "poll")
        if v is not None:
            values[key] = v
    for key in ("concurrency", "per_host", "max_bytes"):
        if key in values and values[key] < 1:
            c.fail(f"poll.{key}", f"must be at least 1 (got {values[key]})")
    for key in ("interval", "timeout"):
        if isinstance(values.get(key), float) and values[key] <= 0:
            c.fail(f"poll.{key}", "must be longer than 0")
    if values.get("interval") == "auto":
        values["interval"] = None
    _interval_bounds(c, values, poll)
    poll = dataclasses.replace(poll, **values)

    feeds = _feeds(c, data.get("feeds", []), base_dir)
    telegram = _telegram(c, data["telegram"]) if isinstance(data.get("telegram"), dict) else None
    email = _email(c, data["email"]) if isinstance(data.get("email"), dict) else None
    listen = None
    http = table("http")
    listen_raw = c.value(http, "listen", str, "http")
    if listen_raw:
        host, _, port = listen_raw.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            c.fail("http.listen", f"must be HOST:PORT, e.g. \"127.0.0.1:9108\" (got {listen_raw!r})")
        else:
            listen = (host.strip("[]"), int(port))
    public_url = c.value(http, "public_url", str, "http")
    if public_url:
        parts = urlsplit(public_url)
        if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
            c.fail("http.public_url", f"must be an http(s) URL such as \"https://watch.example.com\" "
                                      f"(got {public_url!r})")

    stories = _stories(c, table("stories"))

    if c.problems:
        raise ConfigError(source, c.problems)
    return Config(storage_url=storage_url, rules_path=rules_path, poll=poll, feeds=feeds,
                  telegram=telegram, email=email, http_listen=listen, http_public_url=public_url or None,
                  stories=stories, source=source, base_dir=base_dir, unset=tuple(c.unset),
                  **({"storage_keep": keep} if keep is not None else {}))


def _stories(c: _Checker, t: dict[str, Any]) -> StoriesConfig:
    values: dict[str, Any] = {}
    for key, kind in _SCHEMA["stories"].items():
        v = c.value(t, key, kind, "stories")
        if v is not None:
            values[key] = v
    for key in ("window", "edit_within"):
        if key in values and values[key] < 0:
            c.fail(f"stories.{key}", "must be 0 or longer")
    return dataclasses.replace(StoriesConfig(), **values)


MIN_BOUND = 10.0  # seconds: adaptive bounds below this would hammer servers


def _interval_bounds(c: _Checker, values: dict[str, Any], default: PollConfig) -> None:
    """poll.min_interval <= poll.max_interval, both at least 10 s."""
    low = values.get("min_interval", default.min_interval)
    high = values.get("max_interval", default.max_interval)
    for key, value in (("min_interval", low), ("max_interval", high)):
        if key in values and value < MIN_BOUND:
            c.fail(f"poll.{key}", f"must be at least 10s (got {value:g} s)")
    if low > high:
        c.fail("poll.min_interval", f"must not be longer than poll.max_interval ({low:g} s > {high:g} s)")


def _feeds(c: _Checker, raw: Any, base_dir: Path) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        return ()
    feeds = []
    seen: set[str] = set()
    for i, entry in enumerate(raw):
        where = f"feeds[{i}]"
        if not isinstance(entry, dict):
            c.fail(where, "must be a table with url = \"...\"")
            continue
        c.unknown_keys(entry, _SCHEMA["feeds"][0], where)
        url = c.value(entry, "url", str, where)
        if not url or not url.strip():
            if "url" not in entry:
                c.fail(f"{where}.url", "missing (every feed needs a url or a file path)")
            elif url is not None:
                c.fail(f"{where}.url", "empty (every feed needs a url or a file path)")
            continue
        problem = feed_url_problem(url)
        if problem:
            c.fail(f"{where}.url", problem)
            continue
        url = check_feed_url(url)
        scheme = urlsplit(url).scheme.lower()
        if scheme not in ("http", "https"):
            url = str((base_dir / url).resolve())
        if url in seen:
            c.fail(f"{where}.url", f"listed twice ({url})")
        seen.add(url)
        interval = c.value(entry, "interval", "auto|duration", where)
        adaptive = interval == "auto"
        if adaptive:
            interval = None
        if interval is not None and interval <= 0:
            c.fail(f"{where}.interval", "must be longer than 0")
        feeds.append(FeedConfig(url=url, name=c.value(entry, "name", str, where) or "", interval=interval,
                                adaptive=adaptive))
    return tuple(feeds)


def _telegram(c: _Checker, t: dict[str, Any]) -> TelegramConfig | None:
    c.unknown_keys(t, _SCHEMA["telegram"], "telegram")
    token = c.value(t, "token", str, "telegram")
    if "token" not in t:
        c.fail("telegram.token", "missing (set token = \"${TELEGRAM_BOT_TOKEN}\")")
    elif token is not None and not token.strip():
        c.fail("telegram.token", "empty: set the bot's token (token = \"${TELEGRAM_BOT_TOKEN}\"), or remove the "
                                 "[telegram] table to alert on the console")
    elif token and not _TOKEN.match(token):
        c.fail("telegram.token", "not a bot token: it looks like 123456789:AAE... (get one from @BotFather "
                                 "with /newbot; the value itself is not shown)")
    api_url = c.value(t, "api_url", str, "telegram") or "https://api.telegram.org"
    parts = urlsplit(api_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        c.fail("telegram.api_url", f"not a URL (got {api_url!r})")
    admins = c.value(t, "admins", list, "telegram") or []
    if any(not isinstance(a, int) or isinstance(a, bool) for a in admins):
        c.fail("telegram.admins", "must be a list of numeric Telegram user ids")
        admins = []
    concurrency = c.value(t, "concurrency", int, "telegram")
    if concurrency is not None and concurrency < 1:
        c.fail("telegram.concurrency", f"must be 1 or more (got {concurrency})")
    concurrency = concurrency or 4
    digest_at = c.value(t, "digest_at", str, "telegram") or DEFAULT_DIGEST_AT
    if hhmm(digest_at) is None:
        c.fail("telegram.digest_at", f"must be HH:MM in 24-hour time (got {digest_at!r})")
    digest_at = hhmm(digest_at) or digest_at
    max_watch = c.value(t, "max_watch", int, "telegram")
    if max_watch is not None and max_watch < 0:
        c.fail("telegram.max_watch", f"must be 0 or more (got {max_watch})")
    per_hour = c.value(t, "max_alerts_per_hour", int, "telegram")
    if per_hour is not None and per_hour < 1:
        c.fail("telegram.max_alerts_per_hour", f"must be 1 or more, or left out for no cap (got {per_hour})")
    if not token:
        return None
    return TelegramConfig(token=token, api_url=api_url.rstrip("/"), admins=tuple(admins),
                          concurrency=max(1, concurrency), digest_at=digest_at,
                          max_watch=50 if max_watch is None else max_watch, max_alerts_per_hour=per_hour)


def _email(c: _Checker, e: dict[str, Any]) -> EmailConfig | None:
    c.unknown_keys(e, _SCHEMA["email"], "email")
    host = c.value(e, "host", str, "email")
    if not host:
        c.fail("email.host", "missing (the SMTP server's host name)")
    security = c.value(e, "security", str, "email") or "starttls"
    if security not in ("starttls", "ssl", "none"):
        c.fail("email.security", f"must be \"starttls\", \"ssl\" or \"none\" (got {security!r})")
    port = c.value(e, "port", int, "email") or {"ssl": 465, "starttls": 587}.get(security, 25)
    if not 0 < port < 65536:  # (70000 passed, and every send then died in a traceback, retried forever)
        c.fail("email.port", f"must be a port number from 1 to 65535 (got {port}; 587 for starttls, 465 for ssl)")
    sender = c.value(e, "from", str, "email") or "Watchbot <watchbot@localhost>"
    if "@" not in sender:
        c.fail("email.from", f"must be an address like \"Watchbot <alerts@example.com>\" (got {sender!r})")
    digests = []
    raw = e.get("digests", [])
    for i, d in enumerate(raw if isinstance(raw, list) else []):
        where = f"email.digests[{i}]"
        if not isinstance(d, dict):
            c.fail(where, "must be a table")
            continue
        c.unknown_keys(d, _SCHEMA["email"]["digests"][0], where)
        to = c.value(d, "to", list, where, one=True)
        if to is not None and (not to or any(not isinstance(a, str) or "@" not in a or "\n" in a for a in to)):
            c.fail(f"{where}.to", f"must be one or more email addresses, like to = [\"desk@example.com\"] (got {to!r})")
        elif "to" not in d:
            c.fail(f"{where}.to", "missing: who gets this digest, like to = [\"desk@example.com\"]")
        to = to or []
        watchlists = c.value(d, "watchlists", list, where, one=True) or []
        at = c.value(d, "at", str, where) or "08:00"
        if hhmm(at) is None:
            c.fail(f"{where}.at", f"must be HH:MM in 24-hour time (got {at!r})")
        at = hhmm(at) or at
        zone = c.value(d, "timezone", str, where) or "UTC"
        if valid_zone(zone) is None:
            c.fail(f"{where}.timezone", f"unknown time zone {zone!r} (an IANA name like \"Asia/Shanghai\")")
        zone = valid_zone(zone) or zone
        language = c.value(d, "language", str, where) or DEFAULT_LANGUAGE
        if language not in LANGUAGES:
            c.fail(f"{where}.language", f"must be one of {', '.join(LANGUAGES)} (got {language!r})")
        # (ids are lower case, as Telegram's /subscribe takes them: "ASML" is asml; it had matched nothing, every day)
        digests.append(EmailDigestConfig(to=tuple(str(a) for a in to),
                                         watchlists=tuple(str(w).lower() for w in watchlists),
                                         at=at, timezone=zone, language=language))
    if not host:
        return None
    return EmailConfig(
        host=host, port=port, security=security,
        username=c.value(e, "username", str, "email"), password=c.value(e, "password", str, "email"),
        sender=sender, send_empty=bool(c.value(e, "send_empty", bool, "email")), digests=tuple(digests),
    )
