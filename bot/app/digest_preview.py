"""Digest previews: the email each recipient would get now, without sending or settling anything.
Use-case: store reads. The web's digest page shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from bot.app.digests import FIRST_WINDOW, DigestService, EmailRecipient
from bot.digest.build import build_digest
from bot.digest.email import brand, render


@dataclass(frozen=True, slots=True)
class DigestPreview:
    recipient: EmailRecipient
    subject: str
    stories: int
    text: str
    html: str


class DigestPreviews:
    def __init__(self, digests: DigestService | None, *, names: Callable[[], Mapping[str, str]],
                 clock: Callable[[], datetime]) -> None:
        self.digests = digests
        self.names = names
        self.clock = clock

    def recipients(self) -> list[EmailRecipient]:
        return self.digests.email_recipients() if self.digests else []

    async def preview(self, key: str) -> DigestPreview | None:
        """The digest ``key`` would get now (an empty one when nothing is pending); None for no such recipient."""
        found = [r for r in self.recipients() if r.key == key]
        if not found or self.digests is None:
            return None
        r, now, store, digests = found[0], self.clock(), self.digests.store, self.digests
        names = self.names()

        def build() -> DigestPreview:
            state = store.digests.recipient(r.key)
            since = state.since if state and state.since else now - FIRST_WINDOW
            pending = digests.pending_email(r, since)  # (the shared watchlists only, as the email)
            digest = build_digest(r.key, pending, watchlists=r.watchlists, zone=r.timezone, now=now,
                                  since=(state.last_sent_at if state else None) or since, names=names,
                                  send_empty=True, lang=r.language)
            assert digest is not None  # send_empty
            text, html = render(digest, recipient=r.address, watchlists=[names.get(w, w) for w in r.watchlists],
                                lang=r.language)
            return DigestPreview(r, digest.subject(brand(r.language), r.language), digest.total, text, html)

        return await store.run(build)
