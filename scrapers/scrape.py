"""One scrape: fetch every source, turn entries into candidates, store them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from brief.errors import SourceError
from scrapers.candidate import Candidate, build_candidate
from scrapers.entities import EntityTagger
from scrapers.fetch import FetchLimits, FetchResult, fetch_all
from scrapers.parse import parse_feed
from scrapers.relevance import Rules
from scrapers.sources import Source
from scrapers.store import Store


@dataclass(frozen=True)
class Failure:
    source: str
    url: str
    error: str


@dataclass
class ScrapeReport:
    """What a scrape did; `as_json()` is the `brief scrape --json` contract."""

    sources: int = 0
    ok: int = 0
    not_modified: int = 0
    failed: list[Failure] = field(default_factory=list)
    new: int = 0
    seen: int = 0
    warnings: list[Failure] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "sources": self.sources,
            "ok": self.ok,
            "not_modified": self.not_modified,
            "failed": [vars(f) for f in self.failed],
            "new": self.new,
            "seen": self.seen,
            "warnings": [vars(w) for w in self.warnings],
        }


def scrape(
    sources: Sequence[Source],
    store: Store,
    tagger: EntityTagger,
    rules: Rules,
    limits: FetchLimits = FetchLimits(),
) -> ScrapeReport:
    """Fetch and store every enabled source; one broken feed never stops the others."""
    active = [s for s in sources if s.enabled]
    report = ScrapeReport(sources=len(active))
    for result in fetch_all(active, store.validators(), limits):
        _store_result(result, store, tagger, rules, report)
    return report


def _store_result(
    result: FetchResult, store: Store, tagger: EntityTagger, rules: Rules, report: ScrapeReport
) -> None:
    name = result.source.name
    if result.status == "failed":
        report.failed.append(Failure(name, result.url or result.source.url, result.error or ""))
        with store.transaction():
            store.record_fetch(result)
        return
    if result.status == "not_modified":
        report.not_modified += 1
        with store.transaction():
            store.record_fetch(result)
        return
    try:
        parsed = parse_feed(result.body, result.url, result.content_type)
    except SourceError as err:
        failure = Failure(name, result.url, str(err.args[0]))
        report.failed.append(failure)
        with store.transaction():
            store.record_fetch(
                FetchResult(result.source, "failed", result.fetched_at, error=failure.error)
            )
        return
    report.ok += 1
    report.warnings.extend(Failure(name, result.url, w) for w in parsed.warnings)
    candidates: list[Candidate] = []
    for entry in parsed.entries:
        candidate = build_candidate(entry, result.source, tagger, rules, result.fetched_at)
        if candidate is None:
            report.warnings.append(
                Failure(name, result.url, f"entry without a link: {entry.title!r}")
            )
        else:
            candidates.append(candidate)
    # Items and the new validators commit together: a scrape killed half way re-fetches.
    with store.transaction():
        added = store.add_candidates(candidates)
        store.record_fetch(result, added.new)
    report.new += added.new
    report.seen += added.seen
