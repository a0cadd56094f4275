"""One scrape: fetch every due source, turn entries into candidates, store them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from brief.errors import SourceError
from scrapers.candidate import Candidate, build_candidate
from scrapers.entities import EntityTagger
from scrapers.fetch import FetchLimits, FetchResult, fetch_all
from scrapers.parse import parse_feed
from scrapers.relevance import Rules
from scrapers.schedule import SourceState, decide, due
from scrapers.sources import Source
from scrapers.store import Store


@dataclass(frozen=True)
class Failure:
    source: str
    url: str
    error: str


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


@dataclass
class ScrapeReport:
    """What a scrape did; `as_json()` is the `brief scrape --json` contract (extended)."""

    sources: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: list[Failure] = field(default_factory=list)
    new: int = 0
    seen: int = 0
    clustered: int = 0
    filtered: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Failure] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "ok": self.ok,
            "not_modified": self.not_modified,
            "failed": [vars(f) for f in self.failed],
            "new": self.new,
            "seen": self.seen,
            "clustered": self.clustered,
            "filtered": self.filtered,
            "skipped": [vars(s) for s in self.skipped],
            "warnings": [vars(w) for w in self.warnings],
        }


def scrape(
    sources: Sequence[Source],
    store: Store,
    tagger: EntityTagger,
    rules: Rules,
    limits: FetchLimits = FetchLimits(),
    *,
    force: bool = False,
    now: datetime | None = None,
    on_result: Callable[[FetchResult], None] | None = None,
) -> ScrapeReport:
    """Fetch and store every enabled, due source; one broken feed never stops the others.

    Each source's items and fetch state are stored as soon as it arrives, in one
    transaction, so an interrupted scrape loses at most the sources still in flight.
    """
    now = now or datetime.now(UTC)
    active = [s for s in sources if s.enabled]
    report = ScrapeReport(sources=len(active))
    states: dict[str, SourceState] = {}
    to_fetch: list[Source] = []
    with store.transaction():
        for source in active:
            state = store.source_state(source.name)
            if state is not None and state.url != source.url:
                store.reset_source(source.name, source.url)  # the editor changed its URL
                state = store.source_state(source.name)
            state = state or SourceState(source.name, source.url)
            states[source.name] = state
            reason = None if force else due(state, now)
            if reason:
                report.skipped.append(Skipped(source.name, reason))
            else:
                to_fetch.append(replace(source, url=state.fetch_url))

    def store_one(result: FetchResult) -> None:
        original = next(s for s in active if s.name == result.source.name)
        _store_result(result, store, tagger, rules, report, states[original.name], now)
        if on_result is not None:
            on_result(result)

    validators = store.validators()
    if force:
        validators = {}
    fetch_all(to_fetch, validators, limits, on_result=store_one)
    return report


def _store_result(
    result: FetchResult,
    store: Store,
    tagger: EntityTagger,
    rules: Rules,
    report: ScrapeReport,
    state: SourceState | None = None,
    now: datetime | None = None,
) -> None:
    state = state or SourceState(result.source.name, result.source.url)
    now = now or result.fetched_at
    name = result.source.name
    if result.status == "ok":
        try:
            parsed = parse_feed(result.body, result.url, result.content_type)
        except SourceError as err:
            result = replace(result, status="failed", error=str(err.args[0]))
    if result.status == "failed":
        report.failed.append(Failure(name, result.url or result.source.url, result.error or ""))
        with store.transaction():
            store.save_source(decide(state, result, now))
        return
    if result.status == "not_modified":
        report.not_modified += 1
        with store.transaction():
            store.save_source(decide(state, result, now))
        return
    report.ok += 1
    report.warnings.extend(Failure(name, result.url, w) for w in parsed.warnings)
    candidates: list[Candidate] = []
    for entry in parsed.entries:
        candidate = build_candidate(entry, result.source, tagger, rules, result.fetched_at)
        if candidate is None:
            report.warnings.append(
                Failure(name, result.url, f"entry without a usable link: {entry.title[:80]!r}")
            )
        elif candidate.filtered:
            report.filtered += 1
        else:
            if candidate.date_flag == "future":
                report.warnings.append(
                    Failure(name, result.url, f"future date clamped: {candidate.title[:80]!r}")
                )
            candidates.append(candidate)
    # Items and the new validators commit together: a scrape killed half way re-fetches.
    with store.transaction():
        added = store.add_candidates(candidates)
        store.save_source(decide(state, result, now, added.new), result.validators)
    report.new += added.new
    report.seen += added.seen
    report.clustered += added.clustered
