"""The editor's desk: accepting and rejecting candidates, starting an issue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brief.articles import Article, article_path, article_slug, render_article
from brief.content import Newsletter, load_newsletter, write_new_file
from brief.errors import BriefError, ContentError
from brief.issues import render_issue, week_bounds
from brief.settings import Settings
from scrapers.candidate import Candidate
from scrapers.entities import Entity
from scrapers.store import Store


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate of a batch: a path, or why nothing was written."""

    candidate_id: int
    path: Path | None = None
    error: BriefError | None = None
    note: str = ""


def guess_section(candidate: Candidate, entities: Sequence[Entity], settings: Settings) -> str:
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
) -> list[Outcome]:
    """Write a draft per candidate; already accepted ones are left alone, with a reason."""
    outcomes = []
    existing = load_newsletter(settings).articles
    taken = set(existing)
    by_link = {article.link: article.path for article in existing.values() if article.link}
    for candidate_id in ids:
        candidate = store.get(candidate_id)
        if candidate is None:
            outcomes.append(
                Outcome(candidate_id, error=BriefError(f"no candidate #{candidate_id}"))
            )
            continue
        if candidate.status == "accepted" and candidate.article_path:
            outcomes.append(
                Outcome(
                    candidate_id,
                    path=Path(candidate.article_path),
                    note="already accepted; its file is left as it is",
                )
            )
            continue
        if candidate.link in by_link:
            path = by_link[candidate.link]
            with store.transaction():
                store.decide(candidate_id, "accepted", now, str(_relative(path, settings)))
            outcomes.append(
                Outcome(candidate_id, path=path, note="already has an article file; left as it is")
            )
            continue
        slug = _free_slug(article_slug(candidate.title), taken)
        path = article_path(settings.content, candidate.published, slug)
        text = render_article(
            candidate,
            section or guess_section(candidate, entities, settings),
            slug,
            settings.timezone,
        )
        try:
            write_new_file(path, text)
        except ContentError as err:
            outcomes.append(Outcome(candidate_id, error=err))
            continue
        taken.add(slug)
        relative = _relative(path, settings)
        with store.transaction():
            store.decide(candidate_id, "accepted", now, str(relative))
        outcomes.append(Outcome(candidate_id, path=relative))
    return outcomes


def reject(store: Store, ids: Sequence[int], now: datetime) -> list[Outcome]:
    outcomes = []
    with store.transaction():
        for candidate_id in ids:
            candidate = store.get(candidate_id)
            if candidate is None:
                error = BriefError(f"no candidate #{candidate_id}")
                outcomes.append(Outcome(candidate_id, error=error))
            elif candidate.status == "accepted":
                error = BriefError(
                    f"candidate #{candidate_id} is accepted as {candidate.article_path};"
                    " delete that draft first if you no longer want it"
                )
                outcomes.append(Outcome(candidate_id, error=error))
            else:
                store.decide(candidate_id, "rejected", now)
                outcomes.append(Outcome(candidate_id))
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
    write_new_file(path, render_issue(week, articles, settings.sections, settings.timezone))
    return path, len(articles)


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
        candidate, number = f"{slug}-{number}", number + 1
    return candidate


def _relative(path: Path, settings: Settings) -> Path:
    return path.relative_to(settings.root) if path.is_relative_to(settings.root) else path
