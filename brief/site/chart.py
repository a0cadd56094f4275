"""The entity pages' chart: articles per month, drawn as inline SVG at build time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from html import escape


def mention_chart(days: Sequence[date], name: str, width: int = 640, height: int = 120) -> str:
    """Articles per month as an inline SVG bar chart (no JavaScript), with a text fallback."""
    if not days:
        return ""
    counts = Counter(date(d.year, d.month, 1) for d in days)
    last = max(counts)
    # From the first month with an article (a new company gets no year of empty bars), but
    # at least three months, so one busy month reads as a bar among others, not a wall.
    first = min(min(counts), _months_before(last, 2))
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = _next_month(current)
    top = max(counts.values())
    slot = (width - 40) / len(months)  # the bars spread over the whole width
    bar_width = max(3, min(48, round(slot * 0.7)))
    # The labels' band holds them at the biggest size a phone gives them (26 units, see
    # brief.css): bars end above it, and a month without an article draws no bar at all,
    # only the baseline.
    plot_height = height - 44
    baseline = plot_height + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">Articles naming {escape(name)} per month, '
        f"{first:%B %Y} to {last:%B %Y}: {sum(counts.values())} in all</title>",
    ]
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        bar_height = max(1, round(plot_height * count / top))
        x = round(30 + index * slot + (slot - bar_width) / 2, 1)
        if count:
            parts.append(
                f'<rect x="{x}" y="{baseline - bar_height}" width="{bar_width}" '
                f'height="{bar_height}" class="bar"><title>{month:%B %Y}: {count}</title></rect>'
            )
        if (len(months) - 1 - index) % max(1, -(-len(months) // 4)) == 0:  # the last always
            parts.append(
                f'<text x="{x + bar_width / 2}" y="{height - 4}" text-anchor="middle" '
                f'class="label">{month:%b %Y}</text>'
            )
    parts.append(
        f'<line x1="30" y1="{baseline + 0.5}" x2="{width - 10}" y2="{baseline + 0.5}" '
        'class="axis"/>'
    )
    parts.append(f'<text x="0" y="18" class="label">{top}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _months_before(day: date, count: int) -> date:
    index = day.year * 12 + day.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
