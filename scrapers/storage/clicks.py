"""Clicks on the digest's links, counted per issue, story and link (never per reader)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime


class Clicks:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def add(self, week: str, story: str, url: str, when: datetime | None = None) -> None:
        """One more click, committed at once."""
        at = (when or datetime.now(UTC)).isoformat()
        with self._db:
            self._db.execute(
                "INSERT INTO clicks (week, story, url, count, first_at, last_at)"
                " VALUES (?, ?, ?, 1, ?, ?) ON CONFLICT (week, story, url) DO UPDATE SET"
                " count = count + 1, last_at = excluded.last_at",
                (week, story, url, at, at),
            )

    def of(self, week: str) -> list[tuple[str, str, int]]:
        """(story, url, clicks) for an issue, most clicked first."""
        rows = self._db.execute(
            "SELECT story, url, count FROM clicks WHERE week = ? ORDER BY count DESC, story, url",
            (week,),
        )
        return [(story, url, int(count)) for story, url, count in rows]

    def totals(self) -> dict[str, int]:
        """Clicks per issue."""
        rows = self._db.execute("SELECT week, SUM(count) FROM clicks GROUP BY week")
        return {week: int(total) for week, total in rows}
