"""Subscribers: one per mailbox, their status, and every change with when and how.

A subscriber is keyed by their mailbox as mail systems route it (`mailbox_key`), and
grouped with the other tags of the same mailbox (`mailbox_base`) for the per-address
limit of the sign-up form.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from email_validator import EmailNotValidError, validate_email

from scrapers.records import SubscriberStatus, Subscription
from scrapers.storage.rows import date

CONFIRMATION_SENT = "confirmation sent"  # an event that is not a status
WELCOME_SENT = "welcome sent"  # nor is this
# Mail providers that ignore dots in the local part (and their other domain name).
_DOTLESS = {"gmail.com": "gmail.com", "googlemail.com": "gmail.com"}


def mailbox_key(email: str) -> str:
    """The mailbox an address reaches, as mail systems route it: the domain IDNA-encoded
    (punycode, IDNA 2008: `straße.de` and `strasse.de` are two domains) and lower case,
    the local part in lower case (as every mainstream provider reads it). Not a case-fold
    of the whole address, which merges mailboxes that are not the same."""
    text = email.strip()
    try:
        checked = validate_email(text, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError:
        return text.lower()  # not an address: keyed as written, never merged with one
    return f"{checked.local_part.lower()}@{checked.ascii_domain.lower()}"


def mailbox_base(key: str) -> str:
    """The mailbox behind its tags: `victim+1@` and `victim+2@` are one inbox (and so are
    `v.ictim@gmail.com` and `victim@gmail.com`)."""
    local, _, domain = key.rpartition("@")
    cut = local.find("+", 1)
    if cut > 0:
        local = local[:cut]
    if domain in _DOTLESS:
        local, domain = local.replace(".", ""), _DOTLESS[domain]
    return f"{local}@{domain}"


class Subscribers:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def get(self, email: str) -> Subscription | None:
        row = self._db.execute(
            "SELECT * FROM subscribers WHERE key = ?", (mailbox_key(email),)
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

    def counts(self) -> dict[str, int]:
        """How many subscribers have each status."""
        rows = self._db.execute("SELECT status, COUNT(*) FROM subscribers GROUP BY status")
        return {status: int(count) for status, count in rows}

    def search(self, text: str, limit: int = 50) -> list[Subscription]:
        """Subscribers whose address contains `text` (any case), newest change first."""
        pattern = (
            "%"
            + text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            + "%"
        )
        rows = self._db.execute(
            "SELECT * FROM subscribers WHERE lower(email) LIKE ? ESCAPE '\\'"
            " ORDER BY changed_at DESC LIMIT ?",
            (pattern, limit),
        )
        return [_subscription(row) for row in rows]

    def events_since(self, since: datetime) -> list[tuple[str, str, datetime, str]]:
        """(address, status or event, when, how) of every change since `since`, newest
        first."""
        rows = self._db.execute(
            "SELECT s.email, e.status, e.at, e.how FROM subscriber_events e"
            " JOIN subscribers s ON s.id = e.subscriber_id WHERE e.at >= ?"
            " ORDER BY e.at DESC, e.id DESC",
            (since.isoformat(),),
        )
        return [(email, status, date(at), how) for email, status, at, how in rows]

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
        key = mailbox_key(email)
        cursor = self._db.execute(
            "INSERT INTO subscribers (email, key, base, name, status, created_at, changed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (email, key, mailbox_base(key), name, status, when.isoformat(), when.isoformat()),
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

    def confirm(self, known: Subscription, how: str, when: datetime | None = None) -> bool:
        """Confirm `known` if the store still holds them as read (status and time of their
        last change): a change made in between by another process wins. Whether it did."""
        when = when or datetime.now(UTC)
        changed = self._db.execute(
            "UPDATE subscribers SET status = 'confirmed', changed_at = ?"
            " WHERE id = ? AND status = ? AND changed_at = ?",
            (when.isoformat(), known.id, known.status, known.changed_at.isoformat()),
        ).rowcount
        if changed:
            self._event(known.id, "confirmed", how, when)
        return bool(changed)

    def set_name(self, subscriber_id: int, name: str | None) -> None:
        self._db.execute("UPDATE subscribers SET name = ? WHERE id = ?", (name, subscriber_id))

    def remove(self, subscriber_id: int) -> None:
        """Forget a subscriber entirely, their history with them."""
        self._db.execute("DELETE FROM subscriber_events WHERE subscriber_id = ?", (subscriber_id,))
        self._db.execute("DELETE FROM welcomes WHERE subscriber_id = ?", (subscriber_id,))
        self._db.execute("DELETE FROM follows WHERE subscriber_id = ?", (subscriber_id,))
        self._db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))

    def confirmation_sent(self, subscriber_id: int, how: str, when: datetime | None = None) -> None:
        self._event(subscriber_id, CONFIRMATION_SENT, how, when or datetime.now(UTC))

    def welcome_sent(self, subscriber_id: int, when: datetime | None = None) -> None:
        self._event(subscriber_id, WELCOME_SENT, "welcome email", when or datetime.now(UTC))

    def confirmations_since(self, subscriber_id: int, since: timedelta) -> int:
        """How many confirmation emails reached this subscriber's mailbox in the last
        `since`, whatever tag each was addressed to (`mailbox_base`)."""
        low = (datetime.now(UTC) - since).isoformat()
        row = self._db.execute(
            "SELECT COUNT(*) FROM subscriber_events AS e JOIN subscribers AS s"
            " ON s.id = e.subscriber_id WHERE s.base = (SELECT base FROM subscribers"
            " WHERE id = ?) AND e.status = ? AND e.at >= ?",
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
