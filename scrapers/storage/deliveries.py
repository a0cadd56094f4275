"""Who received which issue (`brief send`): one row per (week, address), never two sends."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Literal

from scrapers.records import NOT_TO_MAIL, SubscriberStatus
from scrapers.storage.subscribers import mailbox_key

DeliveryState = Literal["pending", "sent", "failed", "uncertain"]


class Deliveries:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def state(self, week: str, email: str) -> DeliveryState | None:
        row = self._db.execute(
            "SELECT state FROM deliveries WHERE week = ? AND email = ?", (week, mailbox_key(email))
        ).fetchone()
        return row[0] if row else None

    def mark(
        self, week: str, email: str, state: DeliveryState, message_id: str = "", error: str = ""
    ) -> None:
        """Record a state at once (committed): a crash right after still knows it."""
        with self._db:
            self._db.execute(
                "INSERT INTO deliveries (week, email, state, message_id, at, error)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (week, email) DO UPDATE SET"
                " state = excluded.state, message_id = excluded.message_id, at = excluded.at,"
                " error = excluded.error",
                (week, mailbox_key(email), state, message_id, datetime.now(UTC).isoformat(), error),
            )

    def start(self, week: str, email: str, message_id: str) -> SubscriberStatus | None:
        """Mark the recipient pending as their transaction starts, unless the list now says
        not to mail them (they left during this send): then that status, and nothing marked.
        One transaction, so an unsubscribe is either seen here or comes after the mail."""
        key = mailbox_key(email)
        with self._db:
            row = self._db.execute("SELECT status FROM subscribers WHERE key = ?", (key,))
            found = row.fetchone()
            if found is not None and found[0] in NOT_TO_MAIL:
                status: SubscriberStatus = found[0]
                return status
            self._db.execute(
                "INSERT INTO deliveries (week, email, state, message_id, at, error)"
                " VALUES (?, ?, 'pending', ?, ?, '') ON CONFLICT (week, email) DO UPDATE SET"
                " state = excluded.state, message_id = excluded.message_id, at = excluded.at,"
                " error = excluded.error",
                (week, key, message_id, datetime.now(UTC).isoformat()),
            )
        return None

    def forget(self, week: str, email: str) -> None:
        """The recipient was never sent to after all: back to unsent."""
        with self._db:
            self._db.execute(
                "DELETE FROM deliveries WHERE week = ? AND email = ?", (week, mailbox_key(email))
            )

    def count(self, week: str, state: DeliveryState) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE week = ? AND state = ?", (week, state)
        ).fetchone()
        return int(row[0])

    def weeks(self) -> list[str]:
        """Every issue sent to anyone, oldest first."""
        rows = self._db.execute("SELECT DISTINCT week FROM deliveries ORDER BY week")
        return [week for (week,) in rows]

    def left_after(self, week: str) -> dict[str, int]:
        """Recipients of `week` who unsubscribed, bounced or complained after it reached
        them and before the next issue did: how many, by what they became."""
        rows = self._db.execute(
            "SELECT e.status, COUNT(DISTINCT s.id) FROM deliveries AS d"
            " JOIN subscribers AS s ON s.key = d.email"
            " JOIN subscriber_events AS e ON e.subscriber_id = s.id"
            " WHERE d.week = ? AND d.state = 'sent'"
            " AND e.status IN ('unsubscribed', 'bounced', 'complained') AND e.at >= d.at"
            " AND e.at < COALESCE((SELECT MIN(n.at) FROM deliveries AS n WHERE n.email = d.email"
            " AND n.state = 'sent' AND n.at > d.at), '9999')"
            " GROUP BY e.status",
            (week,),
        )
        return {status: int(count) for status, count in rows}
