"""Between SQLite rows and records: times as ISO text, batches of parameters."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TypeVar

_T = TypeVar("_T")


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def date(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


def optional_date(value: str | None) -> datetime | None:
    return date(value) if value else None


def chunks(items: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    """Batches small enough for SQLite's limit on parameters in one statement."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def marks(count: int) -> str:
    """`?, ?, ?` for an IN (...) list of `count` values."""
    return ",".join("?" * count)
