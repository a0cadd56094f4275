"""Welcome emails waiting to be sent: one per reader who just confirmed, kept until the
mail server has taken it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

from scrapers.storage.rows import date


@dataclass(frozen=True)
class Welcome:
    subscriber_id: int
    queued_at: datetime
    attempts: int  # sends the mail server did not take


class Welcomes:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, subscriber_id: int, when: datetime) -> None:
        """Queue a welcome (in the caller's transaction: the one that confirms)."""
        self._db.execute(
            "INSERT OR IGNORE INTO welcomes (subscriber_id, queued_at, next_attempt)"
            " VALUES (?, ?, ?)",
            (subscriber_id, when.isoformat(), when.isoformat()),
        )

    def due(self, now: datetime | None, limit: int = 100) -> list[Welcome]:
        """The welcomes to send `now` (every one, waiting or not, when None), oldest first."""
        rows = self._db.execute(
            "SELECT * FROM welcomes WHERE ? IS NULL OR next_attempt <= ?"
            " ORDER BY next_attempt, subscriber_id LIMIT ?",
            (now and now.isoformat(), now and now.isoformat(), limit),
        )
        return [Welcome(r["subscriber_id"], date(r["queued_at"]), r["attempts"]) for r in rows]

    def next_due(self) -> datetime | None:
        row = self._db.execute("SELECT MIN(next_attempt) FROM welcomes").fetchone()
        return date(row[0]) if row and row[0] else None

    def done(self, subscriber_id: int) -> None:
        self._db.execute("DELETE FROM welcomes WHERE subscriber_id = ?", (subscriber_id,))

    def later(self, subscriber_id: int, when: datetime, error: str) -> None:
        """The mail server did not take the welcome: try again at `when`."""
        self._db.execute(
            "UPDATE welcomes SET attempts = attempts + 1, next_attempt = ?, last_error = ?"
            " WHERE subscriber_id = ?",
            (when.isoformat(), error, subscriber_id),
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM welcomes").fetchone()[0])
