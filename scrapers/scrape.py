"""One scrape: fetch every due source, turn entries into candidates, store them."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from urllib.parse import urlsplit

from scrapers.candidate import build_candidate
from scrapers.clean import (
    SUMMARY_MAX,
    canonical_url,
    clean_title,
    inert_text,
    without_tracking,
)
from scrapers.entities import EntityTagger
from scrapers.errors import SourceError, StoreError
from scrapers.fetch import FetchLimits, FetchResult, fetch_all, resolve_links
from scrapers.parse import RawEntry, parse_feed
from scrapers.records import Candidate
from scrapers.relevance import Rules
from scrapers.schedule import SourceState, due, next_state
from scrapers.sources import Source, is_aggregator_url
from scrapers.storage import Store


@dataclass(frozen=True)
class Notice:
    """A source's failure or warning: which source, at which URL, and what happened."""

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
    failed: list[Notice] = field(default_factory=list)
    new: int = 0
    seen: int = 0
    clustered: int = 0
    filtered: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)

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
    with store.exclusive("scrape"):
        return _scrape(sources, store, tagger, rules, limits, force, now, on_result)


def _scrape(
    sources: Sequence[Source],
    store: Store,
    tagger: EntityTagger,
    rules: Rules,
    limits: FetchLimits,
    force: bool,
    now: datetime | None,
    on_result: Callable[[FetchResult], None] | None,
) -> ScrapeReport:
    now = now or datetime.now(UTC)
    active = [s for s in sources if s.enabled]
    report = ScrapeReport(sources=len(active))
    states: dict[str, SourceState] = {}
    to_fetch: list[Source] = []
    with store.transaction():
        for source in active:
            state = store.sources.state(source.name)
            if state is not None and state.url != source.url:
                store.sources.reset(source.name, source.url)  # the editor changed its URL
                state = store.sources.state(source.name)
            state = state or SourceState(source.name, source.url)
            states[source.name] = state
            reason = None if force else due(state, now)
            if reason:
                report.skipped.append(Skipped(source.name, reason))
            else:
                to_fetch.append(replace(source, url=state.fetch_url))

    validators = {} if force else store.sources.validators()
    with _Preparer(tagger, rules, parallel=len(to_fetch) >= PARALLEL_FROM) as preparer:
        pending = []

        def arrived(result: FetchResult) -> None:
            pending.append((result, preparer.submit(result)))

        fetch_all(to_fetch, validators, limits, on_result=arrived)
        for start in range(0, len(pending), SAVED_TOGETHER):
            batch = []
            for result, future in pending[start : start + SAVED_TOGETHER]:
                try:
                    prepared = future.result()
                except Exception as err:  # a parser process died (or raised) on this feed
                    prepared = Prepared(error=f"the feed could not be parsed: {_reason(err)}")
                batch.append((result, prepared, states[result.source.name]))
            _save(_follow_aggregators(batch, store, limits, now), store, report, now)
            if on_result is not None:
                for result, _, _ in batch:
                    on_result(result)
    return report


PARALLEL_FROM = 8  # sources; below that, worker processes cost more than they save


@dataclass(frozen=True)
class Prepared:
    """A fetched feed turned into candidates (pure work: no I/O, safe in a worker process)."""

    candidates: tuple[Candidate, ...] = ()
    warnings: tuple[str, ...] = ()
    filtered: int = 0
    error: str | None = None


def prepare(result: FetchResult, tagger: EntityTagger, rules: Rules) -> Prepared:
    """Parse a fetched feed and build its candidates.

    This is where one source's failures are isolated: an entry that cannot be used is
    left out with a warning naming it and why; a feed that cannot be read at all is this
    source's error. Nothing raised here reaches the other sources.
    """
    if result.status != "ok":
        return Prepared()
    try:
        parsed = parse_feed(result.body, result.url, result.content_type)
    except SourceError as err:
        return Prepared(error=inert_text(str(err.args[0])))
    except Exception as err:
        return Prepared(error=f"could not read the feed: {_reason(err)}")
    warnings = [inert_text(w) for w in parsed.warnings]
    candidates = []
    filtered = 0
    for number, entry in enumerate(parsed.entries, 1):

        def label(entry: RawEntry = entry, number: int = number) -> str:
            return f"entry {number} {clean_title(entry.title)[:80]!r}"

        try:
            candidate = build_candidate(entry, result.source, tagger, rules, result.fetched_at)
        except Exception as err:
            warnings.append(f"{label()} skipped: {_reason(err)}")
            continue
        if candidate is None:
            warnings.append(f"{label()} skipped: no usable http(s) link")
        elif candidate.filtered:
            filtered += 1
        else:
            if candidate.summary_cut:
                warnings.append(f"{label()}: summary cut to {SUMMARY_MAX:,} characters")
            if candidate.date_flag == "future":
                warnings.append(f"{label()}: future date clamped to the fetch time")
            elif entry.raw_date:
                unusable = clean_title(entry.raw_date)[:40]
                warnings.append(f"{label()}: date {unusable!r} unusable; dated by the fetch time")
            candidates.append(candidate)
    return Prepared(tuple(candidates), tuple(warnings), filtered)


def _reason(err: BaseException) -> str:
    text = inert_text(str(err))[:200]
    return f"{type(err).__name__}: {text}" if text else type(err).__name__


_WORKER: tuple[EntityTagger, Rules] | None = None


def _init_worker(tagger: EntityTagger, rules: Rules) -> None:
    global _WORKER
    _WORKER = (tagger, rules)
    # A scrape killed with SIGKILL cannot stop its workers: each leaves on its own once
    # its parent is gone, rather than waiting for work forever.
    parent = os.getppid()
    threading.Thread(target=_leave_with, args=(parent,), daemon=True).start()


def _leave_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(1.0)
    os._exit(0)


def _prepare_in_worker(result: FetchResult) -> Prepared:
    assert _WORKER is not None
    return prepare(result, *_WORKER)


class _Preparer:
    """Parses feeds on every core while the network and the store keep the main thread."""

    def __init__(self, tagger: EntityTagger, rules: Rules, parallel: bool):
        self._tagger, self._rules = tagger, rules
        self._pool: ProcessPoolExecutor | None = None
        if parallel and (os.cpu_count() or 1) > 1:
            self._pool = ProcessPoolExecutor(
                max_workers=os.cpu_count(),
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_init_worker,
                initargs=(tagger, rules),
            )

    def submit(self, result: FetchResult) -> Future[Prepared]:
        if self._pool is not None and result.status == "ok":
            try:
                return self._pool.submit(_prepare_in_worker, result)
            except RuntimeError:  # the pool broke on an earlier feed: parse here instead
                self._pool = None
        done: Future[Prepared] = Future()
        done.set_result(prepare(result, self._tagger, self._rules))
        return done

    def __enter__(self) -> _Preparer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)


def store_results(
    results: Sequence[FetchResult],
    store: Store,
    tagger: EntityTagger,
    rules: Rules,
    report: ScrapeReport,
    now: datetime | None = None,
) -> None:
    """Prepare and save fetched sources in this process (small runs and benchmarks)."""
    batch = [
        (r, prepare(r, tagger, rules), SourceState(r.source.name, r.source.url)) for r in results
    ]
    _save(batch, store, report, now or datetime.now(UTC))


def _follow_aggregators(
    batch: list[tuple[FetchResult, Prepared, SourceState]],
    store: Store,
    limits: FetchLimits,
    now: datetime,
) -> list[tuple[FetchResult, Prepared, SourceState]]:
    """An aggregator's new items (Google News...) with the publisher's article as their
    link: each link followed once, ever (the answer is kept), with the feeds' limits; an
    item whose link leads nowhere keeps it, and says so (`link_note`)."""
    links = [
        c.link
        for r, p, _ in batch
        if r.source.aggregator
        for c in p.candidates
        if _leads_elsewhere(c.link, r.source.url)
    ]
    if not links:
        return batch
    todo = [link for link in dict.fromkeys(links) if link not in store.stories.known_links(links)]
    answers = store.stories.resolved(todo)
    asked = resolve_links([link for link in todo if link not in answers], limits)
    with store.transaction():
        store.stories.remember_resolved(((a.link, a.target, a.error) for a in asked), now)
    answers |= {a.link: (a.target, a.error) for a in asked}
    followed = []
    for result, prepared, state in batch:
        if result.source.aggregator:
            candidates = tuple(_followed(c, answers.get(c.link)) for c in prepared.candidates)
            prepared = replace(prepared, candidates=candidates)
        followed.append((result, prepared, state))
    return followed


def _leads_elsewhere(link: str, feed: str) -> bool:
    """Whether an aggregator's item link is the aggregator's own (a redirect to the story, as
    Google News gives), not already the publisher's."""
    host = (urlsplit(link).hostname or "").lower()
    return host == (urlsplit(feed).hostname or "").lower() or is_aggregator_url(link)


def _followed(candidate: Candidate, answer: tuple[str | None, str | None] | None) -> Candidate:
    if answer is None:  # known already: the store has it as a copy
        return candidate
    target, error = answer
    if target is not None:
        link = without_tracking(target)
        return replace(candidate, link=link, canonical_url=canonical_url(link), via=candidate.link)
    why = inert_text(error or "no answer")[:160]
    return replace(
        candidate, link_note=f"the aggregator's link: the publisher's article not found ({why})"
    )


SAVED_TOGETHER = 25  # sources per transaction: fewer commits, and writers wait little


def _save(
    batch: Sequence[tuple[FetchResult, Prepared, SourceState]],
    store: Store,
    report: ScrapeReport,
    now: datetime,
) -> None:
    """Record sources' outcomes, several to a transaction; each source's items and its new
    state go in together (a savepoint each), so a scrape killed half way re-fetches them.

    Data a source brought that the store refuses fails that source only; a store that
    cannot be written at all (locked, full, read-only) stops the scrape with a StoreError.
    """
    for start in range(0, len(batch), SAVED_TOGETHER):
        with store.transaction():
            for result, prepared, state in batch[start : start + SAVED_TOGETHER]:
                try:
                    with store.savepoint():
                        _save_source(result, prepared, store, report, state, now)
                except StoreError:
                    raise
                except sqlite3.IntegrityError as err:
                    error = f"could not store it: {_reason(err)}"
                    failed = replace(result, status="failed", error=error)
                    with store.savepoint():
                        _save_source(failed, Prepared(), store, report, state, now)


def _save_source(
    result: FetchResult,
    prepared: Prepared,
    store: Store,
    report: ScrapeReport,
    state: SourceState,
    now: datetime,
) -> None:
    """One source's outcome, in the caller's transaction; the report counts it once stored."""
    name = result.source.name
    if prepared.error is not None:
        result = replace(result, status="failed", error=prepared.error)
    if result.status == "failed":
        store.sources.save(next_state(state, result, now))
        report.failed.append(Notice(name, result.url or result.source.url, result.error or ""))
        return
    if result.status == "not_modified":
        store.sources.save(next_state(state, result, now))
        report.not_modified += 1
        return
    added = store.stories.add(prepared.candidates)
    store.sources.save(next_state(state, result, now, added.new), result.validators)
    report.ok += 1
    report.filtered += prepared.filtered
    report.warnings.extend(Notice(name, result.url, w) for w in prepared.warnings)
    report.new += added.new
    report.seen += added.seen
    report.clustered += added.clustered
