"""Issue files: `content/issues/YYYY-Www.md`, one per weekly issue.

After the metadata header comes the editor's intro (any Markdown but `##` headings), then
one `## Section` heading per section, each followed by a list of article slugs:

    ## Platforms

    - tiktok-shop-opens-to-more-sellers
    - whatnot-adds-a-feature

That list is the issue: the site and the digest publish exactly these articles, in this order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from brief.content.articles import Article
from brief.content.document import Document, format_header, optional_date
from brief.content.movers import HEADING as MOVERS_HEADING
from brief.content.movers import Mover, movers_section, parse_mover
from brief.content.weeks import is_week, parse_week
from scrapers.clean import html_to_text

_SECTION = re.compile(r"^##\s+(?P<name>[^#].*?)\s*#*\s*$")
_ITEM = re.compile(r"^[-*+]\s+(?P<slug>[a-z0-9][a-z0-9-]*)\s*(?:<!--.*-->)?\s*$")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_COMMENT_LINE = re.compile(r"^\s*(<!--.*-->)?\s*$")


@dataclass(frozen=True)
class Entry:
    slug: str
    line: int


@dataclass(frozen=True)
class Section:
    name: str
    line: int
    entries: tuple[Entry, ...]
    movers: tuple[Mover, ...] = ()  # only under `## Who moved this week`


@dataclass(frozen=True)
class Problem:
    line: int
    message: str


@dataclass(frozen=True)
class Issue:
    path: Path
    week: str  # "2026-W46"
    title: str
    date: datetime | None
    status: str
    preheader: str
    intro_md: str
    sections: tuple[Section, ...]
    problems: tuple[Problem, ...]  # lines in the article lists that are not `- slug`
    movers: tuple[Mover, ...] = ()  # the `## Who moved this week` snapshot
    document: Document | None = field(default=None, repr=False, compare=False)
    # Readers' count: 1, 2, 3... in publication order. `Number:` in the file (written by
    # `brief issue publish`), else given by `number_issues`: a draft's is the next one.
    number: int | None = None

    @property
    def slug(self) -> str:
        return self.week.lower()

    @property
    def label(self) -> str:
        """What readers call it: "Issue 3", the third published."""
        if self.number:
            return f"Issue {self.number}"
        return f"Week {self.week}" if self.week else ""

    @property
    def slugs(self) -> list[str]:
        return [entry.slug for section in self.sections for entry in section.entries]


def issue_from(document: Document, timezone: ZoneInfo) -> Issue:
    meta = document.meta
    moment = optional_date(document, timezone)
    intro, sections, problems = parse_issue_body(document.body, document.body_line)
    movers: list[Mover] = []
    for section in [s for s in sections if s.name.casefold() == MOVERS_HEADING.casefold()]:
        sections.remove(section)
        movers += section.movers
    number = None
    if "number" in meta:
        text = meta["number"].strip()
        if text.isascii() and text.isdigit() and 0 < int(text) < 100_000:
            number = int(text)
        else:
            problems.insert(
                0,
                Problem(
                    document.line_of("number"),
                    f"Number must be the issue's count, a whole number from 1 (not {text!r})",
                ),
            )
    return Issue(
        path=document.path,
        document=document,
        week=document.path.stem.upper() if is_week(document.path.stem.upper()) else "",
        title=meta.get("title", ""),
        date=moment,
        status=meta.get("status", "published").lower(),
        preheader=meta.get("preheader", ""),
        intro_md=intro,
        sections=tuple(sections),
        problems=tuple(problems),
        movers=tuple(movers),
        number=number,
    )


def number_issues(issues: Iterable[Issue]) -> list[Issue]:
    """Every issue with its number. Published issues keep a `Number:` of their own; one
    without (published before numbers were written) counts on from the one before it, in
    publication order. A draft is numbered after the last published, in week order: its
    number is fixed when it is published."""
    numbered: list[Issue] = []
    count = 0
    published = sorted(
        (issue for issue in issues if issue.status == "published"),
        key=lambda issue: (issue.date is None, issue.date or datetime.min, issue.week),
    )
    for issue in published:
        count = issue.number or count + 1
        numbered.append(replace(issue, number=count))
    last = max((issue.number or 0 for issue in numbered), default=0)
    for issue in sorted(
        (issue for issue in issues if issue.status != "published"), key=lambda i: i.week
    ):
        last = issue.number or last + 1
        numbered.append(replace(issue, number=last))
    return numbered


def parse_issue_body(body: str, first_line: int) -> tuple[str, list[Section], list[Problem]]:
    lines = body.splitlines()
    intro: list[str] = []
    sections: list[Section] = []
    problems: list[Problem] = []
    current: tuple[str, int, list[Entry]] | None = None
    movers: list[Mover] = []
    fence = comment = False
    for offset, line in enumerate(lines):
        number = first_line + offset
        if current is not None and (comment or ("<!--" in line and "-->" not in line)):
            comment = "-->" not in line  # a multi-line comment between list items
            continue
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        heading = None if fence else _SECTION.match(line)
        if heading:
            if current:
                sections.append(Section(current[0], current[1], tuple(current[2]), tuple(movers)))
            current = (heading.group("name"), number, [])
            movers = []
        elif current is None:
            intro.append(line)
        elif current[0].casefold() == MOVERS_HEADING.casefold():
            if _COMMENT_LINE.match(line):
                continue
            mover = parse_mover(line)
            if mover is None:
                problems.append(
                    Problem(
                        number,
                        "expected '- Company: 8 weekly counts (- for a week not counted)"
                        " -> this week's count'",
                    )
                )
            else:
                movers.append(mover)
        elif item := _ITEM.match(line.strip()):
            current[2].append(Entry(item.group("slug"), number))
        elif not _COMMENT_LINE.match(line):
            problems.append(Problem(number, f"expected '- article-slug' under '## {current[0]}'"))
    if current:
        sections.append(Section(current[0], current[1], tuple(current[2]), tuple(movers)))
    text = _COMMENT.sub("", "\n".join(intro))
    return text.strip(), sections, problems


INTRO_HINT = (
    "<!-- Write the intro above this comment: two or three sentences on what mattered\n"
    "     this week. Below, reorder the sections and their articles or cut some: these\n"
    "     lists of article slugs are exactly what the site and the digest publish. -->"
)


def placeholder_title(week: str) -> str:
    """The title `brief issue new` writes, for the editor to replace."""
    year, number = parse_week(week)
    return f"Week {number}, {year}"


def slug_note(article: Article) -> str:
    """The comment after a slug line: headline and outlet, to reorder at a glance."""
    words = " · ".join(part for part in (html_to_text(article.title), article.source) if part)
    words = " ".join(words.split()).replace("--", "\u2013")  # a comment never ends early
    return f"<!-- {words.removesuffix('-')} -->"


def render_issue(
    week: str,
    articles: Sequence[Article],
    sections: Sequence[str],
    timezone: ZoneInfo,
    movers: Sequence[Mover] = (),
) -> str:
    """A new issue file: the articles grouped by section, in the settings' section order."""
    year, number = parse_week(week)
    friday = datetime.combine(date.fromisocalendar(year, number, 5), time(9), timezone)
    header = format_header(
        [
            ("Title", placeholder_title(week)),
            ("Date", f"{friday:%Y-%m-%d %H:%M}"),
            ("Status", "draft"),
        ]
    )
    parts = [header, "", INTRO_HINT, ""]
    for name, members in group_by_section(articles, sections):
        parts += [f"## {name}", ""]
        parts += [f"- {article.slug}  {slug_note(article)}" for article in members]
        parts.append("")
    if movers:
        parts.append(movers_section(movers, week))
    return "\n".join(parts)


def group_by_section(
    articles: Iterable[Article], sections: Sequence[str]
) -> list[tuple[str, list[Article]]]:
    """Known sections in settings order, then unknown ones alphabetically; newest last."""
    groups: dict[str, list[Article]] = {}
    for article in articles:
        groups.setdefault(article.section or sections[0], []).append(article)
    order = [s for s in sections if s in groups] + sorted(set(groups) - set(sections))
    return [(name, sorted(groups[name], key=lambda a: (a.date is None, a.date))) for name in order]


def arrange_issue(
    text: str,
    sections: Sequence[tuple[str, Sequence[str]]],
    notes: dict[str, str] | None = None,
    intro: str | None = None,
    fields: dict[str, str] | None = None,
) -> str:
    """The issue file `text` with its article lists as `sections` say (names in order, each
    with its slugs in order): stories moved, reordered, cut or added. Everything else stays:
    each slug's own line (its comment) wherever it moves, a section's other comment lines,
    the movers' section; `intro` (when given) replaces the intro's text, its comments kept;
    `fields` are header fields set in place. `notes`: the comment for a slug added anew."""
    from brief.content.document import header_end, set_fields

    lines = text.splitlines()
    newline = "\r\n" if "\r\n" in text else "\n"
    end = header_end(lines)
    header, body = lines[:end], lines[end + 1 :] if end < len(lines) else []
    intro_lines: list[str] = []
    blocks: list[tuple[str, list[str]]] = []  # (heading line, its lines), in file order
    fence = False
    for line in body:
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and _SECTION.match(line):
            blocks.append((line, []))
        elif blocks:
            blocks[-1][1].append(line)
        else:
            intro_lines.append(line)
    item_lines: dict[str, str] = {}
    others: dict[str, list[str]] = {}  # a section's lines that are not items: comments
    kept: list[tuple[str, list[str]]] = []  # the movers' section, as it is
    for heading, block in blocks:
        name = _SECTION.match(heading).group("name")  # type: ignore[union-attr]
        if name.casefold() == MOVERS_HEADING.casefold():
            kept.append((heading, block))
            continue
        for line in block:
            item = _ITEM.match(line.strip())
            if item:
                item_lines.setdefault(item.group("slug"), line.strip())
            elif line.strip():
                others.setdefault(name, []).append(line)
    if intro is not None:
        comments = [line for line in intro_lines if _COMMENT_LINE.match(line) and line.strip()]
        comments += _multiline_comments(intro_lines)
        intro_lines = [*intro.strip("\n").splitlines(), "", *comments]
    out = [*header, "", *_trimmed(intro_lines), ""]
    named = [name for name, _ in sections]
    orphans = [line for name, lines_ in others.items() if name not in named for line in lines_]
    for index, (name, slugs) in enumerate(sections):
        extra = others.get(name, []) + (orphans if index == len(sections) - 1 else [])
        if not slugs and not extra:
            continue
        out += [f"## {name}", ""]
        for slug in slugs:
            note = (notes or {}).get(slug, "")
            out.append(item_lines.get(slug) or f"- {slug}" + (f"  {note}" if note else ""))
        if extra:
            out += ["", *extra]
        out.append("")
    for heading, block in kept:
        out += [heading, *block]
    result = newline.join(_trimmed(out)) + newline
    return set_fields(result, fields) if fields else result


def _multiline_comments(lines: Sequence[str]) -> list[str]:
    """The lines of comments spanning several lines (the intro's hint), whole."""
    found: list[str] = []
    inside = False
    for line in lines:
        if "<!--" in line and "-->" not in line:
            inside = True
        if inside:
            found.append(line)
        if inside and "-->" in line:
            inside = False
    return found


def _trimmed(lines: list[str]) -> list[str]:
    """Without blank lines at either end, nor two blank lines in a row."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out
