"""Editors' words are sacred: files under content/ are created, never overwritten."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from brief.content.files import write_new_file
from brief.ground.errors import ContentError
from tests.conftest import FEEDS, brief, write_feeds


def test_write_new_file_is_atomic_and_never_overwrites(tmp_path: Path) -> None:
    target = tmp_path / "content" / "articles" / "2026" / "a.md"
    write_new_file(target, "Title: A\n")
    assert target.read_text() == "Title: A\n"
    with pytest.raises(ContentError) as caught:
        write_new_file(target, "Title: B\n")
    assert caught.value.path == target
    assert target.read_text() == "Title: A\n"
    assert [p.name for p in target.parent.iterdir()] == ["a.md"]  # no temp file left behind


def _accepted(newsletter: Path) -> tuple[int, Path]:
    write_feeds(newsletter, {"Creators": str(FEEDS / "creators.json")})
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    first = rows[0]["id"]
    path = newsletter / brief(newsletter, "accept", str(first)).stdout.strip()
    return first, path


def test_accept_twice_changes_nothing(newsletter: Path) -> None:
    candidate, path = _accepted(newsletter)
    path.write_text(path.read_text() + "\nMy annotation.\n")
    before = path.read_bytes()
    again = brief(newsletter, "accept", str(candidate))
    assert "already accepted" in again.stderr
    assert path.read_bytes() == before
    assert len(list((newsletter / "content" / "articles").rglob("*.md"))) == 1


def test_accept_after_losing_the_store_does_not_duplicate(newsletter: Path) -> None:
    _, path = _accepted(newsletter)
    before = path.read_bytes()
    (newsletter / "data" / "brief.sqlite").unlink()
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    same = next(r for r in rows if path.stem.startswith(r["title"].lower().split()[0]))
    result = brief(newsletter, "accept", str(same["id"]))
    assert "left as it is" in result.stderr
    assert path.read_bytes() == before
    assert len(list((newsletter / "content" / "articles").rglob("*.md"))) == 1


def test_reject_leaves_the_queue(newsletter: Path) -> None:
    write_feeds(newsletter, {"Creators": str(FEEDS / "creators.json")})
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    brief(newsletter, "reject", str(rows[1]["id"]))
    left = json.loads(brief(newsletter, "triage", "--json").stdout)
    assert [r["id"] for r in left] == [rows[0]["id"]]
    missing = brief(newsletter, "reject", "999", check=False)
    assert missing.returncode == 1 and "no candidate #999" in missing.stderr


def test_accepted_article_is_valid_pelican_markdown(newsletter: Path) -> None:
    _, path = _accepted(newsletter)
    text = path.read_text()
    header = text.split("\n\n", 1)[0].splitlines()
    assert [line.split(":", 1)[0] for line in header] == [
        "Title",
        "Date",
        "Category",
        "Slug",
        "Status",
        "Source",
        "Link",
        "Entities",
        "Dek",
    ]
    dek = next(line for line in header if line.startswith("Dek: "))
    assert dek.endswith(".") and len(dek.split()) > 5  # the lead's first sentence
    assert "Slug: brands-train-store-staff-as-live-selling-hosts" in header
    assert "Category: Retail & brands" in header  # guessed from Nordstrom, a retailer


def test_text_that_looks_like_markup_stays_text_in_the_article(newsletter: Path) -> None:
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from brief.content.articles import render_article
    from scrapers.records import Story

    moment = datetime(2026, 11, 10, tzinfo=UTC)
    candidate = Story(
        id=1,
        title="<script>alert(1)</script> & Q&A: TikTok *Shop*",
        link="https://example.com/a",
        canonical_url="https://example.com/a",
        source="Example",
        published=moment,
        fetched=moment,
        summary_html="",
        summary_text="1. A [link](javascript:alert(1)) <b>bold</b> _claim_\n# heading",
        score=0.5,
        entities=(),
        about=(),
        guid="g",
    )
    text = render_article(candidate, "Platforms", "a", ZoneInfo("UTC"))
    assert "Title: &lt;script&gt;alert(1)&lt;/script&gt; & Q&A: TikTok *Shop*" in text
    quote = text.split("\n\n", 1)[1].split("## Why it matters")[0]
    import markdown

    html = markdown.markdown(quote)
    assert "<b>" not in html and "<a" not in html and "<h1" not in html and "<em>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "_claim_" in html
