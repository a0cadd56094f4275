"""The web desk's editors and their sessions. A password is kept only as its hash, a
session only as a digest of its key: a copy of the store signs nobody in."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from scrapers.storage.rows import optional_date


@dataclass(frozen=True)
class Editor:
    name: str
    password: str  # the hash
    email: str  # where a test digest goes ('' when none)
    added_at: datetime
    visited_at: datetime | None
    previous_visit: datetime | None


@dataclass(frozen=True)
class Session:
    editor: str
    csrf: str
    started_at: datetime
    seen_at: datetime
    notice: str
    previous_visit: datetime | None  # the editor's visit before this session


def session_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class Editors:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, name: str, password_hash: str, when: datetime, email: str = "") -> bool:
        """A new editor; False if the name is taken (nothing changes)."""
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO editors (name, password, email, added_at) VALUES (?, ?, ?, ?)",
            (name, password_hash, email, when.isoformat()),
        )
        return cursor.rowcount == 1

    def set_password(self, name: str, password_hash: str) -> None:
        """A new hash of the editor's password (a rehash with newer parameters)."""
        self._db.execute("UPDATE editors SET password = ? WHERE name = ?", (password_hash, name))

    def get(self, name: str) -> Editor | None:
        row = self._db.execute("SELECT * FROM editors WHERE name = ?", (name,)).fetchone()
        return None if row is None else _editor(row)

    def all(self) -> list[Editor]:
        rows = self._db.execute("SELECT * FROM editors ORDER BY name COLLATE NOCASE")
        return [_editor(row) for row in rows]

    def remove(self, name: str) -> bool:
        """Forget an editor and end their sessions; their decisions keep their name."""
        self._db.execute("DELETE FROM desk_sessions WHERE editor = ?", (name,))
        return self._db.execute("DELETE FROM editors WHERE name = ?", (name,)).rowcount == 1

    # -- sessions ------------------------------------------------------------------------

    def start_session(self, key: str, name: str, csrf: str, when: datetime) -> None:
        """A session for `name`, who visits now: the visit before becomes the mark of what
        is new to them."""
        self._db.execute(
            "UPDATE editors SET previous_visit = visited_at, visited_at = ? WHERE name = ?",
            (when.isoformat(), name),
        )
        self._db.execute(
            "INSERT INTO desk_sessions (key, editor, csrf, started_at, seen_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (session_digest(key), name, csrf, when.isoformat(), when.isoformat()),
        )

    def session(self, key: str) -> Session | None:
        row = self._db.execute(
            "SELECT s.*, e.previous_visit FROM desk_sessions s"
            " JOIN editors e ON e.name = s.editor WHERE s.key = ?",
            (session_digest(key),),
        ).fetchone()
        if row is None:
            return None
        return Session(
            row["editor"],
            row["csrf"],
            _when(row["started_at"]),
            _when(row["seen_at"]),
            row["notice"],
            optional_date(row["previous_visit"]),
        )

    def touch(self, key: str, when: datetime) -> None:
        self._db.execute(
            "UPDATE desk_sessions SET seen_at = ? WHERE key = ?",
            (when.isoformat(), session_digest(key)),
        )

    def tell(self, key: str, notice: str) -> None:
        """Say `notice` on the session's next page (after any not said yet)."""
        self._db.execute(
            "UPDATE desk_sessions SET notice = CASE WHEN notice = '' THEN ?"
            " ELSE notice || char(10) || ? END WHERE key = ?",
            (notice, notice, session_digest(key)),
        )

    def take_notice(self, key: str) -> str:
        """What `tell` left for this page (said once)."""
        digest = session_digest(key)
        row = self._db.execute(
            "SELECT notice FROM desk_sessions WHERE key = ?", (digest,)
        ).fetchone()
        if not row or not row[0]:
            return ""
        self._db.execute("UPDATE desk_sessions SET notice = '' WHERE key = ?", (digest,))
        return str(row[0])

    def end_session(self, key: str) -> bool:
        cursor = self._db.execute("DELETE FROM desk_sessions WHERE key = ?", (session_digest(key),))
        return cursor.rowcount == 1

    def log(self, editor: str, action: str, target: str, when: datetime) -> None:
        """Record what an editor did (a save, a publish, a send) to a file or a week."""
        self._db.execute(
            "INSERT INTO desk_log (editor, at, action, target) VALUES (?, ?, ?, ?)",
            (editor, when.isoformat(), action, target),
        )

    def logged(self, targets: list[str], limit: int = 10) -> list[Logged]:
        """The latest of what editors did to these targets, newest first."""
        if not targets:
            return []
        rows = self._db.execute(
            f"SELECT editor, at, action, target FROM desk_log WHERE target IN"
            f" ({', '.join('?' * len(targets))}) ORDER BY id DESC LIMIT ?",
            [*targets, limit],
        )
        return [Logged(e, _when(at), action, target) for e, at, action, target in rows]

    def end_sessions_before(self, seen_before: datetime) -> int:
        """Forget sessions idle since before `seen_before`."""
        cursor = self._db.execute(
            "DELETE FROM desk_sessions WHERE seen_at < ?", (seen_before.isoformat(),)
        )
        return cursor.rowcount


@dataclass(frozen=True)
class Logged:
    editor: str
    at: datetime
    action: str
    target: str


def _when(value: str) -> datetime:
    moment = optional_date(value)
    assert moment is not None
    return moment


def _editor(row: sqlite3.Row) -> Editor:
    return Editor(
        row["name"],
        row["password"],
        row["email"],
        _when(row["added_at"]),
        optional_date(row["visited_at"]),
        optional_date(row["previous_visit"]),
    )
