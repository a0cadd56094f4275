"""Signed links for subscribers: confirm and unsubscribe, one subscriber, one action each.

A token is the subscriber's id and the action, signed with the newsletter's secret
(`BRIEF_SECRET`) by itsdangerous, the Pallets project's signing library (HMAC-SHA1 over a
key derived per action, URL-safe). It holds no email address; changing the id or the action
breaks the signature; a confirmation token expires after a week, an unsubscribe token never
does (a List-Unsubscribe link in an old email must keep working).
"""

from __future__ import annotations

import os
from typing import Literal

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from brief.errors import ConfigError

Action = Literal["confirm", "unsubscribe"]
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

    def _serializer(self, action: Action) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self._secret, salt=f"brief-subscriber-{action}")

    def make(self, subscriber_id: int, action: Action) -> str:
        return str(self._serializer(action).dumps(subscriber_id))

    def read(self, token: str, action: Action) -> int:
        """The subscriber id a token names for `action`; TokenError if it is not valid."""
        max_age = CONFIRM_FOR if action == "confirm" else None
        try:
            value = self._serializer(action).loads(token, max_age=max_age)
        except SignatureExpired as err:
            raise TokenError("this link has expired; subscribe again") from err
        except BadSignature as err:
            raise TokenError("this link is not valid (mistyped, cut short or changed)") from err
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise TokenError("this link is not valid")
        return value
