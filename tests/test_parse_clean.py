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


def _summary(feed: bytes, url: str = "https://outlet.example/feeds/rss") -> str:
    """The stored summary of a feed's first entry, as a scrape makes it."""
    from scrapers.candidate import build_candidate
    from scrapers.entities import EntityTagger
    from scrapers.relevance import load_rules
    from scrapers.sources import Source
    from tests.conftest import REPO

    entry = parse_feed(feed, url).entries[0]
    rules = load_rules(REPO / "relevance.toml")
    made = build_candidate(entry, Source("Outlet", url), EntityTagger(()), rules, datetime.now(UTC))
    assert made is not None
    return made.summary_html


RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
<item><title>Live selling</title><link>https://outlet.example/story/1</link>
<description>{}</description></item></channel></rss>"""


@pytest.mark.parametrize(
    ("href", "kept"),
    [
        ("/2026/11/shoppable-video", "https://outlet.example/2026/11/shoppable-video"),
        ("more.html", "https://outlet.example/feeds/more.html"),
        ("//cdn.example/report.pdf", "https://cdn.example/report.pdf"),
        ("https://other.example/a", "https://other.example/a"),
        ("javascript:alert(1)", None),
        (" JaVaScRiPt:alert(1)", None),
        ("data:text/html,<script>alert(1)</script>", None),
        ("", None),
    ],
)
def test_a_relative_link_in_a_summary_is_resolved_and_nothing_else_gets_through(
    href: str, kept: str | None
) -> None:
    from html import escape

    summary = _summary(RSS.format(escape(f'<p>Read <a href="{href}">the report</a>.</p>')).encode())
    assert "the report" in summary
    if kept is None:
        assert "href" not in summary
    else:
        assert f'href="{kept}"' in summary


def test_relative_links_follow_the_feeds_own_base_and_json_feeds_too() -> None:
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"
      xml:base="https://base.example/news/"><title>t</title><entry><title>a</title>
      <link href="story/2"/><id>x</id>
      <content type="html">&lt;a href="live-gmv"&gt;GMV&lt;/a&gt;</content></entry></feed>"""
    assert 'href="https://base.example/news/live-gmv"' in _summary(atom)
    hostile_base = atom.replace(b"https://base.example/news/", b"javascript:alert(1)//")
    # feedparser refuses a base that is not a web address: the feed's own address is used.
    assert 'href="https://outlet.example/feeds/live-gmv"' in _summary(hostile_base)
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [{"id": "1",'
        b' "url": "https://creators.example/p/1",'
        b' "content_html": "<p><a href=\\"/p/2\\">next</a></p>"}]}'
    )
    summary = _summary(json_feed, "https://creators.example/feed.json")
    assert 'href="https://creators.example/p/2"' in summary
