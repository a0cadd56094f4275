"""Assembling the week's issue: what the web desk's issue page (and any other face) calls.

The issue file stays the one source of truth: it is read into an `IssueDraft`, and a save
rewrites only its header fields, its intro and its article lists (`arrange_issue`), refused
when the file changed since it was opened. Publishing and sending are `brief issue publish`
and `brief send`'s own functions; a test digest goes to one editor, outside the delivery
log, so the real send still reaches them if they subscribe.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brief.content.articles import Article
from brief.content.files import Newsletter, content_writer, fingerprint, load_newsletter
from brief.content.issues import Issue, arrange_issue, slug_note
from brief.content.movers import HEADING as MOVERS_HEADING
from brief.content.weeks import week_of
from brief.desk.check import Finding, check_newsletter
from brief.desk.publishing import articles_not_in_an_issue, new_issue, week_movers
from brief.ground.errors import ContentError
from brief.ground.markup import html_text, metadata_text
from brief.ground.settings import Settings
from brief.mail.digest import DigestRenderer, digest_probe, sample_digest
from brief.mail.transport import send_message


@dataclass(frozen=True)
class Placed:
    """An article in the issue: where, and what it is."""

    section: str
    article: Article | None  # None: the issue lists a slug no article has
    slug: str


@dataclass(frozen=True)
class IssueDraft:
    issue: Issue
    text: str  # the file as read
    placed: tuple[Placed, ...]  # in the issue's order
    available: tuple[Article, ...]  # accepted articles no issue lists yet
    newsletter: Newsletter  # as read for this draft

    @property
    def opened(self) -> str:
        return fingerprint(self.text)


def this_week(settings: Settings, now: datetime) -> str:
    return week_of(now.astimezone(settings.timezone))


def issue_draft(settings: Settings, week: str) -> IssueDraft:
    newsletter = load_newsletter(settings)
    issue = newsletter.issue(week)
    text = issue.path.read_text(encoding="utf-8")
    placed = tuple(
        Placed(section.name, newsletter.articles.get(entry.slug), entry.slug)
        for section in issue.sections
        if section.name.casefold() != MOVERS_HEADING.casefold()
        for entry in section.entries
    )
    return IssueDraft(issue, text, placed, tuple(articles_not_in_an_issue(newsletter)), newsletter)


def start_issue(settings: Settings, week: str) -> tuple[Path, int]:
    """`brief issue new`: the week's issue with every accepted article not in one yet."""
    return new_issue(settings, week, week_movers(settings, settings.db, week))


def save_issue(
    settings: Settings,
    week: str,
    opened: str,
    title: str,
    preheader: str,
    intro: str,
    sections: Sequence[tuple[str, Sequence[str]]],
) -> None:
    """Write the issue as the editor arranged it; EditConflict when the file changed since
    they opened it (`opened` is its fingerprint then)."""
    newsletter = load_newsletter(settings)
    issue = newsletter.issue(week)
    path = issue.path
    intro = intro.replace("\r\n", "\n")
    _check_arrangement(issue, newsletter, settings, intro, sections)
    notes = {slug: slug_note(a) for slug, a in newsletter.articles.items()}
    # The title is HTML in the file (as Pelican reads it): what the editor typed is text.
    fields = {"Title": html_text(title), "Preheader": metadata_text(preheader)}
    content_writer(settings).save(
        path, lambda text: arrange_issue(text, sections, notes, intro, fields), opened
    )


_SLUG = re.compile(r"[a-z0-9][a-z0-9-]*")
_FENCE = re.compile(r"^\s*(```|~~~)")
_HEADING = re.compile(r"^##\s")


def _check_arrangement(
    issue: Issue,
    newsletter: Newsletter,
    settings: Settings,
    intro: str,
    sections: Sequence[tuple[str, Sequence[str]]],
) -> None:
    """ContentError, and nothing written, for what would change the file's shape: an intro
    that opens a code block or a section of its own (the lists after it would read as
    intro), a section that is not one, a story that is no article."""
    fence = False
    for line in intro.splitlines():
        if _FENCE.match(line):
            fence = not fence
        elif not fence and _HEADING.match(line):
            raise ContentError(
                f"the intro may not start a section ({line.strip()!r}): sections are the"
                " story lists below it", issue.path,
            )  # fmt: skip
    if fence:
        raise ContentError("the intro opens a code block (```) it does not close", issue.path)
    known = {*settings.sections, *(s.name for s in issue.sections)} - {MOVERS_HEADING}
    listed = set(issue.slugs)
    for name, slugs in sections:
        if name not in known:
            raise ContentError(f"{name!r} is not a section of this newsletter", issue.path)
        for slug in slugs:
            if not _SLUG.fullmatch(slug) or (
                slug not in newsletter.articles and slug not in listed
            ):
                raise ContentError(f"{slug!r} is no article's slug", issue.path)


def issue_findings(
    settings: Settings, week: str, newsletter: Newsletter | None = None
) -> list[Finding]:
    """`brief check WEEK` as publishing runs it (its digest measured), on the newsletter as
    read already when given."""
    newsletter = newsletter or load_newsletter(settings)
    return check_newsletter(
        newsletter, settings, week, publishing=True, digest=digest_probe(settings)
    )


def digest_html(settings: Settings, week: str, newsletter: Newsletter | None = None) -> str:
    """The week's digest as subscribers would get it (a sample recipient)."""
    newsletter = newsletter or load_newsletter(settings)
    return sample_digest(DigestRenderer(settings), newsletter.issue(week), newsletter).html


def send_test(settings: Settings, week: str, to: str, editor: str) -> str:
    """The week's digest to one editor, subject marked as a test; not in the delivery log.
    The address it went to."""
    if not to:
        raise ContentError(
            f"{editor} has no email address: `brief editors remove` and `brief editors add"
            " --email` give them one"
        )
    newsletter = load_newsletter(settings)
    issue = newsletter.issue(week)
    digest = DigestRenderer(settings).render(issue, newsletter, recipient=to)
    message = digest.message
    subject = message["Subject"]
    del message["Subject"]
    message["Subject"] = f"[Test] {subject}"
    send_message(settings.smtp, message)
    return to
