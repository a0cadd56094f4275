"""The triage queue: which stories an editor sees, in which order, with the section each
would go in (rules only; `brief.desk.triage` shows them)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from brief.ground.settings import Settings
from scrapers.entities import Entity
from scrapers.figures import story_figures
from scrapers.records import STATUSES, Status, Story, iso_utc
from scrapers.relevance import Ranking
from scrapers.storage import Store, StoryQuery


@dataclass(frozen=True)
class TriageRow:
    candidate: Story
    section: str
    age: str
    rank: float = 0.0
    terms: tuple[tuple[str, float, float], ...] = ()  # (term, value, weight)

    @classmethod
    def of(
        cls,
        candidate: Story,
        settings: Settings,
        entities: Sequence[Entity],
        now: datetime,
        ranking: Ranking | None = None,
        model_score: float | None = None,
    ) -> TriageRow:
        ranking = ranking or Ranking()
        age_days = (now - candidate.published).total_seconds() / 86400
        outlets = len({copy.name for copy in candidate.sources}) or 1
        terms = tuple(ranking.terms(candidate.score, age_days, outlets, model_score))
        return cls(
            candidate,
            guess_section(candidate, entities, settings),
            _age(candidate, now),
            Ranking.total(terms),
            terms,
        )

    def as_json(self) -> dict[str, object]:
        c = self.candidate
        return {
            "id": c.id,
            "title": c.title,
            "link": c.link,
            "source": c.source,
            "outlet": c.publisher,
            "published": iso_utc(c.published),
            "score": c.score,
            "rank": self.rank,
            "rank_terms": [
                {"term": name, "value": round(value, 4), "weight": weight}
                for name, value, weight in self.terms
            ],
            "entities": list(c.entities),
            "about": list(c.about),
            "status": c.status,
            "shortlisted": c.shortlisted,
            "section": self.section,
            "sources": [{"source": s.source, "outlet": s.name, "link": s.link} for s in c.sources],
            "first_reported_by": c.first_reported_by,
            "date_flag": c.date_flag,
            "decided_by": c.decided_by,
            "decided_at": iso_utc(c.decided_at),
            "article_path": c.article_path,
            "summary": c.summary_text,
            "summary_cut": c.summary_cut,
            "figures": [f.as_json() for f in story_figures(c.title, c.summary_text or "")],
        }


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


TriageStatus = Literal["new", "shortlisted", "accepted", "rejected", "all"]


def story_query(status: TriageStatus = "new", **filters: Any) -> StoryQuery:
    """The store query for what `brief triage --status` lists (shortlisted ones first)."""
    choices: dict[TriageStatus, tuple[Status, ...]] = {
        "new": ("new",),
        "shortlisted": ("new",),
        "accepted": ("accepted",),
        "rejected": ("rejected",),
        "all": STATUSES,
    }
    statuses = choices[status]
    return StoryQuery(statuses, shortlisted=True if status == "shortlisted" else None, **filters)


def find_rows(
    store: Store,
    query: StoryQuery,
    settings: Settings,
    entities: Sequence[Entity],
    now: datetime,
    section: str | None = None,
    limit: int | None = None,
    ranking: Ranking | None = None,
    model: Callable[[Sequence[Story]], Sequence[float]] | None = None,
) -> list[TriageRow]:
    """Triage rows, best first: shortlisted first, then by rank (relevance blended with
    freshness and outlets, see `Ranking`), newest first on a tie; `section` is the guess
    made here from the source, the entities and the settings."""
    stories = list(store.stories.find(query))
    scores = list(model(stories)) if model is not None and stories else [None] * len(stories)
    rows = [
        TriageRow.of(story, settings, entities, now, ranking, score)
        for story, score in zip(stories, scores, strict=True)
    ]
    if section is not None:
        rows = [row for row in rows if row.section == section]
    rows.sort(
        key=lambda r: (not r.candidate.shortlisted, -r.rank, -r.candidate.published.timestamp())
    )
    return rows[:limit] if limit is not None else rows


def _age(candidate: Story, now: datetime) -> str:
    seconds = max(0, (now - candidate.published).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"
