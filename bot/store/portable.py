"""The store's tables in portable form: what `watchbot store copy` moves and a dump file holds. No IO.

A row is a dict of plain JSON values, the same from either database: times are ISO 8601 strings
in UTC ("2024-03-27T15:45:02+00:00"), JSON columns are lists or dicts, flags are booleans, and
ids are kept (digest delivery records point at match ids). Tables are listed parents first, so
loading them in this order never breaks a reference.

A dump written before a column existed still loads: the column takes its default (``defaults``), or
the value of another column of the row (``same_as``: a round-1 item is a story of its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DUMP_FORMAT = "watchbot-dump"
DUMP_VERSION = 1

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    times: frozenset[str] = frozenset()
    json: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    serial: str | None = None  # the id column numbered by the database
    defaults: tuple[tuple[str, Any], ...] = ()  # (column, value) for a row that lacks the column
    same_as: tuple[tuple[str, str], ...] = ()  # (column, other column) likewise

    def value(self, row: Row, column: str) -> Any:
        """The row's value of ``column``, or what it stands for when an older dump lacks it."""
        if column in row:
            return row[column]
        for c, other in self.same_as:
            if c == column:
                return row.get(other)
        return dict(self.defaults).get(column)


def _t(name: str, columns: str, *, times: str = "", json: str = "", flags: str = "", serial: str | None = None,
       defaults: dict[str, Any] | None = None, same_as: dict[str, str] | None = None) -> Table:
    return Table(name, tuple(columns.split()), frozenset(times.split()), frozenset(json.split()),
                 frozenset(flags.split()), serial, tuple((defaults or {}).items()), tuple((same_as or {}).items()))


TABLES: tuple[Table, ...] = (
    _t("feeds", "url name title etag last_modified last_status last_polled_at last_success_at last_error "
       "last_error_at consecutive_failures next_poll_at items_total failure_notified "
       "last_items ttl_seconds update_seconds interval_seconds interval_reason origin paused added_at "
       "last_warning",
       times="last_polled_at last_success_at last_error_at next_poll_at added_at", flags="failure_notified paused",
       defaults={"origin": "config", "paused": False, "last_warning": None}),
    _t("items", "identity url link guid title lede language published_at first_seen_at feed_url story placed",
       times="published_at first_seen_at", same_as={"story": "identity"}, defaults={"placed": None}),
    _t("sightings", "identity feed_url feed_name link seen_at", times="seen_at"),
    _t("matches", "id identity watchlist score hits matched_at backlog", times="matched_at", json="hits",
       flags="backlog", serial="id", defaults={"backlog": False}),
    _t("outbox", "id identity channel target watchlists state attempts next_attempt_at last_error created_at "
       "sent_at notified story message_id", times="next_attempt_at created_at sent_at", json="watchlists",
       flags="notified", serial="id", same_as={"story": "identity"}),
    _t("edits", "outbox_id state attempts next_attempt_at last_error created_at",
       times="next_attempt_at created_at"),
    _t("chats", "chat_id type title tz mode digest_at quiet_start quiet_end paused active inactive_reason "
       "digest_since migrated_to created_at updated_at language heard_language",
       times="digest_since created_at updated_at", flags="paused active", defaults={"heard_language": None}),
    _t("subscriptions", "chat_id watchlist mode since", times="since"),
    _t("chat_phrases", "chat_id phrase key added_at", times="added_at"),
    _t("chat_mutes", "chat_id kind value key added_at", times="added_at"),
    _t("held_alerts", "chat_id identity watchlist held_at", times="held_at"),
    _t("chat_caps", "chat_id since told_at", times="since told_at"),
    _t("admin_notices", "key sent_at text", times="sent_at"),
    _t("digest_recipients", "key channel target watchlists since last_sent_at last_attempt_at last_error "
       "last_error_at failures next_attempt_at created_at",
       times="since last_sent_at last_attempt_at last_error_at next_attempt_at created_at", json="watchlists"),
    _t("digest_delivered", "key match_id"),
    _t("digest_dead", "id key error stories match_ids at notified", times="at", json="match_ids",
       flags="notified", serial="id"),
    _t("digest_runs", "id key at stories outcome error message_id", times="at", serial="id"),
    _t("web_logins", "token_hash user_id expires_at used_at", times="expires_at used_at"),
    _t("web_sessions", "session_hash user_id csrf created_at expires_at", times="created_at expires_at"),
    _t("rule_texts", "name text updated_at", times="updated_at"),
    _t("judgments", "chat_id story user_id verdict identity watchlists hits judged_at", times="judged_at",
       json="watchlists hits"),
)

BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    try:
        return BY_NAME[name]
    except KeyError:
        raise ValueError(f"not a table of the store: {name!r} (known: {', '.join(BY_NAME)})") from None

