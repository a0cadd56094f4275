"""Movers: which watchlist companies the news talks about more, or less, this week.

For each entity, the stories naming it per ISO week (a cluster of copies counts once): the
issue's week against the 8 weeks before. `brief issue new` counts them in the store and
writes the snapshot into the issue's file, under `## Who moved this week`:

    ## Who moved this week

    - TikTok Shop: 4 6 5 4 7 6 6 3 -> 12
    - Kuaishou: 5 5 6 4 5 6 5 5 -> 1

eight weekly counts, oldest first, then this week's. The site and the digest read only the
file, so they show the same figures forever, with or without the store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from markupsafe import Markup

from brief.content.weeks import week_bounds, week_of
from scrapers.entities import Entity

HEADING = "Who moved this week"
TRAILING = 8  # weeks before the week
SHOWN = 10  # entities written into an issue
_LINE = re.compile(
    rf"^[-*+]\s+(?P<name>[^:]+?)\s*:\s*(?P<before>(?:\d+\s+){{{TRAILING}}})(?:->|→)\s*(?P<now>\d+)\s*$"
)


@dataclass(frozen=True)
class Mover:
    """One entity's weekly mentions: the trailing weeks, oldest first, then this week."""

    name: str
    before: tuple[int, ...]
    now: int

    @property
    def average(self) -> float:
        return sum(self.before) / len(self.before) if self.before else 0.0

    @property
    def change(self) -> float:
        return self.now - self.average

    @property
    def direction(self) -> str:
        return "up" if self.change > 0 else "down" if self.change < 0 else "flat"

    @property
    def weeks(self) -> tuple[int, ...]:
        return (*self.before, self.now)

    def line(self) -> str:
        return f"- {self.name}: {' '.join(map(str, self.before))} -> {self.now}"

    def sparkline(self, width: int = 96, height: int = 24) -> Markup:
        """An inline SVG line of the nine weeks, this week's point marked."""
        top = max(max(self.weeks), 1)
        step = width / (len(self.weeks) - 1)
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
) -> list[Mover]:
    """Movers for `week` from (published datetime, entity names) pairs."""

    start, _ = week_bounds(week, timezone)
    weeks = [week_of(start - timedelta(weeks=n)) for n in range(TRAILING, -1, -1)]
    index = {w: i for i, w in enumerate(weeks)}
    known = {e.name for e in entities}
    counts: dict[str, list[int]] = {}
    for published, names in mentions:
        when = week_of(published.astimezone(timezone))  # type: ignore[attr-defined]
        if when not in index:
            continue
        for name in set(names) & known:
            counts.setdefault(name, [0] * len(weeks))[index[when]] += 1
    movers = [Mover(name, tuple(c[:-1]), c[-1]) for name, c in counts.items()]
    return ranked(movers)


def ranked(movers: Iterable[Mover]) -> list[Mover]:
    """Biggest change first (rising before falling on a tie), then by name."""
    return sorted(movers, key=lambda m: (-abs(m.change), -m.change, m.name.casefold()))


def movers_section(movers: Sequence[Mover], week: str) -> str:
    """The `## Who moved this week` block `brief issue new` writes (empty if none)."""
    if not movers:
        return ""
    lines = [
        f"## {HEADING}",
        "",
        f"<!-- Stories naming each company per ISO week (a story counted once), the {TRAILING}"
        f" weeks\n     before {week}, then {week}: counted in the store by `brief issue new`."
        "\n     Edit or delete lines; the site and the digest show what is here. -->",
        "",
        *(m.line() for m in movers[:SHOWN]),
        "",
    ]
    return "\n".join(lines)


def parse_mover(line: str) -> Mover | None:
    match = _LINE.match(line.strip())
    if match is None:
        return None
    before = tuple(int(n) for n in match["before"].split())
    return Mover(match["name"].strip(), before, int(match["now"]))
