"""Sign-ups the service has answered but not yet confirmed by email: a queue that outlives
a crash of the service and an outage of the mail server."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from scrapers.records import Signup
from scrapers.storage.rows import date
from scrapers.storage.subscribers import mailbox_key


class Signups:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, email: str, name: str | None, when: datetime) -> None:
        """Queue a sign-up, committed at once: the answer may leave after this."""
        with self._db:
            self._db.execute(
                "INSERT INTO signups (email, key, name, received_at, next_attempt)"
                " VALUES (?, ?, ?, ?, ?)",
                (email, mailbox_key(email), name, when.isoformat(), when.isoformat()),
            )

    def due(self, now: datetime | None, limit: int = 100) -> list[Signup]:
        """The sign-ups to handle `now` (every one, waiting or not, when None), oldest first."""
        rows = self._db.execute(
            "SELECT * FROM signups WHERE ? IS NULL OR next_attempt <= ?"
            " ORDER BY next_attempt, id LIMIT ?",
            (now and now.isoformat(), now and now.isoformat(), limit),
        )
        return [
            Signup(r["id"], r["email"], r["name"], date(r["received_at"]), r["attempts"])
            for r in rows
        ]

    def next_due(self) -> datetime | None:
        row = self._db.execute("SELECT MIN(next_attempt) FROM signups").fetchone()
        return date(row[0]) if row and row[0] else None

    def done(self, signup: Signup) -> None:
        """The sign-up is handled: it, and every other sign-up queued for the same mailbox
        (one confirmation answers them all)."""
        self._db.execute("DELETE FROM signups WHERE key = ?", (mailbox_key(signup.email),))

    def later(self, signup: Signup, when: datetime, error: str) -> None:
        """The mail server did not take the confirmation: try again at `when`."""
        self._db.execute(
            "UPDATE signups SET attempts = attempts + 1, next_attempt = ?, last_error = ?"
            " WHERE id = ?",
            (when.isoformat(), error, signup.id),
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM signups").fetchone()[0])
