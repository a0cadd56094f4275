"""The commerce calendar: `content/calendar.toml`, the dates that move live commerce.

Each `[[event]]` has a `name`, a `rule` and what the rule needs:

- `yearly`: `month` and `day` (Singles' Day: 11 and 11);
- `weekday`: the `nth` (1-5, or -1 for the last) `weekday` of `month`, plus `offset` days
  (Black Friday: the 4th Thursday of November, offset 1);
- `dates`: a list of `"YYYY-MM-DD"` (or `"YYYY-MM-DD/YYYY-MM-DD"` for several days), for
  dates that follow the moon or an announcement (Chinese New Year, Ramadan, Prime Day,
  earnings).

Optional: `days` (how long it lasts, default 1), `region`, `kind` (festival, retail,
holiday, earnings, regulation), `description`, `link` (http or https), `tentative = true`
(expected, not confirmed). The build writes the calendar page and `calendar.ics` (RFC 5545,
one event per occurrence, with a UID that stays the same from build to build); issues and
digests show what comes up in the 14 days after their date.
"""

from __future__ import annotations

import calendar as stdcalendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from icalendar import Calendar, Event

from brief.ground.errors import ConfigError
from brief.ground.markup import metadata_text
from scrapers.clean import slugify, web_url
from scrapers.config import read_toml

RULES = ("yearly", "weekday", "dates")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
KINDS = ("festival", "retail", "holiday", "earnings", "regulation")
HORIZON_DAYS = 400  # the .ics covers at least the next 12 months
COMING_UP_DAYS = 14
DASH = "\u2013"  # the en dash of a range of days


@dataclass(frozen=True)
class CommerceEvent:
    name: str
    rule: str
    line: int
    month: int = 0
    day: int = 0
    nth: int = 0
    weekday: int = 0
    offset: int = 0
    days: int = 1
    dates: tuple[tuple[date, date], ...] = ()
    region: str = ""
    kind: str = ""
    description: str = ""
    link: str = ""
    tentative: bool = False

    @property
    def slug(self) -> str:
        return slugify(self.name) or "event"

    def starts(self, first: date, last: date) -> list[tuple[date, date]]:
        """(start, end) of every occurrence starting in [first, last], both inclusive."""
        found: list[tuple[date, date]] = []
        if self.rule == "dates":
            return [(a, b) for a, b in self.dates if first <= a <= last]
        for year in range(first.year, last.year + 1):
            start = self._in_year(year)
            if start is not None and first <= start <= last:
                found.append((start, start + timedelta(days=self.days - 1)))
        return found

    def _in_year(self, year: int) -> date | None:
        if self.rule == "yearly":
            try:
                return date(year, self.month, self.day)
            except ValueError:
                return None  # 29 February in a common year
        weeks = [
            week[self.weekday]
            for week in stdcalendar.Calendar().monthdayscalendar(year, self.month)
            if week[self.weekday]
        ]
        if not -len(weeks) <= (self.nth - 1 if self.nth > 0 else self.nth) < len(weeks):
            return None
        day = weeks[self.nth - 1 if self.nth > 0 else self.nth]
        return date(year, self.month, day) + timedelta(days=self.offset)


@dataclass(frozen=True)
class Occurrence:
    event: CommerceEvent
    start: date
    end: date  # inclusive

    @property
    def uid(self) -> str:
        return f"{self.event.slug}-{self.start:%Y%m%d}@live-commerce-brief"

    @property
    def when(self) -> str:
        """ "11 November", "8-11 July", "30 November - 2 December" (with en dashes)."""
        if self.end == self.start:
            return f"{self.start.day} {self.start:%B}"
        if (self.start.year, self.start.month) == (self.end.year, self.end.month):
            return f"{self.start.day}{DASH}{self.end.day} {self.start:%B}"
        return f"{self.start.day} {self.start:%B} {DASH} {self.end.day} {self.end:%B}"


@dataclass(frozen=True)
class CommerceCalendar:
    events: tuple[CommerceEvent, ...] = ()
    problems: tuple[tuple[int, str], ...] = field(default=())  # (line, message)
    path: Path | None = None

    def between(self, first: date, last: date) -> list[Occurrence]:
        """Occurrences starting in [first, last], by date then name."""
        found = [
            Occurrence(event, start, end)
            for event in self.events
            for start, end in event.starts(first, last)
        ]
        return sorted(found, key=lambda o: (o.start, o.event.name.casefold()))

    def coming_up(self, after: date, days: int = COMING_UP_DAYS) -> list[Occurrence]:
        """What starts in the `days` days after `after` (the issue's date), or is under way."""
        under_way = [o for o in self.between(after - timedelta(days=60), after) if o.end >= after]
        soon = self.between(after + timedelta(days=1), after + timedelta(days=days))
        return under_way + [o for o in soon if o not in under_way]

    def months(self, first: date, last: date) -> list[tuple[str, list[Occurrence]]]:
        groups: dict[str, list[Occurrence]] = {}
        for occurrence in self.between(first, last):
            groups.setdefault(f"{occurrence.start:%B %Y}", []).append(occurrence)
        return list(groups.items())


def load_calendar(path: Path) -> CommerceCalendar:
    """The calendar file, every usable event, and a (line, message) per problem.

    A missing file is an empty calendar; TOML that does not parse is a ConfigError.
    """
    toml = read_toml(path, "the calendar", missing_ok=True)
    entries = toml.data.get("event", [])
    if not isinstance(entries, list):
        raise ConfigError("write each event as [[event]]", path, 1)
    lines = toml.table_lines("event")
    events: list[CommerceEvent] = []
    problems: list[tuple[int, str]] = []
    for index, entry in enumerate(entries):
        line = lines[index] if index < len(lines) else 1
        try:
            events.append(_event(entry, line))
        except ValueError as err:
            problems.append((line, str(err)))
    return CommerceCalendar(tuple(events), tuple(problems), path)


def _event(entry: object, line: int) -> CommerceEvent:
    if not isinstance(entry, dict):
        raise ValueError("an event must be a table")
    name = metadata_text(str(entry.get("name", "")))
    if not name:
        raise ValueError("an event needs a name")
    rule = entry.get("rule", "yearly")
    if rule not in RULES:
        raise ValueError(f"{name}: rule must be one of {', '.join(RULES)}, not {rule!r}")
    link = str(entry.get("link", ""))
    if link and web_url(link) != link:
        raise ValueError(f"{name}: link must be an http(s) URL, not {link!r}")
    kind = str(entry.get("kind", ""))
    if kind and kind not in KINDS:
        raise ValueError(f"{name}: kind must be one of {', '.join(KINDS)}, not {kind!r}")
    common = {
        "name": name, "rule": rule, "line": line,
        "days": _number(entry, "days", 1, 1, 60, name),
        "region": metadata_text(str(entry.get("region", ""))),
        "kind": kind,
        "description": metadata_text(str(entry.get("description", ""))),
        "link": link,
        "tentative": entry.get("tentative", False) is True,
    }  # fmt: skip
    if rule == "dates":
        spans = []
        for value in entry.get("dates", []) if isinstance(entry.get("dates"), list) else [None]:
            spans.append(_span(value, name))
        if not spans:
            raise ValueError(f"{name}: rule 'dates' needs dates = [\"YYYY-MM-DD\", ...]")
        return CommerceEvent(**common, dates=tuple(spans))
    month = _number(entry, "month", None, 1, 12, name)
    if rule == "yearly":
        day = _number(entry, "day", None, 1, 31, name)
        try:
            date(2024, month, day)  # a leap year: 29 February is allowed
        except ValueError:
            raise ValueError(f"{name}: there is no day {day} in month {month}") from None
        return CommerceEvent(**common, month=month, day=day)
    weekday = str(entry.get("weekday", "")).lower()
    if weekday not in WEEKDAYS:
        raise ValueError(f"{name}: weekday must be one of {', '.join(WEEKDAYS)}")
    nth = _number(entry, "nth", None, -1, 5, name)
    if nth == 0:
        raise ValueError(f"{name}: nth is 1 to 5, or -1 for the last")
    offset = _number(entry, "offset", 0, -31, 31, name)
    return CommerceEvent(
        **common,
        month=month, nth=nth, weekday=WEEKDAYS.index(weekday), offset=offset,
    )  # fmt: skip


def _number(
    entry: dict[str, object], key: str, default: int | None, low: int, high: int, name: str
) -> int:
    value = entry.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{name}: {key} must be a whole number from {low} to {high}")
    return value


def _span(value: object, name: str) -> tuple[date, date]:
    if not isinstance(value, str):
        raise ValueError(f'{name}: each date is a string, "YYYY-MM-DD" or "YYYY-MM-DD/YYYY-MM-DD"')
    first, _, last = value.partition("/")
    try:
        start = date.fromisoformat(first.strip())
        end = date.fromisoformat(last.strip()) if last else start
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD") from None
    if end < start or (end - start).days > 60:
        raise ValueError(f"{name}: {value!r} must end after it starts, within 60 days")
    return start, end


def ics(occurrences: Iterable[Occurrence], sitename: str, page_url: str, stamp: date) -> bytes:
    """RFC 5545: one all-day VEVENT per occurrence (DTEND is the day after it ends)."""
    cal = Calendar()
    cal.add("prodid", f"-//{sitename}//Commerce calendar//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{sitename}: commerce calendar")
    moment = datetime(stamp.year, stamp.month, stamp.day, tzinfo=UTC)
    for occurrence in occurrences:
        event = occurrence.event
        item = Event()
        item.add("uid", occurrence.uid)
        item.add("dtstamp", moment)
        item.add("dtstart", occurrence.start)
        item.add("dtend", occurrence.end + timedelta(days=1))
        item.add("summary", event.name)
        words = [event.description] if event.description else []
        if event.tentative:
            words.append("Expected date, not yet confirmed.")
        if words:
            item.add("description", " ".join(words))
        item.add("url", event.link or page_url)
        if event.kind:
            item.add("categories", [event.kind])
        item.add("status", "TENTATIVE" if event.tentative else "CONFIRMED")
        item.add("transp", "TRANSPARENT")
        cal.add_component(item)
    return bytes(cal.to_ical())


def occurrences_for_site(calendar: CommerceCalendar, today: date) -> list[Occurrence]:
    """What the page and the .ics list: from a month ago to 400 days ahead."""
    return calendar.between(today - timedelta(days=31), today + timedelta(days=HORIZON_DAYS))
