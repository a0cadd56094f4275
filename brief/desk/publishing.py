"""Assembling and publishing an issue: `brief issue new` and `brief issue publish`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from brief.content.articles import Article
from brief.content.document import set_fields
from brief.content.files import Newsletter, content_writer, load_newsletter
from brief.content.issues import render_issue
from brief.content.movers import (
    MIN_SCORE,
    TRAILING,
    Mover,
    count_mentions,
    movers_section,
    replace_movers_section,
)
from brief.content.weeks import week_bounds
from brief.desk.check import Finding, check_newsletter, has_errors
from brief.ground.errors import ContentError
from brief.ground.settings import Settings
from brief.ground.terminal import plural
from brief.mail.digest import digest_probe


def week_movers(settings: Settings, db: Path, week: str) -> list[Mover]:
    """Who moved in `week`: watchlist mentions in the store, this week against 8 before."""
    from scrapers.entities import load_entities
    from scrapers.storage import open_store

    start, end = week_bounds(week, settings.timezone)
    with open_store(db) as store:
        since = start - timedelta(weeks=TRAILING)
        mentions = list(store.stories.mentions(since, end, MIN_SCORE))
        collecting = store.stories.collecting_since()
    entities = load_entities(settings.entities)
    return count_mentions(mentions, entities, week, settings.timezone, collecting)


def refresh_movers(settings: Settings, db: Path, week: str) -> tuple[Path, list[Mover]]:
    """Count the movers of an unpublished issue again and write them into its file (the
    rest of the file as it is); a published issue keeps the snapshot it went out with."""
    newsletter = load_newsletter(settings)
    issue = newsletter.issues.get(week)
    path = settings.content / "issues" / f"{week}.md"
    if issue is None:
        raise ContentError(f"no issue {week}: start it with brief issue new --week {week}", path)
    if issue.status == "published":
        raise ContentError(
            f"issue {week} is published: its movers stay as they went out to readers", path
        )
    if not db.exists():
        raise ContentError(f"no store at {db}: nothing to count movers in", path)
    movers = week_movers(settings, db, week)
    section = movers_section(movers, week)
    content_writer(settings).update(issue.path, lambda text: replace_movers_section(text, section))
    return issue.path, movers


def new_issue(settings: Settings, week: str, movers: Sequence[Mover] = ()) -> tuple[Path, int]:
    """Write `content/issues/<week>.md` with every accepted article not yet in an issue,
    whatever the date of its story. Refuses (nothing written) when there is none."""
    path = settings.content / "issues" / f"{week}.md"
    if path.exists():
        raise ContentError(
            f"issue {week} already exists; edit it, or delete it to start over", path
        )
    newsletter = load_newsletter(settings)
    articles = articles_not_in_an_issue(newsletter)
    if not articles:
        raise ContentError(
            f"nothing to put in issue {week}: every accepted article is already in an issue;"
            " accept stories first (brief triage), then run brief issue new again",
            path,
        )
    content_writer(settings).create(
        path, render_issue(week, articles, settings.sections, settings.timezone, movers)
    )
    return path, len(articles)


@dataclass(frozen=True)
class Publication:
    issue: Path
    articles: list[Path]
    findings: list[Finding]


def publish_issue(settings: Settings, week: str, now: datetime) -> Publication:
    """Check an issue; if it passes, mark it and its articles published (dated today).

    Raises PublishRefused, carrying every finding, when the check reports an error.
    """
    newsletter = load_newsletter(settings)
    issue = newsletter.issue(week)
    findings = check_newsletter(
        newsletter, settings, week, publishing=True, digest=digest_probe(settings)
    )
    if has_errors(findings):
        raise PublishRefused(week, findings)
    today = now.astimezone(settings.timezone)
    writer = content_writer(settings)
    # The issue first: a publish stopped half way (even by kill -9) leaves a published
    # issue listing draft articles, which `brief check` reports and which running publish
    # again completes, keeping the issue's date.
    if issue.status != "published":
        fields = {"Status": "published", "Date": f"{today:%Y-%m-%d %H:%M}"}
        published = [i.number or 0 for i in newsletter.issues.values() if i.status == "published"]
        fields["Number"] = str(max(published, default=0) + 1)  # kept if the file has one
        writer.update(
            issue.path,
            lambda text: set_fields(text, fields, only_if_missing=("Number",)),
        )
    changed = []
    for slug in dict.fromkeys(issue.slugs):
        article = newsletter.articles[slug]
        if writer.update(
            article.path,
            lambda text: set_fields(
                text,
                {"Status": "published", "Published": f"{today:%Y-%m-%d}"},
                only_if_missing=("Published",),
            ),
        ):
            changed.append(article.path)
    return Publication(issue.path, changed, findings)


class PublishRefused(ContentError):
    def __init__(self, week: str, findings: list[Finding]):
        self.findings = findings
        errors = sum(f.level == "error" for f in findings)
        super().__init__(f"issue {week} is not published: {plural(errors, 'error')} (listed above)")


def articles_not_in_an_issue(newsletter: Newsletter) -> list[Article]:
    """Accepted articles (drafts and published, not hidden) that no issue lists yet."""
    in_issues = {slug for issue in newsletter.issues.values() for slug in issue.slugs}
    return [
        article
        for article in newsletter.articles.values()
        if article.status in ("draft", "published") and article.slug not in in_issues
    ]
