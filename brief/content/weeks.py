"""ISO weeks, the newsletter's unit of time: `2026-W46`, its Monday-to-Monday bounds in the
newsletter's time zone, and the week of a moment."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from brief.ground.errors import ConfigError

_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})")  # ASCII digits only, matched whole


def parse_week(text: str) -> tuple[int, int]:
    """`2026-W46` as (2026, 46); a ConfigError for anything else."""
    match = _WEEK.fullmatch(text)
    if match:
        year, week = int(match.group(1)), int(match.group(2))
        try:
            date.fromisocalendar(year, week, 1)
            return year, week
        except ValueError:
            pass
    raise ConfigError(f"{text!r} is not an ISO week: write YYYY-Www, for example 2026-W46")


def week_of(moment: datetime | date) -> str:
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def week_bounds(week: str, timezone: ZoneInfo) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday 00:00, in the newsletter's time zone."""
    year, number = parse_week(week)
    monday = datetime.combine(date.fromisocalendar(year, number, 1), time(), timezone)
    return monday, monday + timedelta(days=7)


def is_week(text: str) -> bool:
    """Whether `text` is written as an ISO week (`2026-W46`)."""
    return _WEEK.fullmatch(text) is not None
