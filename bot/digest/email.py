"""An email digest as a multipart message: text and HTML bodies from a Digest. Pure: values in, a message out.

Composing uses the standard library's email package (policy.default: RFC 2047 encoded-words for
Chinese subjects and names, no header may hold CR or LF) and Jinja2 templates with autoescaping
for the HTML part. Every header is built from our own values; feed text only reaches the bodies.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from functools import cache

import jinja2

from bot.digest.build import Digest, one_line
from bot.i18n import DEFAULT, sentences, t

BRAND = "Watchbot digest"  # (English: bot.i18n's email.brand in each language)
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
    env.filters["wrap"] = wrap
    return env


_PIECES = re.compile(r"[\u2e80-\U0010ffff][，。、；：！？）」』]*|[^\s\u2e80-\U0010ffff]+|\s+")


def wrap(text: str, width: int = 74) -> str:
    """``text`` in lines of at most ``width`` columns (a Chinese character is two): between words, or between any two
    Chinese characters (never before their closing punctuation). Jinja's wordwrap breaks at spaces only, and a
    Chinese lede came out as one line of 140 columns."""
    lines: list[str] = []
    line, used = "", 0
    for piece in _PIECES.findall(text):
        if piece.isspace():
            if line:
                line, used = line + " ", used + 1
            continue
        size = display_width(piece)
        if line and used + size > width:
            lines.append(line.rstrip())
            line, used = "", 0
        line, used = line + piece, used + size
    if line.strip():
        lines.append(line.rstrip())
    return "\n".join(lines)


def brand(lang: str = DEFAULT) -> str:
    return t(lang, "mail.brand")


def long_date(day: datetime, lang: str = DEFAULT) -> str:
    """'Sunday, 06 December 2026'; '2026年12月6日 星期日' (the same in both Chinese scripts)."""
    if lang.startswith("zh"):
        return f"{day.year}年{day.month}月{day.day}日 星期{'一二三四五六日'[day.weekday()]}"
    return day.strftime("%A, %d %B %Y")


def render(digest: Digest, *, recipient: str, watchlists: Sequence[str] = (), detail: int = DETAIL,
           lang: str = DEFAULT, reply_to_stop: bool = False) -> tuple[str, str]:
    """(text, html) bodies of a digest; each watchlist's first ``detail`` stories in full, the rest as titles. What
    the email says around the stories is in ``lang`` (``bot.i18n``); feed text is never translated."""
    since = f"{digest.since:%Y-%m-%d %H:%M}" if digest.since else None
    if digest.empty:
        headline = t(lang, "mail.none_since", since=since) if since else t(lang, "mail.none")
    else:
        headline = (t(lang, "mail.count_since", count=digest.total, since=since) if since
                    else t(lang, "mail.count", count=digest.total))
    sep = t(lang, "separator")
    footer = (t(lang, "mail.footer_for", recipient=recipient, watchlists=sep.join(watchlists)) if watchlists
              else t(lang, "mail.footer", recipient=recipient))
    if reply_to_stop:  # (the footer had said nothing of how to stop it)
        footer = sentences(lang, footer, t(lang, "mail.stop"))
    values = {"digest": digest, "brand": brand(lang), "subject": digest.subject(brand(lang), lang),
              "recipient": recipient, "watchlists": list(watchlists), "detail": detail, "lang": lang,
              "date": long_date(digest.created, lang), "headline": headline, "footer": footer, "sep": sep,
              "T": lambda key, **values: t(lang, key, **values)}
    env = _templates()
    text = env.get_template("email.txt").render(values)
    html = env.get_template("email.html").render(values)
    return _tidy_text(text), html


def compose(digest: Digest, *, sender: str, to: str, now: datetime, watchlists: Sequence[str] = (),
            lang: str = DEFAULT) -> EmailMessage:
    """The digest as a multipart/alternative message (text first, HTML preferred) for one address."""
    mailbox = parseaddr(sender)[1]
    # RFC 2369: mail clients offer "unsubscribe"; the request reaches the sender's mailbox, read by whoever runs this
    # watchbot (who takes the address out of [[email.digests]]). Not offered from an address that reaches nobody
    # (email.from left at its default, @localhost): the request would be lost.
    reachable = bool(mailbox) and not _domain(sender).lower().startswith("localhost")
    text, html = render(digest, recipient=to, watchlists=watchlists, lang=lang, reply_to_stop=reachable)
    msg = EmailMessage()
    msg["Subject"] = digest.subject(brand(lang), lang)
    msg["From"] = _address(sender)
    msg["To"] = _address(to)
    msg["Date"] = format_datetime(now.astimezone(digest.created.tzinfo))
    msg["Message-ID"] = make_msgid("digest", domain=_domain(sender))
    msg["Auto-Submitted"] = "auto-generated"
    if reachable:
        msg["List-Unsubscribe"] = f"<mailto:{mailbox}?subject=unsubscribe>"
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
