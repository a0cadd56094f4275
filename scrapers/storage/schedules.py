"""Scheduled sends: an issue, the moment it is due, and what became of it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from scrapers.storage.rows import date

ScheduleState = Literal["scheduled", "sending", "sent", "cancelled"]


@dataclass(frozen=True)
class Schedule:
    week: str
    at: datetime  # UTC
    state: ScheduleState
    made_at: datetime
    made_by: str
    started_at: datetime | None
    finished_at: datetime | None
    outcome: str

    def as_json(self) -> dict[str, str | None]:
        return {
            "week": self.week,
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "state": self.state,
            "made_by": self.made_by,
            "finished_at": self.finished_at.isoformat().replace("+00:00", "Z")
            if self.finished_at
            else None,
            "outcome": self.outcome,
        }


class Schedules:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, week: str) -> Schedule | None:
        row = self._db.execute("SELECT * FROM schedules WHERE week = ?", (week,)).fetchone()
        return _schedule(row) if row else None

    def put(self, week: str, at: datetime, by: str) -> None:
        """Schedule `week` at `at` (or move its time, while it has not started)."""
        now = datetime.now(UTC).isoformat()
        self._db.execute(
            "INSERT INTO schedules (week, at, state, made_at, made_by) VALUES (?, ?,"
            " 'scheduled', ?, ?) ON CONFLICT (week) DO UPDATE SET at = excluded.at,"
            " state = 'scheduled', made_at = excluded.made_at, made_by = excluded.made_by,"
            " started_at = NULL, finished_at = NULL, outcome = ''",
            (week, at.astimezone(UTC).isoformat(), now, by),
        )

    def cancel(self, week: str) -> bool:
        """Cancel a send that has not started; whether there was one."""
        return bool(
            self._db.execute(
                "UPDATE schedules SET state = 'cancelled', finished_at = ?"
                " WHERE week = ? AND state = 'scheduled'",
                (datetime.now(UTC).isoformat(), week),
            ).rowcount
        )

    def due(self, now: datetime) -> list[Schedule]:
        """Sends due by `now`, earliest first: those waiting, and those a run that died left
        half way (the delivery log knows whom they reached)."""
        rows = self._db.execute(
            "SELECT * FROM schedules WHERE state IN ('scheduled', 'sending') AND at <= ?"
            " ORDER BY at, week",
            (now.astimezone(UTC).isoformat(),),
        )
        return [_schedule(row) for row in rows]

    def start(self, week: str) -> None:
        self._db.execute(
            "UPDATE schedules SET state = 'sending', started_at = ? WHERE week = ?",
            (datetime.now(UTC).isoformat(), week),
        )

    def finish(self, week: str, state: ScheduleState, outcome: str) -> None:
        """`sent`, or back to `scheduled` (to try again at the next run), saying why."""
        finished = datetime.now(UTC).isoformat() if state == "sent" else None
        self._db.execute(
            "UPDATE schedules SET state = ?, finished_at = ?, outcome = ? WHERE week = ?",
            (state, finished, outcome, week),
        )

    def all(self) -> list[Schedule]:
        rows = self._db.execute("SELECT * FROM schedules ORDER BY at DESC, week")
        return [_schedule(row) for row in rows]


def _schedule(row: sqlite3.Row) -> Schedule:
    return Schedule(
        week=row["week"],
        at=date(row["at"]),
        state=row["state"],
        made_at=date(row["made_at"]),
        made_by=row["made_by"],
        started_at=date(row["started_at"]) if row["started_at"] else None,
        finished_at=date(row["finished_at"]) if row["finished_at"] else None,
        outcome=row["outcome"],
    )
