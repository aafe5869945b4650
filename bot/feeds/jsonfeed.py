"""Read a JSON Feed (https://jsonfeed.org/version/1.1) into raw entries. Pure: bytes in, a ParsedFeed out.

JSON carries types, and feeds get them wrong: ``"items": 5``, ``"url": 123``, a list where a
string belongs. A field of the wrong type in one item skips that item, with a reason saying
which field and what it held; the feed's other items go on. A wrong type in the feed's own
fields (title, home page) is dropped, since the items do not depend on it. ``author`` is the
one item field read leniently: it only fills a by-line, and 1.0 and 1.1 disagree on its shape.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.errors import ParseError
from bot.feeds.model import Entry, ParsedFeed, describe_error, skip_reason

# Item fields read as text, in the order the item's link, id and body are looked for.
_TEXT_FIELDS = ("url", "external_url", "title", "content_html", "content_text", "summary",
                "date_published", "date_modified")


class _WrongType(Exception):
    """An item field holds a value of the wrong JSON type."""


def parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """The entries of a JSON Feed body. Raises ParseError when it is not a JSON Feed."""
    try:
        data = json.loads(body, parse_int=_number)
    except (ValueError, UnicodeDecodeError, RecursionError) as e:
        raise ParseError(url, f"not a feed: broken JSON ({describe_error(e)})") from e
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith("https://jsonfeed.org/"):
        raise ParseError(url, "not a feed: got JSON that is not a JSON Feed")
    items = data.get("items")
    entries: list[Entry] = []
    skipped: list[str] = []
    if items is None:
        items = []
    elif not isinstance(items, list):
        skipped.append(f"'items' is {_kind(items)}, not a list: no item could be read")
        items = []
    for position, item in enumerate(items, 1):
        if not isinstance(item, dict):
            skipped.append(skip_reason(position, "", f"is {_kind(item)}, not an object"))
            continue
        try:
            entries.append(_entry(item))
        except _WrongType as e:
            skipped.append(skip_reason(position, _title(item), str(e)))
    return ParsedFeed(
        title=_optional_text(data.get("title")) or "",
        link=_optional_text(data.get("home_page_url")),
        language=_optional_text(data.get("language")),
        entries=tuple(entries),
        skipped=tuple(skipped),
    )


def _entry(item: dict[str, object]) -> Entry:
    text = {name: _field(item, name) for name in _TEXT_FIELDS}
    guid = item.get("id")
    if guid is not None and (isinstance(guid, bool) or not isinstance(guid, str | int)):
        raise _WrongType(f"'id' is {_kind(guid)}, not a string")
    return Entry(
        title=text["title"] or "",
        link=text["url"] or text["external_url"] or None,
        guid=str(guid) if guid is not None and str(guid).strip() else None,  # numbers are common
        content_html=text["content_html"] or text["summary"] or text["content_text"] or "",
        published=_iso(text["date_published"] or text["date_modified"]),
        author=_author(item),
    )


def _field(item: dict[str, object], name: str) -> str | None:
    value = item.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _WrongType(f"'{name}' is {_kind(value)}, not a string")


def _author(item: dict[str, object]) -> str | None:
    author = item.get("author")
    authors = item.get("authors")
    if author is None and isinstance(authors, list) and authors:
        author = authors[0]
    name = author.get("name") if isinstance(author, dict) else author
    return name.strip() or None if isinstance(name, str) else None


def _title(item: dict[str, object]) -> str:
    title = item.get("title")
    return title if isinstance(title, str) else ""


def _optional_text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _kind(value: object) -> str:
    """The JSON name of a value's type, for messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return f"a number ({value})"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return "a string"


def _iso(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _number(digits: str) -> int | str:
    """A JSON integer; one too long for Python to read (an id of 5,000 digits had failed the whole feed, naming
    sys.set_int_max_str_digits) stays its digits, which is all an id needs."""
    return int(digits) if len(digits) <= 4000 else digits
