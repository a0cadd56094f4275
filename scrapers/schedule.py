"""When to fetch a source next: a pure decider over the last state and the new result.

No I/O here: the store reads the state, this module decides, the store writes it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from scrapers.fetch import FetchResult
from scrapers.records import iso_utc

BACKOFF_AFTER = 3  # consecutive failures before backing off
BACKOFF_BASE = timedelta(minutes=30)
BACKOFF_MAX = timedelta(hours=24)


@dataclass(frozen=True)
class SourceState:
    """What the store knows about one source."""

    name: str
    url: str  # as configured in feeds.toml
    current_url: str | None = None  # after permanent redirects
    last_status: str | None = None
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str | None = None
    failures: int = 0
    items: int = 0
    paused: str | None = None  # why, when a source is paused
    next_attempt: datetime | None = None

    @property
    def fetch_url(self) -> str:
        return self.current_url or self.url

    def as_json(self) -> dict[str, object]:
        """The `brief sources --json` contract: one object per source."""
        return {
            "source": self.name,
            "url": self.url,
            "current_url": self.fetch_url,
            "last_status": self.last_status,
            "last_attempt": iso_utc(self.last_attempt),
            "last_success": iso_utc(self.last_success),
            "last_error": self.last_error,
            "items": self.items,
            "consecutive_failures": self.failures,
            "paused": bool(self.paused),
            "paused_reason": self.paused,
            "next_attempt": iso_utc(self.next_attempt),
        }


def due(state: SourceState | None, now: datetime) -> str | None:
    """None when the source should be fetched now, else why not."""
    if state is None:
        return None
    if state.paused:
        return f"paused: {state.paused}"
    if state.next_attempt is not None and state.next_attempt > now:
        return f"backing off until {state.next_attempt:%Y-%m-%d %H:%M} UTC"
    return None


def next_state(
    state: SourceState, result: FetchResult, now: datetime, items: int = 0
) -> SourceState:
    """The source's state after this fetch."""
    if result.status != "failed":
        return SourceState(
            name=state.name,
            url=state.url,
            current_url=result.permanent_url or state.current_url,
            last_status=result.status,
            last_attempt=now,
            last_success=now,
            last_error=None,
            failures=0,
            items=state.items + items,
        )
    failures = state.failures + 1
    paused = None
    next_attempt = None
    if result.http_status == 410:
        paused = "the feed is gone (HTTP 410); fix its url in feeds.toml"
    elif result.retry_after is not None and result.http_status in (429, 503):
        wait = min(max(result.retry_after, 0.0), BACKOFF_MAX.total_seconds())
        next_attempt = now + timedelta(seconds=wait)
    elif failures >= BACKOFF_AFTER:
        next_attempt = now + min(BACKOFF_BASE * 2 ** (failures - BACKOFF_AFTER), BACKOFF_MAX)
    return SourceState(
        name=state.name,
        url=state.url,
        current_url=state.current_url,
        last_status="failed",
        last_attempt=now,
        last_success=state.last_success,
        last_error=result.error,
        failures=failures,
        items=state.items,
        paused=paused,
        next_attempt=next_attempt,
    )
