"""Movers: which watchlist companies the news talks about more, or less, this week.

For each entity, the stories naming it per ISO week (a cluster of copies counts once): the
issue's week against the 8 weeks before. `brief issue new` counts them in the store and
writes the snapshot into the issue's file, under `## Who moved this week`:

    ## Who moved this week

    - TikTok Shop: 4 6 5 4 7 6 6 3 -> 12
    - Kuaishou: 5 5 6 4 5 6 5 5 -> 1

eight weekly counts, oldest first, then this week's. The site and the digest read only the
file, so they show the same figures forever, with or without the store.

What is counted: stories our sources ran that were not rejected and scored at least
`MIN_SCORE` for relevance (a story several outlets ran counts once). A week before the store
began collecting is not a week of zero stories: it is written `-`, and a company with fewer
than `MIN_HISTORY` weeks of history is shown as new, not as a mover. `brief issue movers
WEEK` counts again for an issue not yet published; a published issue keeps its snapshot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from brief.content.weeks import week_bounds, week_of
from scrapers.entities import Entity

HEADING = "Who moved this week"
TRAILING = 8  # weeks before the week
SHOWN = 10  # entities written into an issue
# The relevance a story needs to count: on the real headlines of tests/data/real (tuning
# half), 0.25 keeps 65% of the relevant ones and 22% of the rest (0.2: 66% and 28%).
MIN_SCORE = 0.25
MIN_HISTORY = 4  # weeks of history (of the TRAILING) a company needs to be a mover
COUNTED = (
    "stories our sources ran that were not rejected and scored as relevant; a story several"
    " outlets ran counts once"
)
_LINE = re.compile(
    rf"^[-*+]\s+(?P<name>[^:]+?)\s*:\s*(?P<before>(?:(?:\d+|-)\s+){{{TRAILING}}})(?:->|→)\s*(?P<now>\d+)\s*$"
)


@dataclass(frozen=True)
class Mover:
    """One entity's weekly mentions: the trailing weeks, oldest first (None: a week before
    the store began collecting), then this week."""

    name: str
    before: tuple[int | None, ...]
    now: int

    @property
    def history(self) -> int:
        """The trailing weeks with counts (the store was collecting)."""
        return sum(1 for count in self.before if count is not None)

    @property
    def new(self) -> bool:
        """Too little history to say whether this week is more or less than usual."""
        return self.history < MIN_HISTORY

    @property
    def average(self) -> float:
        known = [count for count in self.before if count is not None]
        return sum(known) / len(known) if known else 0.0

    @property
    def change(self) -> float:
        return 0.0 if self.new else self.now - self.average

    @property
    def direction(self) -> str:
        if self.new:
            return "new"
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"

    @property
    def weeks(self) -> tuple[int, ...]:
        """The weeks with counts, oldest first, this week last."""
        return (*(count for count in self.before if count is not None), self.now)

    def line(self) -> str:
        before = " ".join("-" if count is None else str(count) for count in self.before)
        return f"- {self.name}: {before} -> {self.now}"

    def sparkline(self, width: int = 96, height: int = 24) -> Markup:
        """An inline SVG line of the weeks counted, this week's point marked."""
        top = max(max(self.weeks), 1)
        step = width / max(len(self.weeks) - 1, 1)
        points = [
            (round(i * step, 1), round(height - 3 - (v / top) * (height - 6), 1))
            for i, v in enumerate(self.weeks)
        ]
        path = " ".join(f"{x},{y}" for x, y in points)
        x, y = points[-1]
        label = f"Mentions per week: {', '.join(map(str, self.weeks))}"
        return Markup(
            '<svg class="spark spark-{}" viewBox="0 0 {} {}" width="{}" height="{}" role="img"'
            ' aria-label="{}"><polyline points="{}" fill="none" stroke="currentColor"'
            ' stroke-width="1.5"/><circle cx="{}" cy="{}" r="2.5" fill="currentColor"/></svg>'
        ).format(self.direction, width, height, width, height, label, path, x, y)

    @property
    def bars(self) -> str:
        """The nine weeks as text (▁▂▃▅▇), for email clients that show no SVG."""
        blocks = "▁▂▃▄▅▆▇█"
        top = max(max(self.weeks), 1)
        return "".join(blocks[min(7, round(v / top * 7))] for v in self.weeks)


def count_mentions(
    mentions: Iterable[tuple[object, Sequence[str]]],
    entities: Sequence[Entity],
    week: str,
    timezone: ZoneInfo,
    collecting_since: datetime | None = None,
) -> list[Mover]:
    """Movers for `week` from (published datetime, entity names) pairs: the stories that
    count (see `COUNTED`), the store collecting since `collecting_since` (None: always)."""

    start, _ = week_bounds(week, timezone)
    starts = [start - timedelta(weeks=n) for n in range(TRAILING, -1, -1)]
    weeks = [week_of(monday) for monday in starts]
    index = {w: i for i, w in enumerate(weeks)}
    # A week the store was not collecting from its first day is not known: its zero, or
    # its few, would be no news.
    known_weeks = [
        collecting_since is None or collecting_since < monday + timedelta(days=1)
        for monday in starts
    ]
    known = {e.name for e in entities}
    counts: dict[str, list[int]] = {}
    for published, names in mentions:
        when = week_of(published.astimezone(timezone))  # type: ignore[attr-defined]
        if when not in index:
            continue
        for name in set(names) & known:
            counts.setdefault(name, [0] * len(weeks))[index[when]] += 1
    movers = [
        Mover(
            name,
            tuple(n if k else None for n, k in zip(c[:-1], known_weeks[:-1], strict=True)),
            c[-1],
        )
        for name, c in counts.items()
    ]
    return ranked(movers)


def ranked(movers: Iterable[Mover]) -> list[Mover]:
    """Biggest change first (rising before falling on a tie), then by name; the companies
    too new to move last, the most named first."""
    return sorted(
        movers, key=lambda m: (m.new, -abs(m.change), -m.change, -m.now, m.name.casefold())
    )


def movers_section(movers: Sequence[Mover], week: str) -> str:
    """The `## Who moved this week` block `brief issue new` writes (empty if none)."""
    if not movers:
        return ""
    lines = [
        f"## {HEADING}",
        "",
        f"<!-- Per ISO week, {COUNTED}: the {TRAILING} weeks before {week}, then {week}"
        "\n     (- : the store was not collecting yet). Counted in the store by `brief issue"
        f" new`;\n     `brief issue movers {week}` counts again until the issue is published."
        "\n     Edit or delete lines; the site and the digest show what is here. -->",
        "",
        *(m.line() for m in movers[:SHOWN]),
        "",
    ]
    return "\n".join(lines)


def replace_movers_section(text: str, section: str) -> str:
    """An issue file's text with its `## Who moved this week` block (up to the next
    heading) replaced by `section`, or `section` added at the end when it has none."""
    lines = text.splitlines(keepends=True)
    start = next((i for i, line in enumerate(lines) if _HEADING_LINE.match(line.strip())), None)
    if start is None:
        if not section:
            return text
        return text.rstrip("\n") + "\n\n" + section
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    rest = "".join(lines[end:])
    block = section + ("\n" if section and rest else "")
    return "".join(lines[:start]) + block + rest


_HEADING_LINE = re.compile(rf"^##\s+{re.escape(HEADING)}\s*$", re.IGNORECASE)


def parse_mover(line: str) -> Mover | None:
    match = _LINE.match(line.strip())
    if match is None:
        return None
    before = tuple(None if n == "-" else int(n) for n in match["before"].split())
    return Mover(match["name"].strip(), before, int(match["now"]))
