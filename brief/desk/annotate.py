"""An article file as a form an editor fills in (the web desk's annotate page), and back.

The file stays the one source of truth: the form is read from it, and a save changes only
the header fields the form shows (each line in place, every other field as it was) and the
body. Values are flattened to one line, so nothing typed in a field can add a header line.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from brief.content.articles import format_figures, read_figures
from brief.content.document import header_end, parse_document, set_fields, split_list
from brief.ground.markup import html_text, metadata_text
from scrapers.clean import html_to_text
from scrapers.figures import UNITS_OTHER, Figure, currency_code

MAX_FIGURES = 12


@dataclass
class ArticleForm:
    title: str = ""
    dek: str = ""
    figures: list[tuple[str, str, str]] = field(default_factory=list)  # value, unit, label
    section: str = ""
    companies: list[str] = field(default_factory=list)
    body: str = ""
    reviewed: bool = False  # the editor says the proposed dek and figures are right


def form_of(text: str, path: Path) -> ArticleForm:
    document = parse_document(text, path)
    meta = document.meta
    figures, problems = read_figures(meta.get("figures", ""))
    rows = [(_number(f.value), f.unit, f.words) for f in figures]
    if problems:  # an entry the form cannot show as fields: kept whole, in the label
        rows.append(("", "", meta.get("figures", "")))
    lines = text.splitlines()
    end = header_end(lines)
    body = "\n".join(lines[end + 1 :] if end < len(lines) else [])
    reviewed = {name.strip().lower() for name in meta.get("reviewed", "").split(",")}
    return ArticleForm(
        title=html_to_text(meta.get("title", "")),  # HTML in the file, text in the form
        dek=meta.get("dek", ""),
        figures=rows,
        section=meta.get("category", ""),
        companies=list(split_list(meta.get("entities", ""))),
        body=body,
        reviewed={"dek", "figures"} <= reviewed,
    )


def _number(value: float) -> str:
    return str(value)


# The most a field holds: a headline, a dek, a figure's label, a body (an article's body is
# a few kilobytes; Markdown is slow on some long texts, and the site renders every body).
LIMITS = {"title": 300, "dek": 600, "section": 100, "body": 100_000}
LABEL_LIMIT = 200
MAX_COMPANIES = 40


def form_problems(form: ArticleForm) -> dict[int | str, str]:
    """What the form cannot save, by field name (a figure row by its index): saved, it
    would be cut or misread, so the editor is told instead."""
    problems: dict[int | str, str] = {}
    for row, problem in figure_problems(form).items():
        problems[row] = problem
    for name, limit in LIMITS.items():
        if len(getattr(form, name)) > limit:
            problems[name] = f"at most {limit:,} characters (this has {len(getattr(form, name)):,})"
    if len(form.companies) > MAX_COMPANIES or any(len(c) > 100 for c in form.companies):
        problems["companies"] = f"at most {MAX_COMPANIES} companies, of 100 characters each"
    return problems


def figure_problems(form: ArticleForm) -> dict[int, str]:
    """A problem per figure row (by its index) that is not a figure; empty rows are none."""
    problems: dict[int, str] = {}
    for index, (value, unit, label) in enumerate(form.figures):
        if not (value.strip() or unit.strip() or label.strip()):
            continue
        try:
            number = float(value)
        except ValueError:
            problems[index] = f"{value!r} is not a number (write 2.5, not 2,5 or $2.5)"
            continue
        if not math.isfinite(number):
            problems[index] = f"{value!r} is not a number"
        elif not (unit.strip() in UNITS_OTHER or currency_code(unit.strip())):
            problems[index] = "the unit is a currency code (USD, CNY...), % or count"
        elif not label.strip():
            problems[index] = "say what the number measures, and whose"
        elif len(label) > LABEL_LIMIT or len(value) > 40:
            problems[index] = f"a label has at most {LABEL_LIMIT} characters"
    if len([row for row in form.figures if any(part.strip() for part in row)]) > MAX_FIGURES:
        problems[MAX_FIGURES] = f"at most {MAX_FIGURES} figures"
    return problems


def apply_form(text: str, form: ArticleForm) -> str:
    """`text` (the file as opened) with the form's fields and body. Call `figure_problems`
    first: rows that are not figures are left out here."""
    newline = "\r\n" if "\r\n" in text else "\n"
    figures = []
    for value, unit, label in form.figures:
        try:
            number = float(value)
        except ValueError:
            continue
        if not math.isfinite(number) or not label.strip():
            continue
        shown: int | float = int(number) if number.is_integer() and "." not in value else number
        figures.append(Figure(shown, unit.strip(), label, label))
    fields = {
        "Title": html_text(form.title),
        "Dek": _line(form.dek),
        "Category": _line(form.section),
        "Entities": ", ".join(_line(name).replace(",", " ") for name in form.companies),
        "Figures": format_figures(figures),
    }
    document = parse_document(text, Path("form"))
    if form.reviewed:
        known = split_list(document.meta.get("reviewed", ""))
        fields["Reviewed"] = ", ".join(dict.fromkeys([*known, "dek", "figures"]))
    header = set_fields(_header(text), fields)
    body = re.sub(r"\r\n?", "\n", form.body).strip("\n")
    if newline != "\n":
        body = body.replace("\n", newline)
    return f"{header.rstrip()}{newline}{newline}{body}{newline}"


def _header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    end = header_end([line.rstrip("\r\n") for line in lines])
    return "".join(lines[:end])


def _line(value: str) -> str:
    """A header value: one line, no control characters."""
    return metadata_text(" ".join(value.split()))
