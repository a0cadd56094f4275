"""Figures as readers see them: short numbers ("$265M", "2.3 million", "35%"), the "By the
numbers" block of an issue, and the archive's export (`output/figures.csv` and `.json`).

The words of a number are babel's (CLDR's compact forms), so they read as readers expect.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
)

from brief.content.articles import Article
from scrapers.clean import html_to_text
from scrapers.figures import Figure

LOCALE = "en"


def shown_value(figure: Figure) -> str:
    """A figure as a headline writes it: "$265M", "CN¥50B", "2.3 million", "35%"."""
    value = figure.value
    if figure.unit == "%":
        return f"{format_decimal(value, locale=LOCALE)}%"
    if figure.unit == "count":
        if abs(value) < 1_000_000:
            return format_decimal(value, locale=LOCALE)
        return format_compact_decimal(value, format_type="long", locale=LOCALE, fraction_digits=1)
    if abs(value) < 1_000_000:
        text = format_currency(value, figure.unit, locale=LOCALE)
        if float(value).is_integer():
            text = re.sub(r"\.00$", "", text)
    else:
        text = format_compact_currency(value, figure.unit, locale=LOCALE, fraction_digits=1)
    # "IDR1.5T" reads better as "IDR 1.5T": a space after a code written in letters.
    return re.sub(r"^([A-Z]{2,3})(?=\d)", r"\1 ", text)


@dataclass(frozen=True)
class NumberLine:
    """One line of "By the numbers": the number, what it measures, the story it is from."""

    value: str
    words: str
    slug: str
    title: str  # HTML-safe, as the article's Title


def by_the_numbers(
    articles: Iterable[Article], limit: int | None = 8, per_story: int = 2
) -> list[NumberLine]:
    """The issue's figures, story by story in issue order: at most `limit` in all (None: no
    limit) and `per_story` from one story (0: no limit)."""
    lines: list[NumberLine] = []
    for article in articles:
        for figure in article.figures[: per_story or None]:
            lines.append(NumberLine(shown_value(figure), figure.words, article.slug, article.title))
    return lines[:limit]


FIELDS = ("entity", "metric", "value", "unit", "date", "url", "title", "entities")


def figure_rows(articles: Iterable[tuple[Article, str]]) -> list[dict[str, object]]:
    """One row per published figure: (article, its absolute URL) in, newest article first."""
    rows: list[dict[str, object]] = []
    dated = [(a, url) for a, url in articles if a.status == "published" and a.figures]
    dated.sort(key=lambda item: (item[0].date or datetime.min, item[0].slug), reverse=True)
    for article, url in dated:
        for figure in article.figures:
            rows.append(
                {
                    "entity": article.entities[0] if article.entities else "",
                    "metric": figure.words,
                    "value": figure.value,
                    "unit": figure.unit,
                    "date": article.date.date().isoformat() if article.date else "",
                    "url": url,
                    "title": html_to_text(article.title),
                    "entities": list(article.entities),
                }
            )
    return rows


def write_figures(output: Path, rows: list[dict[str, object]]) -> list[Path]:
    """`figures.json` (a list of objects) and `figures.csv` (entities joined by "; ")."""
    json_path, csv_path = output / "figures.json", output / "figures.csv"
    json_path.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        flat = {**row, "entities": "; ".join(str(e) for e in row["entities"])}  # type: ignore[attr-defined]
        # A cell a spreadsheet would run as a formula starts with a quote instead.
        writer.writerow({k: _cell(v) for k, v in flat.items()})
    csv_path.write_text(buffer.getvalue(), encoding="utf-8")
    return [json_path, csv_path]


def _cell(value: object) -> object:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
