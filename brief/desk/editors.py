"""The web desk's editors: who may sign in, with which password.

Passwords are hashed with argon2id (argon2-cffi, the reference implementation's binding,
with its recommended parameters); a hash made with older parameters is replaced at the
next sign-in. Signing in as a name nobody has costs the same time as a wrong password, so
the answer's timing does not tell which names exist.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from brief.ground.addresses import check_address
from brief.ground.errors import BriefError, ConfigError
from scrapers.storage import Store
from scrapers.storage.editors import Editor

MAX_NAME = 40
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # hashing is slow by design: no megabyte passwords

_hasher = PasswordHasher()
# Verified when the name is unknown, so both answers take the same time.
_NOBODY = _hasher.hash("nobody signs in with this")


class EditorError(BriefError):
    """A name or a password the desk cannot take, said so the editor can fix it."""


def editor_name(name: str) -> str:
    """A name as decisions will carry it: letters, digits, spaces, dots, hyphens,
    apostrophes; 1 to MAX_NAME characters; EditorError otherwise."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    if not name:
        raise EditorError("an editor needs a name")
    if len(name) > MAX_NAME:
        raise EditorError(f"an editor's name has at most {MAX_NAME} characters")
    allowed = {" ", ".", "-", "'", "_"}
    if not all(ch.isalnum() or ch in allowed for ch in name):
        raise EditorError(
            f"{name!r}: a name has letters, digits, spaces and . - ' _ only (it is shown"
            " beside every decision)"
        )
    return name


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"a password has at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"a password has at most {MAX_PASSWORD} characters"
    if not password.strip():
        return "a password of spaces only is no password"
    return None


def add_editor(store: Store, name: str, password: str, now: datetime, email: str = "") -> Editor:
    name = editor_name(name)
    if problem := password_problem(password):
        raise EditorError(problem)
    if email:
        try:
            email = check_address(email).normalized
        except ValueError as err:
            raise EditorError(str(err)) from None
    with store.transaction():
        if not store.editors.add(name, _hasher.hash(password), now, email):
            raise ConfigError(
                f"there is already an editor called {name!r}; `brief editors remove` them"
                " first to give them a new password"
            )
    editor = store.editors.get(name)
    assert editor is not None
    return editor


def remove_editor(store: Store, name: str) -> None:
    with store.transaction():
        if not store.editors.remove(" ".join(name.split())):
            known = ", ".join(e.name for e in store.editors.all()) or "none yet"
            raise ConfigError(f"no editor called {name!r} (editors: {known})")


def verify(store: Store, name: str, password: str) -> Editor | None:
    """The editor if `password` is theirs; None for a wrong password or an unknown name
    (in the same time)."""
    try:
        name = editor_name(name)
    except EditorError:
        name = ""
    editor = store.editors.get(name) if name else None
    if len(password) > MAX_PASSWORD:
        return None
    try:
        _hasher.verify(editor.password if editor else _NOBODY, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if editor is None:
        return None
    if _hasher.check_needs_rehash(editor.password):
        with store.transaction():
            store.editors.set_password(editor.name, _hasher.hash(password))
    return editor
