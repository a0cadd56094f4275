"""Each source's fetch state: validators for conditional GET, health, back-off, pause."""

from __future__ import annotations

import sqlite3

from scrapers.fetch import Validators
from scrapers.schedule import SourceState
from scrapers.storage.rows import iso, optional_date


class Sources:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def validators(self) -> dict[str, Validators]:
        rows = self._db.execute("SELECT name, etag, last_modified FROM sources")
        return {name: Validators(etag, modified) for name, etag, modified in rows}

    def state(self, name: str) -> SourceState | None:
        row = self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        return _state(row) if row else None

    def all(self) -> list[SourceState]:
        return [_state(r) for r in self._db.execute("SELECT * FROM sources ORDER BY name")]

    def save(self, state: SourceState, validators: Validators | None = None) -> None:
        """Write a source's state; new validators only come with a successful fetch."""
        self._db.execute(
            """INSERT INTO sources (name, url) VALUES (?, ?)
               ON CONFLICT (name) DO UPDATE SET url = excluded.url""",
            (state.name, state.url),
        )
        self._db.execute(
            """UPDATE sources SET current_url = ?, last_status = ?, last_attempt = ?,
                   last_success = ?, last_error = ?, failures = ?, items = ?, paused = ?,
                   next_attempt = ? WHERE name = ?""",
            (
                state.current_url,
                state.last_status,
                iso(state.last_attempt),
                iso(state.last_success),
                state.last_error,
                state.failures,
                state.items,
                state.paused,
                iso(state.next_attempt),
                state.name,
            ),
        )
        if validators is not None:
            self._db.execute(
                "UPDATE sources SET etag = ?, last_modified = ? WHERE name = ?",
                (validators.etag, validators.last_modified, state.name),
            )

    def reset(self, name: str, url: str) -> None:
        """Forget a source's redirects, pause and back-off (its URL changed, or on request)."""
        self._db.execute(
            "UPDATE sources SET url = ?, current_url = NULL, paused = NULL, next_attempt = NULL,"
            " failures = 0, etag = NULL, last_modified = NULL WHERE name = ?",
            (url, name),
        )


def _state(row: sqlite3.Row) -> SourceState:
    return SourceState(
        name=row["name"],
        url=row["url"],
        current_url=row["current_url"],
        last_status=row["last_status"],
        last_attempt=optional_date(row["last_attempt"]),
        last_success=optional_date(row["last_success"]),
        last_error=row["last_error"],
        failures=row["failures"],
        items=row["items"],
        paused=row["paused"],
        next_attempt=optional_date(row["next_attempt"]),
    )
