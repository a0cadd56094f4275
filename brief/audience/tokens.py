"""Signed links for subscribers: confirm, unsubscribe and preferences, one subscriber, one
action each.

A token is the subscriber's id and the action, signed with the newsletter's secret
(`BRIEF_SECRET`) by itsdangerous, the Pallets project's signing library (HMAC-SHA1 over a
key derived per action, URL-safe). It holds no email address; changing the id or the action
breaks the signature; a confirmation token expires after a week, an unsubscribe or a
preferences token never does (a link in an old email must keep working).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, Signer, URLSafeTimedSerializer

from brief.ground.errors import ConfigError

Action = Literal["confirm", "unsubscribe", "preferences"]
CONFIRM_FOR = 7 * 24 * 3600  # seconds a confirmation link stays valid
MIN_SECRET = 16


class TokenError(Exception):
    """A token that is malformed, tampered with, for another action, or expired."""


def read_secret(variable: str = "BRIEF_SECRET") -> str:
    """The signing secret from the environment; a ConfigError that says how to set it."""
    secret = os.environ.get(variable, "")
    if len(secret) < MIN_SECRET:
        raise ConfigError(
            f"set {variable} to a long random secret (at least {MIN_SECRET} characters),"
            " for example: export BRIEF_SECRET=\"$(python -c 'import secrets;"
            " print(secrets.token_urlsafe(32))')\"; keep it: changing it breaks every"
            " unsubscribe link already sent"
        )
    return secret


class Tokens:
    def __init__(self, secret: str):
        self._secret = secret

    @property
    def links(self) -> LinkSigner:
        """The signer of the digest's counted links, with the same secret."""
        return LinkSigner(self._secret)

    def _serializer(self, action: Action) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=f"brief-subscriber-{action}")

    def make(self, subscriber_id: int, action: Action, now: datetime | None = None) -> str:
        """A token for `action` on this subscriber. A confirmation token also holds when it
        was made, to the millisecond: a link made before the reader left the list must
        not bring them back, one made after they asked again must."""
        if action != "confirm":
            return str(self._serializer(action).dumps(subscriber_id))
        made = int((now or datetime.now(UTC)).timestamp() * 1000)
        return str(self._serializer(action).dumps([subscriber_id, made]))

    def read(self, token: str, action: Action) -> int:
        """The subscriber id a token names for `action`; TokenError if it is not valid."""
        return self.read_issued(token, action)[0]

    def read_issued(self, token: str, action: Action) -> tuple[int, datetime]:
        """The subscriber id a token names for `action`, and when the token was made (to
        the second, UTC); TokenError if it is not valid."""
        max_age = CONFIRM_FOR if action == "confirm" else None
        try:
            value, issued = self._serializer(action).loads(
                token, max_age=max_age, return_timestamp=True
            )
        except SignatureExpired as err:
            raise TokenError("this link has expired; subscribe again") from err
        except BadSignature as err:
            raise TokenError("this link is not valid (mistyped, cut short or changed)") from err
        if isinstance(value, list) and len(value) == 2 and _whole(value[1]):
            value, issued = value[0], datetime.fromtimestamp(value[1] / 1000, UTC)
        if not _whole(value) or value < 1:
            raise TokenError("this link is not valid")
        return value, issued.astimezone(UTC)


class LinkSigner:
    """Signatures for the digest's counted links (`r/WEEK/STORY?to=URL&sig=S`): the service
    redirects only to a URL our own digest named, for that issue and that story; so it is
    no open redirect, and nobody can count clicks on a story that was not in the issue."""

    def __init__(self, secret: str):
        self._signer = Signer(secret, salt="brief-click")

    def sign(self, week: str, story: str, url: str) -> str:
        return self._signer.get_signature(_link_value(week, story, url)).decode("ascii")

    def valid(self, week: str, story: str, url: str, signature: str) -> bool:
        try:
            return self._signer.verify_signature(
                _link_value(week, story, url), signature.encode("ascii")
            )
        except (UnicodeEncodeError, BadSignature):
            return False


def _link_value(week: str, story: str, url: str) -> bytes:
    return "\n".join((week, story, url)).encode("utf-8")


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
