"""Web sign-in: one-time login links (from /web in Telegram) and the sessions they open. Use-case: store.

    /web (an admin, private chat) -> link(user) -> https://.../login/TOKEN  (10 minutes, one use)
    `watchbot web login` (a shell on the server) -> link(SHELL) -> the same, where there is no bot to ask
    GET /login/TOKEN -> login(TOKEN) -> a session token (cookie) + its CSRF token

Tokens are 256-bit random strings; the store keeps only their SHA-256 digests, so neither a log of
the database nor a copy of it opens a session. Sessions live in the store: they survive restarts and
every process on one store knows them.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.protocols import Store, WebSession

LINK_VALID = timedelta(minutes=10)
SESSION_VALID = timedelta(hours=12)


SHELL = 0  # the user of a link from `watchbot web login`: whoever has a shell on the server (no Telegram user is 0)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Opened:
    token: str  # the session cookie's value
    session: WebSession


class WebAuth:
    """Login links for admins, and sessions."""

    def __init__(self, store: Store, *, base_url: str, admins: Sequence[int], clock: Callable[[], datetime]) -> None:
        self.store = store
        self.base_url = base_url.rstrip("/")
        self.admins = frozenset(admins)
        self.clock = clock

    def may_log_in(self, user_id: int) -> bool:
        return user_id in self.admins or user_id == SHELL

    async def link(self, user_id: int) -> str:
        """A one-time login link for an admin (PermissionError for anyone else)."""
        if not self.may_log_in(user_id):
            raise PermissionError(f"user {user_id} is not one of telegram.admins")
        token = secrets.token_urlsafe(32)
        await self.store.run(self.store.sessions.add_login, digest(token), user_id,
                             expires_at=self.clock() + LINK_VALID)
        return f"{self.base_url}/login/{token}"

    async def login(self, token: str) -> Opened | None:
        """Use a login link: a new session, or None when the link is unknown, used or expired."""
        now = self.clock()

        def use() -> Opened | None:
            with self.store.transaction():
                user = self.store.sessions.use_login(digest(token), now=now)
                if user is None or not self.may_log_in(user):  # an admin removed since the link was made
                    return None
                session_token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
                expires = now + SESSION_VALID
                self.store.sessions.open(digest(session_token), user, csrf, now=now, expires_at=expires)
                self.store.sessions.purge(now)
                return Opened(session_token, WebSession(user, csrf, expires))

        return await self.store.run(use)

    async def session(self, token: str | None) -> WebSession | None:
        if not token:
            return None
        found = await self.store.run(self.store.sessions.get, digest(token), now=self.clock())
        if found is None or not self.may_log_in(found.user_id):  # (a shell's link signed in, then out at once)
            return None
        return found

    async def logout(self, token: str) -> None:
        await self.store.run(self.store.sessions.close, digest(token))
