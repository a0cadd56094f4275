"""Who is signed in to the desk, and whether a form really comes from the desk's own page.

A session is a random key in a signed, HttpOnly, SameSite=Strict cookie (Secure over
https); the store keeps only the key's SHA-256, with the editor's name and the session's
CSRF token. Signing out deletes that row, so the same cookie, replayed, is nobody. A
session ends after IDLE without a request, and after LONGEST in any case.

The sign-in form has no session yet: its CSRF token is an HMAC of a random value in a
short-lived cookie of its own and of the time it was made (double submit, signed, good for
an hour), and a form another site posts is refused (Sec-Fetch-Site, Origin), so another
site cannot sign a browser in under the attacker's name.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, Signer

from scrapers.storage import Store

COOKIE = "brief_desk"
SIGN_IN_COOKIE = "brief_desk_sign_in"
IDLE = timedelta(hours=12)
LONGEST = timedelta(days=7)
SIGN_IN_FOR = 3600  # seconds a sign-in form stays good


@dataclass(frozen=True)
class Visit:
    """A signed-in request: the editor, their session, what is new to them."""

    editor: str
    key: str  # the session key (from the cookie)
    csrf: str
    previous_visit: datetime | None
    notice: str = ""


class Sessions:
    def __init__(self, secret: str):
        self._signer = Signer(secret, salt="brief-desk-session")
        self._sign_in = hashlib.sha256(f"brief-desk-sign-in\0{secret}".encode()).digest()

    # -- the session cookie ----------------------------------------------------------------

    def start(self, store: Store, editor: str, now: datetime) -> str:
        """A new session for `editor`; the cookie's value."""
        key = secrets.token_urlsafe(32)
        with store.transaction():
            store.editors.end_sessions_before(now - IDLE)
            store.editors.start_session(key, editor, secrets.token_urlsafe(32), now)
        return self._signer.sign(key).decode("ascii")

    def visit(
        self, store: Store, cookie: str | None, now: datetime, page: bool = False
    ) -> Visit | None:
        """The signed-in visit a cookie stands for, or None (no cookie, a forged or
        tampered one, a session signed out or expired). `page`: a page the editor reads,
        which says (and so uses up) the notices left for them."""
        key = self.key(cookie)
        if key is None:
            return None
        session = store.editors.session(key)
        if session is None:
            return None
        if now - session.seen_at > IDLE or now - session.started_at > LONGEST:
            with store.transaction():
                store.editors.end_session(key)
            return None
        with store.transaction():
            if now - session.seen_at > timedelta(minutes=1):  # not a write per request
                store.editors.touch(key, now)
            notice = store.editors.take_notice(key) if page and session.notice else ""
        return Visit(session.editor, key, session.csrf, session.previous_visit, notice)

    def key(self, cookie: str | None) -> str | None:
        if not cookie:
            return None
        try:
            return self._signer.unsign(cookie.encode("ascii", "replace")).decode("ascii")
        except (BadSignature, UnicodeDecodeError):
            return None

    def end(self, store: Store, visit: Visit) -> None:
        with store.transaction():
            store.editors.end_session(visit.key)

    # -- the sign-in form ------------------------------------------------------------------

    @staticmethod
    def sign_in_nonce() -> str:
        return secrets.token_urlsafe(24)

    def sign_in_token(self, nonce: str, made: int | None = None) -> str:
        """The form's token: when it was made, and an HMAC of that and the cookie's nonce."""
        made = int(time.time()) if made is None else made
        mac = hmac.new(self._sign_in, f"{made}:{nonce}".encode(), hashlib.sha256).hexdigest()
        return f"{made}.{mac}"

    def sign_in_allowed(self, nonce: str | None, token: str) -> bool:
        """The token of this browser's form (its cookie's nonce), made in the last hour."""
        made, _, _ = token.partition(".")
        if not nonce or not made.isdigit() or not 0 <= time.time() - int(made) <= SIGN_IN_FOR:
            return False
        return hmac.compare_digest(self.sign_in_token(nonce, int(made)), token)


def same_token(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected.encode(), (given or "").encode())
