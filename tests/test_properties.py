"""Property tests: whatever a feed contains, the pipeline neither crashes nor lets markup through."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.sax.saxutils import escape as xml_escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brief.ground.errors import SourceError
from brief.ground.markup import html_text
from scrapers.candidate import FUTURE_TOLERANCE, build_candidate
from scrapers.clean import sanitize_html
from scrapers.entities import EntityTagger, load_entities
from scrapers.parse import parse_feed
from scrapers.relevance import load_rules
from scrapers.sources import Source
from tests.conftest import RULES_FILE, WATCHLIST

TAGGER = EntityTagger(load_entities(WATCHLIST))
RULES = load_rules(RULES_FILE)
SOURCE = Source("Prop", "https://prop.example/feed")
NOW = datetime(2026, 11, 28, tzinfo=UTC)

HOSTILE = st.sampled_from(
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JaVaScRiPt:alert(1)">x</a>',
        '<a href="java\u200bscript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        "<svg onload=alert(1)>",
        "<iframe src=//evil.test></iframe>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        "<object data=x></object><embed src=x>",
        "]]><script>alert(1)</script>",
    ]
)
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)
FIELD = st.lists(st.one_of(TEXT, HOSTILE), max_size=4).map("".join)


def _assert_inert_html(fragment: str) -> None:
    """Only allowlisted tags, no event handler, links only to http(s) and mailto."""
    from bs4 import BeautifulSoup

    from scrapers.clean import ALLOWED_ATTRIBUTES, ALLOWED_TAGS

    for element in BeautifulSoup(fragment, "html.parser").find_all(True):
        assert element.name in ALLOWED_TAGS, element
        for name, value in element.attrs.items():
            assert name in ALLOWED_ATTRIBUTES.get(element.name, set()) | {"rel"}, element
            if name == "href":
                assert str(value).startswith(("http://", "https://", "mailto:")), element


def _check(candidate_html: str, title: str) -> None:
    _assert_inert_html(candidate_html)
    # A title is text: once escaped for Pelican's HTML-safe Title field, no markup remains.
    assert "<" not in html_text(title) and ">" not in html_text(title)
    assert "\n" not in title


def _run(body: bytes) -> None:
    try:
        feed = parse_feed(body, "https://prop.example/feed")
    except SourceError:
        return
    for entry in feed.entries:
        candidate = build_candidate(entry, SOURCE, TAGGER, RULES, NOW)
        if candidate is not None:
            _check(candidate.summary_html, candidate.title)
            assert candidate.link.startswith(("http://", "https://"))
            assert 0 <= candidate.score <= 1
            if entry.published is not None and entry.published > NOW + FUTURE_TOLERANCE:
                # A date from the future is clamped to the fetch, and flagged.
                assert (candidate.published, candidate.date_flag) == (NOW, "future")
            else:
                assert candidate.published <= NOW + FUTURE_TOLERANCE


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_never_crash(body: bytes) -> None:
    _run(body)


@settings(max_examples=150, deadline=None)
@given(
    title=FIELD,
    summary=FIELD,
    link=st.one_of(FIELD, st.just("https://prop.example/a")),
    published=st.datetimes(datetime(1990, 1, 1), datetime(2200, 1, 1), timezones=st.just(UTC)),
)
def test_well_formed_rss_with_hostile_fields(
    title: str, summary: str, link: str, published: datetime
) -> None:
    item = (
        f"<item><title>{xml_escape(title)}</title><link>{xml_escape(link)}</link>"
        f"<pubDate>{format_datetime(published)}</pubDate>"
        f"<description>{xml_escape(summary)}</description></item>"
    )
    body = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>{item}</channel></rss>'
    _run(body.encode("utf-8", "surrogatepass"))


@settings(max_examples=100, deadline=None)
@given(title=FIELD, summary=FIELD)
def test_json_feed_with_hostile_fields(title: str, summary: str) -> None:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "P",
        "items": [
            {"id": "1", "url": "https://prop.example/a", "title": title, "content_html": summary}
        ],
    }
    _run(json.dumps(feed).encode())


@settings(max_examples=200, deadline=None)
@given(FIELD)
def test_sanitize_is_idempotent_and_safe(fragment: str) -> None:
    once = sanitize_html(fragment)
    assert sanitize_html(once) == once
    _assert_inert_html(once)
