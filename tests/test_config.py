"""Configuration: every problem reported at once by key path; defaults; ${VAR}; relative paths."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from bot.config import default_config, load_config, parse_config, parse_duration
from bot.errors import ConfigError
from bot.shipped import default_rules_dir

REPO = Path(__file__).resolve().parents[1]


def _parse(text: str, env: dict[str, str] | None = None, base: Path = Path("/cfg")):
    return parse_config(tomllib.loads(text), source="config.toml", base_dir=base, env=env or {})


def test_an_empty_value_is_an_error_not_a_feature_switched_off() -> None:
    """An env file's "TOKEN=" turned Telegram off without a word (the service sent alerts to the console for days);
    "sqlite:///${DATA_DIR}/w.db" with DATA_DIR empty put the store at the root; an empty feed URL dropped the feed."""
    text = """
[storage]
url = "sqlite:///${DATA_DIR}/w.db"
[telegram]
token = "${TOKEN}"
concurrency = 0
[[feeds]]
url = ""
"""
    with pytest.raises(ConfigError) as caught:
        _parse(text, env={"DATA_DIR": "", "TOKEN": " "})
    assert sorted(caught.value.problems) == [
        "feeds[0].url: empty (every feed needs a url or a file path)",
        "storage.url: environment variable DATA_DIR is set but empty (give it a value or edit the value)",
        "telegram.concurrency: must be 1 or more (got 0)",
        "telegram.token: environment variable TOKEN is set but empty (give it a value or edit the value)",
    ]
    with pytest.raises(ConfigError) as caught:
        _parse('[telegram]\ntoken = ""\n[storage]\nurl = ""\n')
    assert sorted(caught.value.problems) == [
        "storage.url: empty: write sqlite:///data/watchbot.db or postgresql://user@host/db, or leave it out",
        "telegram.token: empty: set the bot's token (token = \"${TELEGRAM_BOT_TOKEN}\"), or remove the [telegram] "
        "table to alert on the console"]


def test_example_config_runs_as_copied_with_no_environment() -> None:
    """`cp config.example.toml config.toml && watchbot poll` must work: no ${VAR} is needed."""
    config = load_config(REPO / "config.example.toml", env={})
    assert config.poll.max_bytes == 10_000_000 and config.poll.backlog == 48 * 3600
    assert config.poll.interval is None  # "auto"
    assert (config.poll.min_interval, config.poll.max_interval) == (120, 6 * 3600)
    assert any("feedx.net" in f.url for f in config.feeds)
    assert config.feeds[-1].url == str((REPO / "seeds" / "rfi-feedx.xml").resolve())
    assert config.telegram is None and config.email is None
    assert config.http_listen == ("127.0.0.1", 9108)
    assert config.db_path == REPO / "data" / "watchbot.db"
    assert config.stories.window == 72 * 3600 and config.stories.cross_language
    assert config.rules_path == REPO / "rules"  # (./rules beside the config: the default)


def test_example_config_copied_out_of_the_checkout_uses_the_shipped_watchlists(tmp_path: Path) -> None:
    copy = tmp_path / "config.toml"
    copy.write_text((REPO / "config.example.toml").read_text(encoding="utf-8"), encoding="utf-8")
    config = load_config(copy, env={})
    assert config.rules_path == default_rules_dir(tmp_path) and sorted(config.rules_path.glob("*.yaml"))


def test_example_config_documents_every_key_in_its_commented_tables() -> None:
    """Uncommenting [telegram] and [email] (as the README says) gives a valid config with every key."""
    text = (REPO / "config.example.toml").read_text(encoding="utf-8")
    lines = [line[2:] if line.startswith("# ") and ("=" in line or line[2:].startswith("[")) else line
             for line in text.splitlines()]
    env = {"TELEGRAM_BOT_TOKEN": "123:abc", "SMTP_USER": "u", "SMTP_PASSWORD": "p"}
    config = parse_config(tomllib.loads("\n".join(lines)), source="config.toml", base_dir=REPO, env=env)
    assert config.telegram is not None and config.telegram.token == "123:abc"
    assert config.email is not None and config.email.digests[0].timezone == "Asia/Shanghai"


def test_every_problem_is_reported_at_once_by_key_path() -> None:
    text = """
[poll]
interval = "ten minutes"
concurency = 4
[telegram]
token = "${NOPE}"
api_url = "localhost:8081"
[[feeds]]
name = "no url"
[[email.digests]]
to = ["a@example.com"]
timezone = "Mars/Olympus"
"""
    with pytest.raises(ConfigError) as caught:
        _parse(text)
    problems = "\n".join(caught.value.problems)
    assert "poll.interval: not a duration (got 'ten minutes')" in problems
    assert "poll.concurency: unknown key (did you mean 'concurrency'?)" in problems
    assert "telegram.token: environment variable NOPE is not set" in problems
    assert "telegram.api_url: not a URL (got 'localhost:8081')" in problems
    assert "feeds[0].url: missing" in problems
    assert "email.host: missing" in problems
    assert "email.digests[0].timezone: unknown time zone 'Mars/Olympus'" in problems
    assert len(caught.value.problems) == 7


def test_secrets_never_appear_in_messages() -> None:
    with pytest.raises(ConfigError) as caught:
        _parse('[email]\nhost = "h"\npassword = 12345678\n')
    assert "12345678" not in str(caught.value)
    config = _parse('[telegram]\ntoken = "${T}"\n', env={"T": "999:secret"})
    assert "secret" not in repr(config)


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("5m", 300), ("1h", 3600), ("2d", 172800),
                                               (45, 45), ("250ms", 0.25), ("0", 0)])
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("bad", ["5 minutes", "-1", "m", True, [1]])
def test_bad_durations(bad: object) -> None:
    assert parse_duration(bad) is None


def test_a_duration_past_a_hundred_years_is_refused_not_left_to_overflow_a_date() -> None:
    with pytest.raises(ConfigError) as caught:
        _parse('[storage]\nkeep = "1000000d"\n')
    assert caught.value.problems == ["storage.keep: too long: at most 36500d (100 years) (got '1000000d')"]
    assert _parse('[storage]\nkeep = "36500d"\n').storage_keep == 36500 * 86400


def test_paths_are_relative_to_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    cfg = tmp_path / "sub" / "c.toml"
    cfg.write_text('[storage]\nurl = "sqlite:///db/w.db"\n[rules]\npath = "myrules"\n[[feeds]]\nurl = "f.xml"\n')
    config = load_config(cfg, env={})
    assert config.db_path == tmp_path / "sub" / "db" / "w.db"
    assert config.rules_path == tmp_path / "sub" / "myrules"
    assert config.feeds[0].url == str(tmp_path / "sub" / "f.xml")


def test_defaults_poll_the_shipped_seed(tmp_path: Path) -> None:
    config = default_config(tmp_path)
    assert config.telegram is None and config.email is None
    assert Path(config.feeds[0].url).name == "rfi-feedx.xml" and Path(config.feeds[0].url).is_file()
    assert config.db_path == tmp_path / "data" / "watchbot.db"


def test_missing_file_and_broken_toml_are_one_line_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    broken = tmp_path / "b.toml"
    broken.write_text("[poll\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)


def test_a_feeds_own_interval_may_be_auto_where_poll_interval_pins_the_others() -> None:
    config = _parse('[poll]\ninterval = "10m"\n[[feeds]]\nurl = "https://a.example/rss"\ninterval = "Auto"\n'
                    '[[feeds]]\nurl = "https://b.example/rss"\n')
    a, b = config.feeds
    assert (a.interval, a.adaptive) == (None, True) and (b.interval, b.adaptive) == (None, False)
    with pytest.raises(ConfigError, match=r'feeds\[0\]\.interval: not a duration \(got .often.\).*\(or "auto"\)'):
        _parse('[[feeds]]\nurl = "https://a.example/rss"\ninterval = "often"\n')


@pytest.mark.parametrize(
    ("poll", "interval", "low", "high"),
    [
        ("", None, 120.0, 21600.0),  # "auto" by default: adaptive within 2 min - 6 h
        ('interval = "auto"', None, 120.0, 21600.0),
        ('interval = "AUTO"', None, 120.0, 21600.0),
        ('interval = "10m"', 600.0, 120.0, 21600.0),  # a duration pins every feed without its own
        ('interval = "1s"', 1.0, 120.0, 21600.0),  # a pin is not held to the adaptive bounds
        ('min_interval = "30s"\nmax_interval = "1d"', None, 30.0, 86400.0),
        ('min_interval = "10s"\nmax_interval = "10s"', None, 10.0, 10.0),
    ],
)
def test_poll_interval_auto_and_bounds(poll: str, interval: float | None, low: float, high: float) -> None:
    config = _parse(f"[poll]\n{poll}\n")
    assert (config.poll.interval, config.poll.min_interval, config.poll.max_interval) == (interval, low, high)


@pytest.mark.parametrize(
    ("poll", "problem"),
    [
        ('min_interval = "5s"', "poll.min_interval: must be at least 10s (got 5 s)"),
        ('max_interval = "9s"\nmin_interval = "9s"', "poll.max_interval: must be at least 10s (got 9 s)"),
        ('min_interval = "2h"\nmax_interval = "1h"',
         "poll.min_interval: must not be longer than poll.max_interval (7200 s > 3600 s)"),
        ('min_interval = "7h"', "poll.min_interval: must not be longer than poll.max_interval (25200 s > 21600 s)"),
        ('interval = "sometimes"', "poll.interval: not a duration (got 'sometimes'); write \"30s\", \"5m\", \"1h\", "
                                   "\"2d\" or seconds (or \"auto\")"),
        ('max_interval = "auto"', "poll.max_interval: not a duration (got 'auto')"),
        ('interval = "0"', "poll.interval: must be longer than 0"),
        ('max_interval = "1000000d"', "poll.max_interval: too long: at most 36500d (100 years) (got '1000000d')"),
    ],
)
def test_poll_interval_bounds_are_checked(poll: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(f"[poll]\n{poll}\n")
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(("http", "url"), [
    ('listen = "127.0.0.1:9108"', "http://127.0.0.1:9108"),
    ('listen = "[::1]:9108"', "http://[::1]:9108"),
    ('listen = "0.0.0.0:80"\npublic_url = "https://watch.example.com/"', "https://watch.example.com"),
])
def test_the_web_links_base_is_public_url_else_the_listen_address(http: str, url: str) -> None:
    assert _parse(f"[http]\n{http}\n").web_url == url


def test_a_public_url_must_be_an_http_url() -> None:
    with pytest.raises(ConfigError, match=r"http.public_url: must be an http\(s\) URL"):
        _parse('[http]\nlisten = "127.0.0.1:9108"\npublic_url = "watch.example.com"\n')


@pytest.mark.parametrize(("text", "problem"), [
    ('[storage]\nurl = "mysql://x/y"', "storage.url: write sqlite:///data/watchbot.db or postgresql://user@host/db"),
    ('[storage]\nkeep = "2h"', "storage.keep: keep at least a day"),
    ('[storage]\nkeep = "forever"', "storage.keep: not a duration"),
])
def test_storage_problems(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(text)
    assert any(p.startswith(problem) for p in caught.value.problems), caught.value.problems


def test_storage_takes_postgresql_and_a_retention_and_hides_the_password() -> None:
    config = _parse('[storage]\nurl = "postgresql://bot:pw-1234@db.internal/watchbot"\nkeep = "30d"')
    assert config.storage_url.startswith("postgresql://") and config.storage_keep == 30 * 86400
    assert "pw-1234" in config.secrets()
    assert _parse("").storage_keep == 180 * 86400


def test_a_digest_for_one_address_may_name_it_alone() -> None:
    config = _parse('[email]\nhost = "smtp.example.com"\n[[email.digests]]\nto = "desk@example.com"\nwatchlists = "asml"\n')
    assert config.email is not None
    assert (config.email.digests[0].to, config.email.digests[0].watchlists) == (("desk@example.com",), ("asml",))


def test_a_postgresql_url_names_its_database() -> None:
    """Without one, PostgreSQL takes the user's name: `watchbot feeds` made 22 tables in the server's `postgres`."""
    with pytest.raises(ConfigError, match=r"storage.url: name the database, like postgresql://user@db.example/watchbot"):
        _parse('[storage]\nurl = "postgresql://watchbot:secret@db.example:5432"\n')
    for named in ("postgresql://u@db.example/watchbot", "postgresql://u@db.example?dbname=watchbot"):
        assert _parse(f'[storage]\nurl = "{named}"\n').storage_url == named


def test_an_email_digest_may_be_in_chinese_and_a_language_it_does_not_speak_is_refused() -> None:
    head = '[email]\nhost = "smtp.example.com"\n[[email.digests]]\nto = "desk@example.com"\n'
    config = _parse(head + 'language = "zh-hant"\n')
    assert config.email is not None and config.email.digests[0].language == "zh-hant"
    assert _parse(head).email.digests[0].language == "en"  # type: ignore[union-attr]
    with pytest.raises(ConfigError, match=r"email.digests\[0\].language: must be one of en, zh-hans, zh-hant \(got 'fr'\)"):
        _parse(head + 'language = "fr"\n')


def test_an_email_port_out_of_range_is_a_config_problem() -> None:
    """port = 70000 passed; every send then died in an OverflowError traceback, retried forever."""
    for port in (70000, -1):
        with pytest.raises(ConfigError, match=rf"email.port: must be a port number from 1 to 65535 \(got {port};"):
            _parse(f'[email]\nhost = "smtp.example.com"\nport = {port}\n')


NOT_ADDRESSES = 'email.digests[0].to: must be one or more email addresses, like to = ["desk@example.com"]'


@pytest.mark.parametrize(("line", "problem"), [
    ('to = "nobody"', NOT_ADDRESSES),
    ("to = []", NOT_ADDRESSES),
    ("to = 5", "email.digests[0].to: must be a list (got 5)"),
    ('at = "07:30"', 'email.digests[0].to: missing: who gets this digest, like to = ["desk@example.com"]'),
])
def test_a_digest_without_a_good_address_is_one_problem(line: str, problem: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _parse(f'[email]\nhost = "smtp.example.com"\n[[email.digests]]\n{line}\n')
    assert len(caught.value.problems) == 1 and caught.value.problems[0].startswith(problem), caught.value.problems


def test_an_unknown_key_names_every_key_it_is_as_close_to_and_only_those() -> None:
    with pytest.raises(ConfigError) as caught:
        _parse('[store]\nurl = "sqlite:///x.db"\n[poll]\nintervl = "5m"\n')
    assert caught.value.problems == [
        "store: unknown key (did you mean 'stories' or 'storage'?)",  # as close to both: a guess would mislead
        "poll.intervl: unknown key (did you mean 'interval'?)",  # not 'min_interval' too: it is further
    ]
