"""An email digest as a multipart message: text and HTML bodies from a Digest. Pure: values in, a message out.

Composing uses the standard library's email package (policy.default: RFC 2047 encoded-words for
Chinese subjects and names, no header may hold CR or LF) and Jinja2 templates with autoescaping
for the HTML part. Every header is built from our own values; feed text only reaches the bodies.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache

import jinja2

from bot.digest.build import Digest, one_line

BRAND = "Watchbot digest"
DETAIL = 20  # stories per watchlist shown with lede and matched terms; the rest as titles only


def display_width(text: str) -> int:
    """Columns a monospace terminal or mail client gives ``text`` (CJK characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


@cache
def _templates() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("bot.digest", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=True),
        trim_blocks=False, lstrip_blocks=False, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
    )
    env.filters["width"] = display_width
    return env


def render(digest: Digest, *, recipient: str, watchlists: Sequence[str] = (), detail: int = DETAIL) -> tuple[str, str]:
    """(text, html) bodies of a digest; each watchlist's first ``detail`` stories in full, the rest as titles."""
    values = {"digest": digest, "brand": BRAND, "subject": digest.subject(BRAND), "recipient": recipient,
              "watchlists": list(watchlists), "detail": detail}
    env = _templates()
    text = env.get_template("digest.txt").render(values)
    html = env.get_template("digest.html").render(values)
    return _tidy_text(text), html


def compose(digest: Digest, *, sender: str, to: str, now: datetime, watchlists: Sequence[str] = ()) -> EmailMessage:
    """The digest as a multipart/alternative message (text first, HTML preferred) for one address."""
    text, html = render(digest, recipient=to, watchlists=watchlists)
    msg = EmailMessage()
    msg["Subject"] = digest.subject(BRAND)
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    msg["Date"] = format_datetime(now.astimezone(digest.created.tzinfo))
    msg["Message-ID"] = make_msgid("digest", domain=_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"
    # RFC 2369: mail clients offer "unsubscribe"; the reply reaches whoever runs this watchbot.
    msg["List-Unsubscribe"] = f"<mailto:{parseaddr(sender)[1] or 'postmaster@localhost'}?subject=unsubscribe>"
    msg["List-Id"] = f"Watchbot digest <digest.{_domain(sender)}>"
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    return msg


def _address(text: str) -> Address:
    """A header address from "Name <addr>" or "addr"; the display name may be Chinese."""
    name, addr = parseaddr(one_line(text))
    if "@" not in addr:
        raise ValueError(f"not an email address: {text!r}")
    user, _, domain = addr.rpartition("@")
    return Address(display_name=name, username=user, domain=domain)


def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def _tidy_text(text: str) -> str:
    """No runs of blank lines in the text part."""
    lines: list[str] = []
    for line in text.splitlines():
        line = line.rstrip()
        if line or (lines and lines[-1]):
            lines.append(line)
    return "\n".join(lines).strip() + "\n"
