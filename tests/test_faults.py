"""Every way a feed host can misbehave, and what the editor sees for each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scrapers.entities import EntityTagger, load_entities
from scrapers.fetch import FetchLimits
from scrapers.records import STATUSES, Story
from scrapers.relevance import load_rules
from scrapers.schedule import SourceState
from scrapers.scrape import ScrapeReport, scrape
from scrapers.sources import Source
from scrapers.storage import StoryQuery, open_store
from tests.conftest import RULES_FILE, WATCHLIST
from tests.fault_server import fault_server

TAGGER = EntityTagger(load_entities(WATCHLIST))
RULES = load_rules(RULES_FILE)
LIMITS = FetchLimits(connect_timeout=2, deadline=1.5, max_bytes=1024 * 1024)


@dataclass
class Outcome:
    report: ScrapeReport
    states: dict[str, SourceState]
    candidates: list[Story]
    requests: list[str]

    def error(self, name: str) -> str:
        return next(f.error for f in self.report.failed if f.source == name)


@pytest.fixture
def faults() -> Iterator[tuple[str, list[str]]]:
    with fault_server() as server:
        yield server


def run(tmp_path: Path, faults: tuple[str, list[str]], *paths: str, **kwargs: object) -> Outcome:
    base, requests = faults
    sources = [Source(path.strip("/"), f"{base}{path}") for path in paths]
    with open_store(tmp_path / "store.sqlite") as store:
        report = scrape(sources, store, TAGGER, RULES, LIMITS, **kwargs)  # type: ignore[arg-type]
        states = {s.name: s for s in store.sources.all()}
        candidates = list(store.stories.find(StoryQuery(STATUSES)))
    return Outcome(report, states, candidates, requests)


def test_conditional_get_costs_a_304(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    first = run(tmp_path, faults, "/ok.rss")
    assert first.report.ok == 1 and first.report.new == 3
    second = run(tmp_path, faults, "/ok.rss")
    assert second.report.not_modified == 1 and second.report.new == 0
    assert second.states["ok.rss"].last_status == "not_modified"


@pytest.mark.slow
@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/404", "HTTP 404"),
        ("/500", "HTTP 500"),
        ("/html", "not an RSS, Atom or JSON feed (an HTML page)"),
        ("/empty", "not an RSS, Atom or JSON feed"),
        ("/reset", "Error"),
        ("/no-headers", "no complete response within 1.5 s"),
        ("/trickle", "no complete response within 1.5 s"),
        ("/huge", "body larger than 1 MiB"),
        ("/gzip-bomb", "body larger than 1 MiB (after decompression)"),
        ("/loop", "more than 5 redirects"),
    ],
)
def test_failures_are_reported_with_the_url(
    tmp_path: Path, faults: tuple[str, list[str]], path: str, words: str
) -> None:
    started = time.monotonic()
    outcome = run(tmp_path, faults, path, "/ok.rss")
    assert time.monotonic() - started < 6  # the deadline holds, whatever the server does
    name = path.strip("/")
    assert words in outcome.error(name)
    assert next(f.url for f in outcome.report.failed if f.source == name).startswith(
        "http://127.0.0.1"
    )
    assert outcome.report.new == 3  # the healthy feed is stored anyway
    assert outcome.states[name].failures == 1
    assert outcome.states[name].last_error == outcome.error(name)


def test_gzip_is_decompressed(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    assert run(tmp_path, faults, "/gzip-ok").report.new == 3


def test_410_pauses_the_source(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    run(tmp_path, faults, "/gone")
    again = run(tmp_path, faults, "/gone")
    assert again.states["gone"].paused and "410" in again.states["gone"].paused
    assert [s.source for s in again.report.skipped] == ["gone"]
    assert again.requests.count("/gone") == 1  # a paused source is not fetched again


@pytest.mark.parametrize(("path", "at_least"), [("/429", 110), ("/503", 7000)])
def test_retry_after_is_honoured(
    tmp_path: Path, faults: tuple[str, list[str]], path: str, at_least: int
) -> None:
    now = datetime.now(UTC)
    first = run(tmp_path, faults, path)
    name = path.strip("/")
    wait = first.states[name].next_attempt
    assert wait is not None and wait - now >= timedelta(seconds=at_least)
    again = run(tmp_path, faults, path)
    assert "backing off" in again.report.skipped[0].reason
    assert again.requests.count(path) == 1
    forced = run(tmp_path, faults, path, force=True)
    assert forced.requests.count(path) == 2


def test_repeated_failures_back_off_exponentially(
    tmp_path: Path, faults: tuple[str, list[str]]
) -> None:
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    delays = []
    for attempt in range(5):
        moment = now + timedelta(days=attempt)
        outcome = run(tmp_path, faults, "/500", now=moment)
        state = outcome.states["500"]
        delays.append(state.next_attempt - moment if state.next_attempt else None)
    assert delays[:2] == [None, None]
    assert delays[2] == timedelta(minutes=30)
    assert delays[3] == timedelta(minutes=60)
    assert delays[4] == timedelta(minutes=120)


def test_permanent_redirect_updates_the_url(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    base, _ = faults
    first = run(tmp_path, faults, "/moved")
    assert first.states["moved"].current_url == f"{base}/ok.rss"
    second = run(tmp_path, faults, "/moved")
    assert second.requests[-1] == "/ok.rss" and "/moved" not in second.requests[2:]
    temporary = run(tmp_path, faults, "/found")
    assert temporary.states["found"].current_url is None


def test_leading_whitespace_keeps_entries(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    outcome = run(tmp_path, faults, "/leading-whitespace")
    assert outcome.report.new == 1
    assert outcome.report.warnings and "recovered" in outcome.report.warnings[0].error


def test_wrong_charset_keeps_accents(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    outcome = run(tmp_path, faults, "/wrong-charset")
    assert [c.title for c in outcome.candidates] == ["Caf\u00e9 hosts try live shopping"]
    assert outcome.candidates[0].summary_text == "Cr\u00e8me live selling"


def test_duplicate_guids_with_different_links_are_two_items(
    tmp_path: Path, faults: tuple[str, list[str]]
) -> None:
    outcome = run(tmp_path, faults, "/duplicate-guids")
    assert sorted(c.link for c in outcome.candidates) == [
        "http://faults.test/one",
        "http://faults.test/two",
    ]


def test_undated_and_future_items(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    before = datetime.now(UTC)
    outcome = run(tmp_path, faults, "/dates")
    by_link = {c.link: c for c in outcome.candidates}
    undated = by_link["http://faults.test/undated"]
    future = by_link["http://faults.test/future"]
    assert undated.date_flag == "undated" and undated.published >= before - timedelta(seconds=1)
    assert future.date_flag == "future" and future.published <= datetime.now(UTC)
    assert any("future date clamped" in w.error for w in outcome.report.warnings)


def test_relative_links_are_resolved(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    (candidate,) = run(tmp_path, faults, "/relative").candidates
    assert candidate.link == "http://faults.test/blog/posts/live"
    assert 'href="http://faults.test/about"' in candidate.summary_html


def test_xss_in_every_field(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    outcome = run(tmp_path, faults, "/xss")
    (candidate,) = outcome.candidates
    assert candidate.link == "http://faults.test/xss"  # the javascript: link is refused
    html = candidate.summary_html.lower()
    for bad in ("<script", "onmouseover", "javascript", "<iframe", "<style", "alert(6)"):
        assert bad not in html
    assert 'href="https://good.test/"' in html
    assert candidate.title == "Live shopping"  # markup in a title is dropped, script and all


def test_polite_two_connections_per_host_and_a_user_agent(
    tmp_path: Path, faults: tuple[str, list[str]]
) -> None:
    from tests.fault_server import last_server

    started = time.monotonic()
    outcome = run(tmp_path, faults, *(f"/slow/{n}" for n in range(6)))
    elapsed = time.monotonic() - started
    server = last_server()
    assert outcome.report.ok == 6
    assert server.peak == 2  # type: ignore[attr-defined]
    assert elapsed >= 0.9  # six slow responses, two at a time
    assert all(a.startswith("LiveCommerceBrief/") and "+https://" in a for a in server.agents)  # type: ignore[attr-defined]


def test_include_and_exclude_rules(tmp_path: Path, faults: tuple[str, list[str]]) -> None:
    from scrapers.relevance import Filters, compile_patterns

    base, _ = faults
    only_whatnot = Source(
        "Picky",
        f"{base}/ok.rss",
        filters=Filters(include=compile_patterns(["whatnot"], tmp_path, "x")),
    )
    no_tv = Source(
        "NoTV",
        f"{base}/gzip-ok",
        filters=Filters(exclude=compile_patterns([r"\bTV\b"], tmp_path, "x")),
    )
    with open_store(tmp_path / "rules.sqlite") as store:
        report = scrape([only_whatnot, no_tv], store, TAGGER, RULES, LIMITS)
        titles = sorted(c.title for c in store.stories.find(StoryQuery()))
    assert report.filtered == 2 + 1
    assert titles == [
        "TikTok Shop signs up more affiliate creators for livestream shopping",
        "Whatnot expands live shopping auctions for sneaker collectors",
    ]
