"""The triage queue: which stories an editor sees, in which order, with the section each
would go in (rules only; `brief.triage` shows them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from brief.settings import Settings
from scrapers.entities import Entity
from scrapers.figures import story_figures
from scrapers.records import STATUSES, Status, Story, iso_utc
from scrapers.storage import Store, StoryQuery


@dataclass(frozen=True)
class TriageRow:
    candidate: Story
    section: str
    age: str

    @classmethod
    def of(
        cls, candidate: Story, settings: Settings, entities: Sequence[Entity], now: datetime
    ) -> TriageRow:
        return cls(candidate, guess_section(candidate, entities, settings), _age(candidate, now))

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
) -> list[TriageRow]:
    """Triage rows, best first: the store's query, then the section each would go in.

    The section is a guess made here (from the source, the entities and the settings),
    so it is filtered while reading, stopping once `limit` rows match.
    """
    rows: list[TriageRow] = []
    for story in store.stories.find(query, limit=None if section else limit):
        row = TriageRow.of(story, settings, entities, now)
        if section is None or row.section == section:
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
    return rows


def _age(candidate: Story, now: datetime) -> str:
    seconds = max(0, (now - candidate.published).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"
