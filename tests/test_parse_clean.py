"""Parsing RSS, Atom and JSON Feed, and making their content safe."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from brief.ground.errors import SourceError
from scrapers.clean import canonical_url, clean_title, html_to_text, sanitize_html, web_url
from scrapers.parse import parse_feed
from tests.conftest import FEEDS


def test_rss_entries_with_dates_and_content() -> None:
    feed = parse_feed((FEEDS / "retail-news.rss").read_bytes(), "http://retail.test/feed")
    assert feed.title == "Retail News Fixture"
    assert [e.guid for e in feed.entries] == ["retail-1001", "retail-1002", "retail-1003"]
    first = feed.entries[0]
    assert first.published == datetime(2026, 11, 10, 14, 0, tzinfo=UTC)
    assert "sneaker auctions" in first.summary


def test_atom_entries() -> None:
    feed = parse_feed((FEEDS / "asia-tech.atom").read_bytes(), "http://asia.test/feed")
    assert feed.entries[0].link == "http://asia.test/news/douyin-singles-day"
    assert "直播带货" in feed.entries[0].summary


def test_json_feed_by_content_not_content_type() -> None:
    feed = parse_feed(
        (FEEDS / "creators.json").read_bytes(), "http://creators.test/f", "text/plain"
    )
    assert feed.entries[0].title == "Brands train store staff as live selling hosts"
    assert feed.entries[1].summary.startswith("<p>Streamers on Twitch")
    assert feed.entries[0].published == datetime(2026, 11, 13, 12, 0, tzinfo=UTC)


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(SourceError) as caught:
        parse_feed((FEEDS / "not-a-feed.html").read_bytes(), "http://x.test/")
    assert caught.value.url == "http://x.test/"
    assert "HTML" in str(caught.value)


def test_leading_whitespace_keeps_entries_with_a_warning() -> None:
    feed = parse_feed((FEEDS / "leading-whitespace.rss").read_bytes(), "http://sloppy.test/")
    assert [e.title for e in feed.entries] == ["Live shopping item with leading whitespace"]


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script><p>text</p>",
        '<a href="javascript:alert(1)">x</a>',
        '<a href="java\u200bscript:alert(1)">x</a>',
        "<img src=x onerror=alert(1)>",
        '<p onclick="alert(1)" style="x">t</p>',
        '<iframe src="http://evil.test/"></iframe>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_sanitize_removes_active_content(hostile: str) -> None:
    clean = sanitize_html(hostile).lower()
    for bad in (
        "<script",
        "javascript:",
        "onerror",
        "onclick",
        "<iframe",
        "<img",
        "data:",
        "style=",
    ):
        assert bad not in clean


def test_sanitize_keeps_safe_links_with_rel() -> None:
    clean = sanitize_html('<p>See <a href="https://a.test/x">this</a></p>')
    assert 'href="https://a.test/x"' in clean
    assert "noopener" in clean


def test_text_and_title() -> None:
    assert html_to_text("<p>Live&nbsp;shopping</p>\n<p>grows</p>") == "Live shopping grows"
    assert clean_title("Q&amp;A: <b>TikTok</b> Shop") == "Q&A: TikTok Shop"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("javascript:alert(1)", None),
        ("java\u200bscript:alert(1)", None),
        ("/relative/path", None),
        ("https://a.test/x", "https://a.test/x"),
    ],
)
def test_safe_link(url: str, expected: str | None) -> None:
    assert web_url(url) == expected


def test_canonical_url_folds_tracking_case_and_amp() -> None:
    a = canonical_url("https://WWW.Example.com/story/amp/?utm_source=x&id=3&fbclid=y#top")
    b = canonical_url("http://example.com/story?id=3")
    c = canonical_url("https://m.example.com/story/?id=3&gclid=z")
    assert a == b == c == "https://example.com/story?id=3"
