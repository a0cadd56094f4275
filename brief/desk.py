"""The editor's desk: deciding on candidates, starting and publishing an issue."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brief.articles import Article, article_path, article_slug, render_article
from brief.check import Finding, check_newsletter, has_errors
from brief.content import Newsletter, content_writer, load_newsletter
from brief.document import set_fields
from brief.errors import BriefError, ContentError
from brief.issues import render_issue, week_bounds
from brief.settings import Settings
from scrapers.clean import SLUG_MAX
from scrapers.entities import Entity
from scrapers.records import Action, Story
from scrapers.storage import Store, store_error


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate of a batch: a path, or why nothing was written."""

    candidate_id: int
    path: Path | None = None
    error: BriefError | None = None
    note: str = ""


def guess_section(candidate: Story, entities: Sequence[Entity], settings: Settings) -> str:
    """The source's section, else one suggested by the main entity's kind or region."""
    if candidate.section in settings.sections:
        return candidate.section
    by_name = {entity.name: entity for entity in entities}
    for name in candidate.about or candidate.entities:
        entity = by_name.get(name)
        if entity is None:
            continue
        for guess in (
            settings.section_by_region.get(entity.region),
            settings.section_by_kind.get(entity.kind),
        ):
            if guess in settings.sections:
                return guess
    return settings.sections[0]


def accept(
    store: Store,
    ids: Sequence[int],
    settings: Settings,
    entities: Sequence[Entity],
    now: datetime,
    section: str | None = None,
    who: str = "",
) -> list[Outcome]:
    """Write a draft per candidate; already accepted ones are left alone, with a reason."""
    outcomes = []
    existing = load_newsletter(settings).articles
    taken = set(existing)
    by_link = {article.link: article.path for article in existing.values() if article.link}
    writer = content_writer(settings)
    for candidate_id in ids:
        candidate = store.stories.get(candidate_id)
        if candidate is None:
            outcomes.append(
                Outcome(candidate_id, error=BriefError(f"no candidate #{candidate_id}"))
            )
            continue
        if candidate.status == "accepted" and candidate.article_path:
            note = "already accepted; its file is left as it is"
            outcomes.append(Outcome(candidate_id, path=Path(candidate.article_path), note=note))
            continue
        links = {candidate.link, *(s.link for s in candidate.sources)}
        known = next((by_link[link] for link in links if link in by_link), None)
        if known is not None:
            with store.transaction():
                store.decisions.record(
                    candidate_id, "accepted", now, who, str(_relative(known, settings))
                )
            note = "already has an article file; left as it is"
            outcomes.append(Outcome(candidate_id, path=_relative(known, settings), note=note))
            continue
        slug = _free_slug(article_slug(candidate.title), taken)
        path = article_path(settings.content, candidate.published, slug)
        chosen = section or guess_section(candidate, entities, settings)
        try:
            writer.create(path, render_article(candidate, chosen, slug, settings.timezone))
        except ContentError as err:
            outcomes.append(Outcome(candidate_id, error=err))
            continue
        taken.add(slug)
        relative = _relative(path, settings)
        try:
            with store.transaction():
                store.decisions.record(candidate_id, "accepted", now, who, str(relative))
        except sqlite3.Error as err:
            # The store cannot record the decision: take the new draft back, so content/,
            # the ledger and the store still agree, and stop (the next ones would fail too).
            writer.delete_untouched(path, "delete it by hand")
            raise store_error(store.path, err) from err
        outcomes.append(Outcome(candidate_id, path=relative))
    return outcomes


def decide(
    store: Store, ids: Sequence[int], action: Action, now: datetime, who: str = ""
) -> list[Outcome]:
    """Reject, shortlist or put back (`new`) candidates; accepted ones need `unaccept`."""
    outcomes = []
    with store.transaction():
        for candidate_id in ids:
            candidate = store.stories.get(candidate_id)
            if candidate is None:
                outcomes.append(
                    Outcome(candidate_id, error=BriefError(f"no candidate #{candidate_id}"))
                )
            elif candidate.status == "accepted":
                error = BriefError(
                    f"candidate #{candidate_id} is accepted as {candidate.article_path};"
                    f" run `brief unaccept {candidate_id}` first"
                )
                outcomes.append(Outcome(candidate_id, error=error))
            else:
                store.decisions.record(candidate_id, action, now, who)
                outcomes.append(Outcome(candidate_id))
    return outcomes


def unaccept(
    store: Store, ids: Sequence[int], settings: Settings, now: datetime, who: str = ""
) -> list[Outcome]:
    """Delete the drafts of accepted candidates, but only drafts nobody edited."""
    outcomes = []
    writer = content_writer(settings)
    for candidate_id in ids:
        candidate = store.stories.get(candidate_id)
        if candidate is None or candidate.status != "accepted" or not candidate.article_path:
            error = BriefError(f"candidate #{candidate_id} is not accepted")
            outcomes.append(Outcome(candidate_id, error=error))
            continue
        path = settings.root / candidate.article_path
        if path.exists():
            try:
                writer.delete_untouched(
                    path, "delete it yourself if you really want it gone, then unaccept again"
                )
            except ContentError as err:
                outcomes.append(Outcome(candidate_id, error=err))
                continue
        with store.transaction():
            store.decisions.record(candidate_id, "new", now, who)
        outcomes.append(Outcome(candidate_id, path=Path(candidate.article_path)))
    return outcomes


def new_issue(settings: Settings, week: str) -> tuple[Path, int]:
    """Write `content/issues/<week>.md` with the week's articles not already in an issue."""
    path = settings.content / "issues" / f"{week}.md"
    if path.exists():
        raise ContentError(
            f"issue {week} already exists; edit it, or delete it to start over", path
        )
    newsletter = load_newsletter(settings)
    articles = _articles_for_week(newsletter, week, settings)
    content_writer(settings).create(
        path, render_issue(week, articles, settings.sections, settings.timezone)
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
    findings = check_newsletter(newsletter, settings, week, publishing=True)
    if has_errors(findings):
        raise PublishRefused(week, findings)
    today = now.astimezone(settings.timezone)
    writer = content_writer(settings)
    # The issue first: a publish stopped half way (even by kill -9) leaves a published
    # issue listing draft articles, which `brief check` reports and which running publish
    # again completes, keeping the issue's date.
    if issue.status != "published":
        writer.update(
            issue.path,
            lambda text: set_fields(
                text, {"Status": "published", "Date": f"{today:%Y-%m-%d %H:%M}"}
            ),
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


class PublishRefused(BriefError):
    def __init__(self, week: str, findings: list[Finding]):
        self.findings = findings
        errors = sum(f.level == "error" for f in findings)
        super().__init__(f"issue {week} is not published: {errors} errors (listed above)")


def _articles_for_week(newsletter: Newsletter, week: str, settings: Settings) -> list[Article]:
    start, end = week_bounds(week, settings.timezone)
    in_issues = {slug for issue in newsletter.issues.values() for slug in issue.slugs}
    return [
        article
        for article in newsletter.articles.values()
        if article.date is not None
        and start <= article.date < end
        and article.slug not in in_issues
    ]


def _free_slug(slug: str, taken: set[str]) -> str:
    candidate, number = slug, 2
    while candidate in taken:
        suffix = f"-{number}"
        candidate, number = f"{slug[: SLUG_MAX - len(suffix)].rstrip('-')}{suffix}", number + 1
    return candidate


def _relative(path: Path, settings: Settings) -> Path:
    return path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
