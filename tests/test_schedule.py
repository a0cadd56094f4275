"""The scheduling decider, tested directly: no I/O, only states and results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from scrapers.fetch import FetchResult
from scrapers.schedule import BACKOFF_MAX, SourceState, due, next_state
from scrapers.sources import Source

NOW = datetime(2026, 11, 28, 12, tzinfo=UTC)
SOURCE = Source("Retail", "https://retail.example/feed")


def result(status: str, http: int | None = None, **extra: object) -> FetchResult:
    return FetchResult(SOURCE, status, NOW, http_status=http, **extra)  # type: ignore[arg-type]


def test_a_new_source_is_due() -> None:
    assert due(None, NOW) is None
    assert due(SourceState("Retail", SOURCE.url), NOW) is None


def test_success_resets_failures_and_counts_items() -> None:
    failing = SourceState("Retail", SOURCE.url, failures=4, items=10, last_error="HTTP 500")
    state = next_state(failing, result("ok", 200), NOW, items=3)
    assert (state.failures, state.items, state.last_error) == (0, 13, None)
    assert state.last_success == NOW and state.next_attempt is None


def test_not_modified_is_a_success_without_items() -> None:
    state = next_state(SourceState("Retail", SOURCE.url, items=5), result("not_modified", 304), NOW)
    assert state.last_status == "not_modified" and state.items == 5 and state.failures == 0


def test_gone_pauses_until_resumed() -> None:
    state = next_state(SourceState("Retail", SOURCE.url), result("failed", 410), NOW)
    assert state.paused and "410" in state.paused
    assert due(state, NOW + timedelta(days=365)) == f"paused: {state.paused}"


@pytest.mark.parametrize("http", [429, 503])
def test_retry_after_is_honoured_and_capped(http: int) -> None:
    waited = next_state(
        SourceState("Retail", SOURCE.url), result("failed", http, retry_after=120.0), NOW
    )
    assert waited.next_attempt == NOW + timedelta(seconds=120)
    assert due(waited, NOW + timedelta(seconds=60)) == "backing off until 2026-11-28 12:02 UTC"
    assert due(waited, NOW + timedelta(seconds=121)) is None
    huge = next_state(
        SourceState("Retail", SOURCE.url), result("failed", http, retry_after=1e30), NOW
    )
    assert huge.next_attempt == NOW + BACKOFF_MAX


def test_failures_back_off_exponentially_after_three() -> None:
    state = SourceState("Retail", SOURCE.url)
    waits = []
    for _ in range(9):
        state = next_state(state, result("failed", 500, error="HTTP 500"), NOW)
        waits.append(state.next_attempt - NOW if state.next_attempt else None)
    assert waits[:2] == [None, None]
    assert waits[2:6] == [timedelta(minutes=m) for m in (30, 60, 120, 240)]
    assert waits[8] == BACKOFF_MAX  # never more than a day
    assert state.failures == 9 and state.last_error == "HTTP 500"


def test_a_permanent_redirect_moves_the_source_a_temporary_one_does_not() -> None:
    moved = next_state(
        SourceState("Retail", SOURCE.url),
        result("ok", 200, permanent_url="https://retail.example/new"),
        NOW,
    )
    assert moved.fetch_url == "https://retail.example/new" and moved.url == SOURCE.url
    kept = next_state(moved, result("ok", 200), NOW)
    assert kept.fetch_url == "https://retail.example/new"
    failed = next_state(moved, result("failed", 500), NOW)
    assert failed.fetch_url == "https://retail.example/new"
