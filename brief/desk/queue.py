"""The triage queue: which stories an editor sees, in which order, with the section each
would go in. `Queue` is what `brief triage` (and the web desk) asks: rows for a filter, one
story's row to explain, a company the editor named."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal, Protocol

from brief.desk.learn import OutdatedModel, Push, RelevanceModel
from brief.ground.errors import BriefError
from brief.ground.settings import Settings
from scrapers.entities import Entity, load_entities, match_entities
from scrapers.figures import story_figures
from scrapers.records import STATUSES, Status, Story, iso_utc
from scrapers.relevance import Ranking, load_rules
from scrapers.storage import Store, StoryQuery
from scrapers.storage.stories import RankFacts


@dataclass(frozen=True)
class TriageRow:
    story: Story
    section: str
    age: str
    rank: float = 0.0
    terms: tuple[tuple[str, float, float], ...] = ()  # (term, value, weight)
    pushes: tuple[Push, ...] = ()  # what moved the model's score most (`--explain`)

    @classmethod
    def of(
        cls,
        story: Story,
        settings: Settings,
        entities: Sequence[Entity],
        now: datetime,
        ranking: Ranking | None = None,
        model_score: float | None = None,
    ) -> TriageRow:
        ranking = ranking or Ranking()
        age_days = (now - story.published).total_seconds() / 86400
        outlets = len({copy.name for copy in story.sources}) or 1
        terms = tuple(ranking.terms(story.score, age_days, outlets, model_score))
        return cls(
            story,
            guess_section(story, entities, settings),
            _age(story, now),
            Ranking.total(terms),
            terms,
        )

    def as_json(self) -> dict[str, object]:
        c = self.story
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
            "link_note": c.link_note,
            "figures": [f.as_json() for f in story_figures(c.title, c.summary_text or "")],
        }


class Sectioned(Protocol):
    """What a section is guessed from: a stored story, or its facts."""

    @property
    def section(self) -> str | None: ...
    @property
    def about(self) -> tuple[str, ...]: ...
    @property
    def entities(self) -> tuple[str, ...]: ...


def guess_section(story: Sectioned, entities: Sequence[Entity], settings: Settings) -> str:
    """The source's section, else one suggested by the main entity's kind or region."""
    if story.section in settings.sections:
        return story.section
    by_name = {entity.name: entity for entity in entities}
    for name in story.about or story.entities:
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
    model: Callable[[Sequence[int]], Sequence[float]] | None = None,
) -> list[TriageRow]:
    """Triage rows, best first: shortlisted first, then by rank (relevance blended with
    freshness and outlets, see `Ranking`), newest first on a tie; `section` is the guess
    made here from the source, the entities and the settings. Every matching story is
    ranked from one row of facts; only the `limit` shown are read whole. `model` scores
    stories by id."""
    ranking = ranking or Ranking()
    facts = store.stories.rank_facts(query)
    if section is not None:
        facts = [f for f in facts if guess_section(f, entities, settings) == section]
    ids = [f.id for f in facts]
    learned = dict(zip(ids, model(ids), strict=True)) if model is not None and ids else {}

    def order(fact: RankFacts) -> tuple[bool, float, float]:
        published = fact.published
        age_days = (now - published).total_seconds() / 86400
        terms = ranking.terms(fact.score, age_days, fact.copies or 1, learned.get(fact.id))
        return (not fact.shortlisted, -Ranking.total(terms), -published.timestamp())

    facts.sort(key=order)
    shown = [f.id for f in (facts[:limit] if limit is not None else facts)]
    return [
        TriageRow.of(story, settings, entities, now, ranking, learned.get(story.id))
        for story in store.stories.by_ids(shown)
    ]


MAX_DAYS = 36_500  # "7d" up to a century back


def parse_since(value: str | None, now: datetime) -> datetime | None:
    """A moment an editor wrote: a date (2026-11-01), a time, or a number of days back
    (7d); ValueError that says what to write otherwise."""
    if not value or not value.strip():
        return None
    hint = "give a date (2026-11-01) or a number of days (7d)"
    if match := re.fullmatch(r"([0-9]+)d", value.strip()):
        days = int(match.group(1))
        if days > MAX_DAYS:
            raise ValueError(f"{value!r}: at most {MAX_DAYS}d (a century)")
        return now - timedelta(days=days)
    if not value.isascii():
        raise ValueError(f"{value!r}: {hint}")
    try:
        moment = datetime.fromisoformat(value.strip())
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{value!r}: {hint}") from None


def _age(story: Story, now: datetime) -> str:
    seconds = max(0, (now - story.published).total_seconds())
    if seconds < 3600:
        return f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h"
    return f"{int(seconds // 86400)}d"


@dataclass(frozen=True)
class QueueFilter:
    """What an editor narrows the queue to (`brief triage` options)."""

    status: TriageStatus = "new"
    search: str | None = None
    section: str | None = None
    entity: str | None = None  # a watchlist name, as `Queue.entity` returns it
    source: str | None = None
    since: datetime | None = None
    min_score: float | None = None
    limit: int | None = None


class UnknownEntity(BriefError):
    """A company the editor named that the watchlist has not, or names several ways."""

    def __init__(self, message: str, choices: Sequence[str] = ()):
        self.choices = tuple(choices)
        super().__init__(message)


class Queue:
    """A store's triage queue, ranked by the rules, the watchlist and the learned model (if
    one was trained), each read once."""

    def __init__(self, store: Store, settings: Settings, model_folder: Path):
        self.store, self.settings = store, settings
        self.entities = load_entities(settings.entities)
        self.ranking = load_rules(settings.relevance).ranking
        self.notice = ""  # what the editor should know about the ranking, if anything
        try:
            self.model = RelevanceModel.load(model_folder)
        except OutdatedModel as err:
            self.model, self.notice = None, str(err)

    def _scores(self, ids: Sequence[int]) -> Sequence[float]:
        assert self.model is not None
        return self.model.scores_of(self.store, ids)

    def rows(self, chosen: QueueFilter, now: datetime) -> list[TriageRow]:
        """The rows for `chosen`, best first (see `find_rows`)."""
        query = story_query(
            chosen.status, search=chosen.search, source=chosen.source, entity=chosen.entity,
            since=chosen.since, min_score=chosen.min_score,
        )  # fmt: skip
        return find_rows(
            self.store, query, self.settings, self.entities, now, section=chosen.section,
            limit=chosen.limit, ranking=self.ranking,
            model=self._scores if self.model is not None else None,
        )  # fmt: skip

    def row(self, story_id: int, now: datetime) -> TriageRow:
        """One story's row, with every term of its rank (`--explain`)."""
        story = self.store.stories.get(story_id)
        if story is None:
            raise BriefError(f"no candidate #{story_id} in {self.store.path}")
        learned = self.model.scores(self.store, [story])[0] if self.model else None
        row = TriageRow.of(story, self.settings, self.entities, now, self.ranking, learned)
        if self.model is not None:
            row = replace(row, pushes=tuple(self.model.pushes(story)))
        return row

    def entity(self, term: str) -> str:
        """The watchlist name `term` means (a name, alias or slug in any case, or the start
        of one); UnknownEntity when none does, or several do."""
        found = match_entities(term, self.entities)
        if len(found) == 1:
            return found[0].name
        if not found:
            raise UnknownEntity(f"no company or platform in the watchlist matches {term!r}")
        names = [e.name for e in found]
        raise UnknownEntity(f"{term!r} could be: {', '.join(names)}; say which", names)
