"""The one exception tree of watchbot. No IO.

    WatchbotError                  every error we raise on purpose; str() is one readable line
    ├── ConfigError                config.toml problems (all of them, by key path)
    ├── RuleError                  a watchlist file problem (file:line: message)
    ├── FeedError                  a feed could not be fetched or parsed
    │   ├── FetchError             the HTTP/file side: timeouts, status codes, limits
    │   └── ParseError             the body is not a feed we can read
    ├── StoreError                 the database cannot be opened, migrated or written
    └── DeliveryError              a send failed
        ├── TemporaryDeliveryError retry later (timeouts, 5xx, 429, 421/451)
        │   └── ChatMovedError     (bot.deliver.telegram) a group became a supergroup
        └── PermanentDeliveryError never retry (blocked chat, malformed message, 550)
            ├── SkippedDelivery    the recipient's choice (a paused chat); the admins are not told
            └── ChatGoneError      (bot.deliver.telegram) the bot was blocked or the chat is gone

Temporary failures carry ``retry_after`` (seconds) when the peer said how long to wait.
"""

from __future__ import annotations

from pathlib import Path


class WatchbotError(Exception):
    """Base of every error watchbot raises on purpose."""


class ConfigError(WatchbotError):
    """One or more configuration problems; ``problems`` holds one line each."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = list(problems)
        if len(self.problems) == 1:
            message = f"{source}: {self.problems[0]}"
        else:
            lines = "\n".join(f"  {p}" for p in self.problems)
            message = f"{source}: {len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class RuleError(WatchbotError):
    """A problem in one watchlist file, located as ``path:line``."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line else path
        super().__init__(f"{where}: {message}")

    def within(self, folder: Path) -> RuleError:
        """This error with its file named from the rule folder on ("rules/asml.yaml:3"), as a chat shows it: the
        server's own folders are no reader's business, and a long path crowds the message."""
        try:
            relative = Path(self.path).relative_to(folder)
        except ValueError:
            return self
        shown = Path(folder.name) / relative if relative.parts else Path(folder.name)
        return RuleError(str(shown), self.line, self.message)


class FeedError(WatchbotError):
    """A feed could not be fetched or read. ``temporary`` says whether a retry may help; ``silent``, that nothing on
    the network answered at all (no connection was made: timed out connecting, no route to the host, the name servers
    not answering), which is what every fetch of a machine offline gets. A refusal, an unknown host name, a TLS or an
    HTTP error is an answer: some machine out there said no."""

    temporary: bool = True
    silent: bool = False

    def __init__(self, url: str, reason: str, *, retry_after: float | None = None,
                 status: int | None = None) -> None:
        self.url = url
        self.reason = reason
        self.retry_after = retry_after
        self.status = status  # the HTTP status when the server answered one
        super().__init__(f"{url}: {reason}")


class FetchError(FeedError):
    """The transport side failed: timeout, HTTP status, size limit, redirects."""


class ParseError(FeedError):
    """The body is not a feed we can read (HTML page, JSON, empty, broken XML)."""


class StoreError(WatchbotError):
    """The store cannot be opened, migrated or written."""


class DeliveryError(WatchbotError):
    """A send to a chat or mail recipient failed."""

    temporary: bool = True
    notify: bool = True  # a dead letter of this kind is told to the admins

    def __init__(self, target: str, reason: str, *, retry_after: float | None = None) -> None:
        self.target = target
        self.reason = reason
        self.retry_after = retry_after
        super().__init__(f"{target}: {reason}")


class TemporaryDeliveryError(DeliveryError):
    """Retry later: timeouts, 5xx, flood control, SMTP 4xx."""

    temporary = True


class PermanentDeliveryError(DeliveryError):
    """Never retry: blocked chat, malformed message, SMTP 5xx for a recipient."""

    temporary = False


class HeldDelivery(TemporaryDeliveryError):
    """Not yet, by the recipient's own choice (quiet hours): sent when it ends, and no failure to warn of."""


class SkippedDelivery(PermanentDeliveryError):
    """Not sent by the recipient's own choice (a paused chat): a dead letter the admins need not hear of."""

    notify = False
