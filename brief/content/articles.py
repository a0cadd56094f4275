"""Article files: `content/articles/YYYY/<slug>.md`, one accepted story each.

The body is the source's summary as a quote, then the editor's `## Why it matters`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

from brief.content.document import Document, format_header, optional_date, split_list
from brief.ground.markup import MarkdownRenderer, html_text, markdown_quote, metadata_text
from scrapers.clean import slugify, web_url
from scrapers.figures import (
    UNITS_OTHER,
    Figure,
    currency_code,
    figure_label,
    lead_sentence,
    story_figures,
)
from scrapers.records import Story

ANNOTATION_HEADING = "## Why it matters"
_ANNOTATION = re.compile(r"^##\s+why it matters\s*#*\s*$", re.IGNORECASE | re.MULTILINE)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_ANNOTATION_HTML = re.compile(r"(<h2[^>]*>Why it matters</h2>)")


@dataclass(frozen=True)
class Article:
    """An article file: what the commands, the checks, the site and the digest all read,
    built by `article_from` and nowhere else."""

    path: Path
    slug: str
    title: str  # HTML-safe text, as Pelican treats it
    date: datetime | None
    section: str
    status: str
    source: str
    link: str
    entities: tuple[str, ...]
    tags: tuple[str, ...]
    summary_md: str
    annotation_md: str
    annotation_line: int | None
    also: tuple[Outlet, ...] = ()
    dek: str = ""  # the story's fact in one sentence, plain text
    figures: tuple[Figure, ...] = ()
    document: Document | None = field(default=None, repr=False, compare=False)
    # Rendered once by the reader during a build; empty when read for a command.
    quote_html: str = ""
    annotation_html: str = ""

    @property
    def has_annotation(self) -> bool:
        return bool(_COMMENT.sub("", self.annotation_md).strip())

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        """Every outlet that ran the story: the source first (its link only if usable: a
        source is named even when its link is not), then the others."""
        return (Outlet(self.source, web_url(self.link) or ""), *self.also)


def article_from(document: Document, timezone: ZoneInfo) -> Article:
    """Read an article leniently: missing fields become empty; `brief check` reports them."""
    meta = document.meta
    date = optional_date(document, timezone)
    summary, annotation, annotation_line = split_annotation(document.body, document.body_line)
    return Article(
        path=document.path,
        document=document,
        slug=meta.get("slug") or document.path.stem,
        title=meta.get("title", ""),
        date=date,
        section=meta.get("category", ""),
        status=meta.get("status", "published").lower(),
        source=meta.get("source", ""),
        link=meta.get("link", ""),
        entities=split_list(meta.get("entities", "")),
        tags=split_list(meta.get("tags", "")),
        summary_md=summary,
        annotation_md=annotation,
        annotation_line=annotation_line,
        also=parse_also(meta.get("also", "")),
        dek=metadata_text(meta.get("dek", "")),
        figures=read_figures(meta.get("figures", ""))[0],
    )


class Outlet(NamedTuple):
    """Another outlet that ran the story: its name and its link (always http(s))."""

    source: str
    link: str


def format_also(outlets: Iterable[Outlet]) -> str:
    """The `Also:` value: a JSON list of {"source", "link"} objects, one line."""
    return json.dumps(
        [{"source": metadata_text(o.source), "link": o.link} for o in outlets],
        ensure_ascii=False,
    )


def parse_also(value: str) -> tuple[Outlet, ...]:
    """The outlets of an `Also:` value; entries without an http(s) link are left out.

    Written as JSON by `brief accept`. Files from before hold `Name <url>; Name <url>`,
    still read; `brief check` reports anything in either form it cannot use.
    """
    outlets, _ = read_also(value)
    return outlets


def read_also(value: str) -> tuple[tuple[Outlet, ...], list[str]]:
    """(the usable outlets, a problem per entry that is not) of an `Also:` value."""
    value = value.strip()
    if not value:
        return (), []
    problems: list[str] = []
    pairs: list[tuple[object, object]] = []
    if value.startswith("["):
        try:
            data = json.loads(value)
        except (ValueError, RecursionError) as err:
            return (), [f"Also is not valid JSON: {err}"]
        if not isinstance(data, list):
            return (), ['Also must be a JSON list of {"source": ..., "link": ...}']
        for item in data:
            if isinstance(item, dict):
                pairs.append((item.get("source"), item.get("link")))
            else:
                problems.append(f"Also: {item!r} is not an object with source and link")
    else:
        pairs = [(m.group(1), m.group(2)) for m in re.finditer(r"([^;<]+)<([^>]*)>", value)]
    outlets = []
    for source, link in pairs:
        url = web_url(link) if isinstance(link, str) else None
        if not isinstance(source, str) or not source.strip() or url is None or url != link:
            problems.append(f"Also: {link!r} is not an http(s) link with a source name")
            continue
        outlets.append(Outlet(metadata_text(source), url))
    return tuple(outlets), problems


_FIGURE_ENTRY = re.compile(r'\s*(-?\d+(?:\.\d+)?)\s+(\S+)\s+"([^"]*)"\s*')


def format_figures(figures: Iterable[Figure]) -> str:
    """The `Figures:` value: `VALUE UNIT "label"` entries, separated by semicolons.

    VALUE is the plain number (no separators), UNIT an ISO 4217 code, `%` or `count`, and
    the quoted label says what it measures and whose ("Walmart creator-program hosts"),
    without the number: "By the numbers" shows the number, then the label.
    """
    entries = []
    for figure in figures:
        words = metadata_text(figure.words or figure.text).replace('"', "'").replace(";", ",")
        entries.append(f'{figure.value} {figure.unit} "{words}"')
    return "; ".join(entries)


def read_figures(value: str) -> tuple[tuple[Figure, ...], list[str]]:
    """(the figures, a problem per entry that is not one) of a `Figures:` value."""
    found: list[Figure] = []
    problems: list[str] = []
    for entry in value.split(";"):
        if not entry.strip():
            continue
        match = _FIGURE_ENTRY.fullmatch(entry)
        if match is None:
            problems.append(f'Figures: {entry.strip()!r} is not VALUE UNIT "words"')
            continue
        number, unit, words = match.groups()
        if not (unit in UNITS_OTHER or currency_code(unit)):
            problems.append(
                f"Figures: unit {unit!r} is not an ISO 4217 currency code, '%' or 'count'"
            )
            continue
        amount = float(number)
        figure_value = int(amount) if amount.is_integer() and "." not in number else amount
        found.append(Figure(figure_value, unit, words.strip(), words.strip()))
    return tuple(found), problems


def rendered(article: Article, renderer: MarkdownRenderer) -> tuple[str, Article]:
    """The article's body as HTML (the quote, then *Why it matters*), and its record with
    both parts: the body is rendered once, and split at the heading `article_from` found."""
    if article.annotation_line is None:
        quote_html = renderer.render(article.summary_md)
        return quote_html, replace(article, quote_html=quote_html)
    html = renderer.render(
        f"{article.summary_md}\n\n{ANNOTATION_HEADING}\n\n{article.annotation_md}"
    )
    parts = _ANNOTATION_HTML.split(html, maxsplit=1)
    if len(parts) != 3:  # a Markdown setting drew the heading otherwise: render each part
        quote_html = renderer.render(article.summary_md)
        annotation_html = renderer.render(article.annotation_md)
        html = f"{quote_html}\n<h2>Why it matters</h2>\n{annotation_html}"
        return html, replace(article, quote_html=quote_html, annotation_html=annotation_html)
    return html, replace(article, quote_html=parts[0].strip(), annotation_html=parts[2].strip())


def split_annotation(body: str, first_line: int) -> tuple[str, str, int | None]:
    """(summary, annotation, line of the heading) from an article body."""
    match = _ANNOTATION.search(body)
    if match is None:
        return body.strip(), "", None
    line = first_line + body.count("\n", 0, match.start())
    return body[: match.start()].strip(), body[match.end() :].strip(), line


def article_path(content: Path, published: datetime, slug: str) -> Path:
    return content / "articles" / f"{published:%Y}" / f"{slug}.md"


def article_slug(title: str, max_words: int = 10) -> str:
    """The slug `brief accept` gives a title: its first words, at most 80 bytes."""
    return slugify(title, max_words)


def render_article(
    story: Story,
    section: str,
    slug: str,
    timezone: ZoneInfo,
    found: Sequence[Figure] | None = None,
) -> str:
    """A new draft for an accepted candidate, ready for the editor's annotation; `found`
    is the story's figures when the caller has read them already."""
    local = story.published.astimezone(timezone)
    fields = [
        ("Title", html_text(story.title)),
        ("Date", f"{local:%Y-%m-%d %H:%M}"),
        ("Category", section),
        ("Slug", slug),
        ("Status", "draft"),
        ("Source", story.publisher),
        ("Link", story.link),
        ("Entities", ", ".join(story.entities)),
    ]
    others = [Outlet(s.name, s.link) for s in story.sources if s.link != story.link]
    if others:
        fields.append(("Also", format_also(others)))
    fields.append(("Dek", metadata_text(lead_sentence(story.summary_text or story.title))))
    # A figure its own text contradicts (a conversion that disagrees) is not proposed:
    # `brief accept` says why, and the editor adds it once they know which number is right.
    if found is None:
        found = story_figures(story.title, story.summary_text or "")
    found = [f for f in found if not f.doubt]
    if found:
        # Each labelled with what it measures and whose: a proposal `brief check` asks the
        # editor to review (the ledger remembers it).
        owner = next(iter(story.about or story.entities), "")
        labelled = [replace(f, words=figure_label(f, owner)) for f in found]
        fields.append(("Figures", format_figures(labelled)))
    quote = markdown_quote(story.summary_text) if story.summary_text else ""
    body = f"{quote}\n\n{ANNOTATION_HEADING}\n\n" if quote else f"{ANNOTATION_HEADING}\n\n"
    return f"{format_header(fields)}\n{body}"
