"""The subscriber list: adding, importing, removing, exporting, and marking the addresses
that bounce or complain. Every change is recorded in the store with when and how."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from brief.audience.bounces import read_reports
from brief.audience.subscribers import Subscriber, guarded
from brief.content.weeks import week_of
from brief.ground.errors import ContentError
from scrapers.records import SubscriberStatus, Subscription, iso_utc
from scrapers.storage import Store


@dataclass
class Changes:
    """What a batch did to the list, a line per address it could not change."""

    added: list[Subscription] = field(default_factory=list)
    changed: list[tuple[Subscription, SubscriberStatus]] = field(default_factory=list)
    kept: list[tuple[str, str]] = field(default_factory=list)  # (address, why unchanged)


def add_subscribers(
    store: Store, people: Sequence[Subscriber], confirmed: bool, how: str
) -> Changes:
    """Add new addresses (pending, or confirmed when the editor has their consent).

    A pending address is confirmed by `confirmed`; any other known address is left as it
    is, and said so: an unsubscribed reader is never re-subscribed by a list.
    """
    changes = Changes()
    status: SubscriberStatus = "confirmed" if confirmed else "pending"
    with store.transaction():
        for person in people:
            known = store.subscribers.get(person.email)
            if known is None:
                changes.added.append(store.subscribers.add(person.email, person.name, status, how))
            elif known.status == "pending" and confirmed:
                store.subscribers.set_status(known.id, "confirmed", how)
                changes.changed.append((known, "confirmed"))
            else:
                changes.kept.append((person.email, f"already in the list as {known.status}"))
    return changes


def confirm_subscriber(store: Store, subscriber_id: int, issued: datetime) -> Subscription | None:
    """Follow a confirmation link made at `issued`: a pending subscriber is confirmed, and
    so is one who left before the link was made (they asked again, then confirmed). A link
    replayed after an unsubscribe, a bounce or a complaint changes nothing. A reader this
    confirms gets a welcome email, queued in the same transaction. The subscriber as they
    now are, or None if they are no longer in the list."""
    with store.transaction():
        known = store.subscribers.by_id(subscriber_id)
        if known is None or known.status == "confirmed":
            return known
        asked_again = known.status == "unsubscribed" and issued > known.changed_at
        if (known.status == "pending" or asked_again) and store.subscribers.confirm(
            known, "confirmation link"
        ):
            store.welcomes.add(known.id, datetime.now(UTC))  # sent by the service's worker
        return store.subscribers.by_id(subscriber_id)


def remove_subscriber(store: Store, email: str) -> Subscription:
    """Forget an address entirely (its history too); ContentError if it is not known."""
    known = store.subscribers.get(email)
    if known is None:
        raise ContentError(f"{email} is not in the subscriber list")
    with store.transaction():
        store.subscribers.remove(known.id)
    return known


def export_csv(subscriptions: Iterable[Subscription]) -> str:
    """The list as CSV: email, name, status, changed_at (the same columns `import` reads)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["email", "name", "status", "changed_at"])
    for sub in subscriptions:
        row = [sub.email, sub.name or "", sub.status, iso_utc(sub.changed_at) or ""]
        writer.writerow([guarded(cell) for cell in row])
    return out.getvalue()


def suppress(
    store: Store, paths: Sequence[Path], csv_status: SubscriberStatus = "bounced"
) -> Changes:
    """Mark the addresses that bounce reports and complaint reports name (or a CSV lists).

    An address the list does not hold is added as it is (bounced or complained), so that no
    later `brief send --to` mails it either.
    """
    changes = Changes()
    for path in paths:
        for email, status, why in read_reports(path, csv_status):
            _mark(store, changes, email, status, f"{why} ({path.name})")
    return changes


def unsubscribe(store: Store, emails: Iterable[str], how: str) -> Changes:
    """Mark addresses unsubscribed (a reader who wrote in); unknown ones are kept as
    unsubscribed too, so that no `brief send --to` mails them."""
    changes = Changes()
    for email in emails:
        _mark(store, changes, email, "unsubscribed", how)
    return changes


def _mark(store: Store, changes: Changes, email: str, status: SubscriberStatus, how: str) -> None:
    with store.transaction():
        known = store.subscribers.get(email)
        if known is None:
            changes.added.append(store.subscribers.add(email, None, status, how))
        elif known.status == status:
            changes.kept.append((email, f"already {status}"))
        else:
            store.subscribers.set_status(known.id, status, how)
            changes.changed.append((known, status))


LEAVING = ("unsubscribed", "bounced", "complained")


@dataclass(frozen=True)
class WeekGrowth:
    week: str  # ISO week, "2026-W49"
    joined: int  # confirmed that week
    left: int  # unsubscribed, bounced or complained that week

    @property
    def net(self) -> int:
        return self.joined - self.left


@dataclass(frozen=True)
class ListOverview:
    counts: dict[str, int]  # by status
    weeks: list[WeekGrowth]  # oldest first, every week of the span (0s included)
    recent: list[tuple[str, str, datetime, str]]  # (address, change, when, how), newest first


def list_overview(
    store: Store, now: datetime, timezone: ZoneInfo, weeks: int = 12, recent: int = 30
) -> ListOverview:
    """The list at a glance: subscribers by status, who joined and left each week of the
    last `weeks`, and the latest changes."""
    events = store.subscribers.events_since(now - timedelta(weeks=weeks))
    span = [week_of((now - timedelta(weeks=back)).astimezone(timezone)) for back in range(weeks)]
    joined = dict.fromkeys(span, 0)
    left = dict.fromkeys(span, 0)
    for _, change, when, _ in events:
        week = week_of(when.astimezone(timezone))
        if week not in joined:
            continue
        if change == "confirmed":
            joined[week] += 1
        elif change in LEAVING:
            left[week] += 1
    growth = [WeekGrowth(week, joined[week], left[week]) for week in reversed(span)]
    return ListOverview(store.subscribers.counts(), growth, events[:recent])
