"""The records the layers share: what a feed offers, what the store keeps, what an editor
decided. Frozen dataclasses; datetimes are UTC-aware."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, get_args

Status = Literal["new", "accepted", "rejected"]  # where a story stands
Action = Literal["accepted", "rejected", "shortlisted", "new"]  # what an editor can decide
STATUSES: tuple[Status, ...] = get_args(Status)
# Where a subscriber stands: asked and not confirmed yet; receiving; or not to be mailed.
SubscriberStatus = Literal["pending", "confirmed", "unsubscribed", "bounced", "complained"]
SUBSCRIBER_STATUSES: tuple[SubscriberStatus, ...] = get_args(SubscriberStatus)
# Who is never mailed, even when a `brief send --to` list names them.
NOT_TO_MAIL: tuple[SubscriberStatus, ...] = ("unsubscribed", "bounced", "complained")
ACTIONS: tuple[Action, ...] = get_args(Action)


def iso_utc(moment: datetime | None) -> str | None:
    """A time as scripts expect it in JSON: UTC, ISO 8601, with a Z."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


@dataclass(frozen=True)
class Copy:
    """One outlet's copy of a story: its name, its link, when it published."""

    source: str
    link: str
    published: datetime
    outlet: str = ""  # the publisher, when an aggregator carried it

    @property
    def name(self) -> str:
        """Who published it: the outlet, else the feed."""
        return self.outlet or self.source


@dataclass(frozen=True)
class Candidate:
    """An item a feed offers, cleaned, dated, scored and tagged; not stored yet."""

    title: str
    link: str
    canonical_url: str
    source: str
    published: datetime
    fetched: datetime
    summary_html: str
    summary_text: str
    score: float
    entities: tuple[str, ...]
    about: tuple[str, ...]
    guid: str
    signals: tuple[str, ...] = ()
    date_flag: str = ""  # "undated", "future" or ""
    section: str | None = None  # the source's suggested section
    filtered: str = ""  # why the rules drop it, if they do
    outlet: str = ""  # the publisher an aggregator names (Reuters for a Google News item)
    summary_cut: bool = False  # the summary was longer than the store keeps (SUMMARY_MAX)
    via: str = ""  # the aggregator's link, when `link` is the publisher's it led to
    link_note: str = ""  # why `link` is still an aggregator's, if it is

    @property
    def publisher(self) -> str:
        """Who published the story: the outlet an aggregator names, else the feed."""
        return self.outlet or self.source


@dataclass(frozen=True, kw_only=True)
class Story(Candidate):
    """A stored story: the candidate that speaks for it, its copies and the editor's say."""

    id: int
    status: Status = "new"
    shortlisted: bool = False
    sources: tuple[Copy, ...] = field(default=())
    article_path: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None

    @property
    def first_reported_by(self) -> str:
        return min(self.sources, key=lambda s: s.published).name if self.sources else self.publisher


@dataclass(frozen=True)
class Decision:
    """One decision in the log, with what it replaced (for undo)."""

    id: int
    story_id: int
    action: Action
    status_before: Status
    shortlisted_before: bool
    who: str
    at: datetime
    article_path: str | None
    batch: str | None = None  # decisions made together, undone together
    draft: str | None = None  # an unaccept: the untouched draft it deleted, for undo


@dataclass(frozen=True)
class AddResult:
    new: int
    seen: int  # already stored: the same URL or GUID, or a copy of a stored story
    clustered: int  # of those, new outlets' copies that joined a story's cluster


@dataclass(frozen=True)
class Subscription:
    """A subscriber as the store keeps them."""

    id: int
    email: str
    name: str | None
    status: SubscriberStatus
    created_at: datetime
    changed_at: datetime

    def as_json(self) -> dict[str, object]:
        """The `brief subscribers list --json` contract: one object per subscriber."""
        return {
            "email": self.email,
            "name": self.name,
            "status": self.status,
            "changed_at": iso_utc(self.changed_at),
            "created_at": iso_utc(self.created_at),
        }


@dataclass(frozen=True)
class Signup:
    """A sign-up the service answered and has not yet confirmed by email."""

    id: int
    email: str
    name: str | None
    received_at: datetime
    attempts: int  # confirmation emails the mail server did not take
