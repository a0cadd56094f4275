"""Subscribers: one per address, their status, and every change with when and how."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from scrapers.records import SubscriberStatus, Subscription
from scrapers.storage.rows import date

CONFIRMATION_SENT = "confirmation sent"  # an event that is not a status


class Subscribers:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, email: str) -> Subscription | None:
        row = self._db.execute(
            "SELECT * FROM subscribers WHERE key = ?", (email.casefold(),)
        ).fetchone()
        return _subscription(row) if row else None

    def by_id(self, subscriber_id: int) -> Subscription | None:
        row = self._db.execute(
            "SELECT * FROM subscribers WHERE id = ?", (subscriber_id,)
        ).fetchone()
        return _subscription(row) if row else None

    def all(self, status: SubscriberStatus | None = None) -> Iterator[Subscription]:
        """Subscribers, oldest first (of one status, or all)."""
        sql, params = "SELECT * FROM subscribers", []
        if status is not None:
            sql, params = sql + " WHERE status = ?", [status]
        for row in self._db.execute(sql + " ORDER BY id", params).fetchall():
            yield _subscription(row)

    def add(
        self,
        email: str,
        name: str | None,
        status: SubscriberStatus,
        how: str,
        when: datetime | None = None,
    ) -> Subscription:
        """A new subscriber (the address must not be known yet)."""
        when = when or datetime.now(UTC)
        cursor = self._db.execute(
            "INSERT INTO subscribers (email, key, name, status, created_at, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (email, email.casefold(), name, status, when.isoformat(), when.isoformat()),
        )
        assert cursor.lastrowid is not None  # always set after an INSERT
        self._event(cursor.lastrowid, status, how, when)
        found = self.by_id(cursor.lastrowid)
        assert found is not None
        return found

    def set_status(
        self, subscriber_id: int, status: SubscriberStatus, how: str, when: datetime | None = None
    ) -> None:
        """Change a subscriber's status, and log the change with when and how."""
        when = when or datetime.now(UTC)
        self._db.execute(
            "UPDATE subscribers SET status = ?, changed_at = ? WHERE id = ?",
            (status, when.isoformat(), subscriber_id),
        )
        self._event(subscriber_id, status, how, when)

    def set_name(self, subscriber_id: int, name: str | None) -> None:
        self._db.execute("UPDATE subscribers SET name = ? WHERE id = ?", (name, subscriber_id))

    def remove(self, subscriber_id: int) -> None:
        """Forget a subscriber entirely, their history with them."""
        self._db.execute("DELETE FROM subscriber_events WHERE subscriber_id = ?", (subscriber_id,))
        self._db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))

    def confirmation_sent(self, subscriber_id: int, how: str, when: datetime | None = None) -> None:
        self._event(subscriber_id, CONFIRMATION_SENT, how, when or datetime.now(UTC))

    def confirmations_since(self, subscriber_id: int, since: timedelta) -> int:
        """How many confirmation emails this subscriber was sent in the last `since`."""
        low = (datetime.now(UTC) - since).isoformat()
        row = self._db.execute(
            "SELECT COUNT(*) FROM subscriber_events WHERE subscriber_id = ? AND status = ?"
            " AND at >= ?",
            (subscriber_id, CONFIRMATION_SENT, low),
        ).fetchone()
        return int(row[0])

    def history(self, subscriber_id: int) -> list[tuple[str, datetime, str]]:
        """(status or event, when, how), oldest first."""
        rows = self._db.execute(
            "SELECT status, at, how FROM subscriber_events WHERE subscriber_id = ? ORDER BY id",
            (subscriber_id,),
        )
        return [(status, date(at), how) for status, at, how in rows]

    def _event(self, subscriber_id: int, status: str, how: str, when: datetime) -> None:
        self._db.execute(
            "INSERT INTO subscriber_events (subscriber_id, status, at, how) VALUES (?, ?, ?, ?)",
            (subscriber_id, status, when.isoformat(), how),
        )


def _subscription(row: sqlite3.Row) -> Subscription:
    return Subscription(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        status=row["status"],
        created_at=date(row["created_at"]),
        changed_at=date(row["changed_at"]),
    )
