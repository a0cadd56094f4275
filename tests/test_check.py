"""`brief check`: `path:line: level: message`, exit 1 on errors."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import brief

ARTICLE = """\
Title: Live shopping grows
Date: 2026-11-10 09:00
Category: Platforms
Slug: live-shopping-grows
Status: published
Source: Example
Link: https://example.com/a

> A quote.

## Why it matters

{annotation}
"""

ISSUE = """\
Title: Week 46
Date: 2026-11-13 09:00
Status: published

An intro.

## Platforms

- live-shopping-grows
- no-such-article
"""


def test_reports_each_problem_at_its_line(newsletter: Path) -> None:
    articles = newsletter / "content" / "articles" / "2026"
    articles.mkdir()
    (articles / "live-shopping-grows.md").write_text(ARTICLE.format(annotation=""))
    (articles / "broken.md").write_text(
        "Title: Broken\nDate: someday\nCategory: Platforms\nStatus: published\n"
        "Source: X\nLink: javascript:alert(1)\n\n## Why it matters\n\nText.\n"
    )
    (newsletter / "content" / "issues" / "2026-W46.md").write_text(ISSUE)
    result = brief(newsletter, "check", check=False)
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert (
        "content/articles/2026/live-shopping-grows.md:11: error: published article has an empty annotation"
        in lines
    )
    assert (
        "content/articles/2026/broken.md:2: error: Date 'someday' is not YYYY-MM-DD [HH:MM]"
        in lines
    )
    assert any(
        line.startswith(
            "content/articles/2026/broken.md:6: error: Link must be an absolute http(s) URL"
        )
        for line in lines
    )
    assert (
        "content/issues/2026-W46.md:10: error: no article with slug 'no-such-article' under content/articles/"
        in lines
    )
    assert any(
        line.startswith("content/issues/2026-W46.md:5: warning: thin issue") for line in lines
    )


def test_fixed_content_passes(newsletter: Path) -> None:
    articles = newsletter / "content" / "articles" / "2026"
    articles.mkdir()
    (articles / "live-shopping-grows.md").write_text(ARTICLE.format(annotation="It matters."))
    (newsletter / "content" / "issues" / "2026-W46.md").write_text(
        ISSUE.replace("- no-such-article\n", "")
    )
    result = brief(newsletter, "check")
    assert "error" not in result.stdout
    assert "0 errors" in result.stderr


def test_issue_filter_and_drafts(newsletter: Path) -> None:
    articles = newsletter / "content" / "articles" / "2026"
    articles.mkdir()
    draft = ARTICLE.format(annotation="").replace("Status: published", "Status: draft")
    (articles / "live-shopping-grows.md").write_text(draft)
    (newsletter / "content" / "issues" / "2026-W46.md").write_text(
        ISSUE.replace("- no-such-article\n", "")
    )
    result = brief(newsletter, "check", "--issue", "2026-W46", check=False)
    assert result.returncode == 1
    assert (
        "content/issues/2026-W46.md:9: error: 'live-shopping-grows' is still a draft in a published"
        " issue: a publish did not finish; run `brief issue publish 2026-W46` again"
        in result.stdout
    )
    unknown = brief(newsletter, "check", "--issue", "2026-W40", check=False)
    assert unknown.returncode == 1 and "no issue 2026-W40" in unknown.stderr
