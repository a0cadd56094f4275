"""Issue numbers: readers count issues 1, 2, 3... in the order they were published; the
number is written into the issue at publish and never moves after that."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from brief.content.document import parse_document
from brief.content.issues import issue_from, number_issues
from tests.conftest import brief

UTC = ZoneInfo("UTC")


def _issue(week: str, date: str, status: str, number: str | None = None):  # type: ignore[no-untyped-def]
    header = f"Title: {week}\nDate: {date}\nStatus: {status}\n"
    if number is not None:
        header += f"Number: {number}\n"
    text = header + "\n## Platforms\n\n- some-story\n"
    return issue_from(parse_document(text, Path(f"{week}.md")), UTC)


def test_numbers_follow_publication_not_the_calendar() -> None:
    issues = [
        _issue("2026-W49", "2026-12-04 09:00", "draft"),
        _issue("2026-W47", "2026-11-20 09:00", "published"),  # no Number: counted
        _issue("2026-W45", "2026-11-06 09:00", "published"),
        _issue("2026-W46", "2026-11-13 09:00", "hidden"),  # never published: not counted
        _issue("2026-W48", "2026-11-27 09:00", "published", "7"),  # its own number stays
        _issue("2026-W50", "2026-12-11 09:00", "draft"),
    ]
    numbered = {i.week: i.label for i in number_issues(issues)}
    assert numbered == {
        "2026-W45": "Issue 1",
        "2026-W47": "Issue 2",
        "2026-W48": "Issue 7",
        # Drafts show the next numbers; each is fixed only when it is published.
        "2026-W46": "Issue 8",
        "2026-W49": "Issue 9",
        "2026-W50": "Issue 10",
    }


def test_a_number_that_is_not_a_count_is_reported_on_its_line() -> None:
    for bad in ("0", "-3", "three", "٣", "4.5", "1e3", "99999999"):
        issue = _issue("2026-W45", "2026-11-06 09:00", "published", bad)
        assert issue.number is None
        (problem,) = issue.problems
        assert problem.line == 4 and "Number must be" in problem.message, bad


def test_check_refuses_two_issues_with_one_number(sample: Path) -> None:
    path = sample / "content" / "issues" / "2026-W46.md"
    path.write_text(path.read_text().replace("Number: 2", "Number: 3"))
    result = brief(sample, "check", check=False)
    assert result.returncode != 0
    for week in ("2026-W46", "2026-W47"):
        assert f"content/issues/{week}.md:5: error: Issue 3 is also the number of" in result.stdout


def test_a_draft_numbered_by_hand_into_a_published_number_is_refused(sample: Path) -> None:
    issue = sample / "content" / "issues" / "2026-W48.md"
    issue.write_text(
        "Title: Vintage goes live\nDate: 2026-11-27 09:00\nStatus: draft\nNumber: 2\n\n"
        "Resale keeps finding its way into live shows.\n\n## Platforms\n\n"
        "- tv-shopping-was-live-commerce-first\n"
    )
    refused = brief(sample, "issue", "publish", "2026-W48", check=False)
    assert refused.returncode != 0
    assert "2026-W48.md:4: error: Issue 2 is also the number of" in refused.stderr
    assert "Status: draft" in issue.read_text()  # nothing published
