"""Movers: mentions per ISO week counted in the store by `brief issue new`, snapshotted into
the issue file, shown by the site and the digest, the same with the store deleted."""

from __future__ import annotations

import json
import shutil
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bs4 import BeautifulSoup

from brief.content.document import parse_document
from brief.content.issues import issue_from
from tests.conftest import brief, write_feeds


def _feed(path: Path, items: list[tuple[str, datetime]]) -> None:
    path.write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "Movers",
                "items": [
                    {
                        "id": f"{path.stem}-{n}",
                        "url": f"https://movers.example.com/{path.stem}/{n}",
                        "title": title,
                        "content_text": f"{title}. Live shopping news number {n}.",
                        "date_published": when.isoformat(),
                    }
                    for n, (title, when) in enumerate(items)
                ],
            }
        ),
        encoding="utf-8",
    )


WORDS = [
    "auction",
    "cards",
    "sneakers",
    "vintage",
    "comics",
    "toys",
    "coins",
    "stamps",
    "watches",
    "handbags",
    "books",
    "games",
    "vinyl",
    "posters",
    "jerseys",
    "figures",
    "minerals",
    "plants",
    "knives",
    "pens",
    "tea",
    "coffee",
    "art",
]


def _title(name: str, n: int) -> str:
    """Titles that share no words but the company's, so no two cluster together."""
    seed = sum(map(ord, name)) * 31 + n
    words = [
        "".join(chr(97 + (seed * k * (i + 2) + i) % 26) for k in (3, 5, 7, 11, 13, 17))
        for i in range(4)
    ]
    return f"{name} live {' '.join(words)} {WORDS[n % len(WORDS)]}"


def test_issue_new_snapshots_movers_and_the_build_needs_no_store(newsletter: Path) -> None:
    monday = datetime(2026, 11, 16, 12, tzinfo=UTC)  # 2026-W47
    items: list[tuple[str, datetime]] = []
    # Whatnot: one story a week for 8 weeks, then 5 this week: rising.
    for week in range(8, 0, -1):
        items.append((_title("Whatnot", week), monday - timedelta(weeks=week)))
    items += [(_title("Whatnot", 10 + n), monday + timedelta(hours=n)) for n in range(5)]
    # Kuaishou: three a week before, none this week: falling.
    for week in range(8, 0, -1):
        items += [
            (_title("Kuaishou", week * 3 + n), monday - timedelta(weeks=week, hours=n))
            for n in range(3)
        ]
    # Ten weeks ago: outside the window.
    items.append((_title("Whatnot", 20), monday - timedelta(weeks=10)))
    _feed(newsletter / "movers.json", items)
    # The same story from a second outlet joins its cluster: still one mention.
    _feed(newsletter / "copy.json", [(_title("Whatnot", 10), monday + timedelta(hours=1))])
    write_feeds(
        newsletter,
        {"Movers": str(newsletter / "movers.json"), "Copy": str(newsletter / "copy.json")},
    )
    brief(newsletter, "scrape")
    _collected_as_published(newsletter)
    article = newsletter / "content" / "articles" / "2026" / "a.md"
    article.parent.mkdir(parents=True, exist_ok=True)
    article.write_text(
        "Title: Whatnot grows\nDate: 2026-11-17 09:00\nCategory: Platforms\nSlug: a\n"
        "Status: published\nSource: Example\nLink: https://example.com/a\nEntities: Whatnot\n"
        "Dek: Whatnot grows.\n\n> Summary.\n\n## Why it matters\n\nWords.\n",
        encoding="utf-8",
    )
    path = newsletter / brief(newsletter, "issue", "new", "--week", "2026-W47").stdout.strip()
    text = path.read_text(encoding="utf-8")
    assert "## Who moved this week" in text
    assert "- Whatnot: 1 1 1 1 1 1 1 1 -> 5" in text
    assert "- Kuaishou: 3 3 3 3 3 3 3 3 -> 0" in text
    issue = issue_from(parse_document(text, path), __import__("zoneinfo").ZoneInfo("UTC"))
    assert [(m.name, m.direction) for m in issue.movers] == [
        ("Whatnot", "up"),
        ("Kuaishou", "down"),
    ]
    assert issue.problems == ()

    # Publishable: a title, an article, then build with and without the store.
    text = text.replace("Title: Week 47, 2026", "Title: Auctions rise").replace(
        "Status: draft", "Status: published"
    )
    path.write_text(text, encoding="utf-8")
    brief(newsletter, "build")
    output = newsletter / "output"
    page = BeautifulSoup((output / "issues/2026-w47/index.html").read_text(), "html.parser")
    rows = page.select("section.movers tbody tr")
    assert [r.th.get_text(strip=True) for r in rows] == ["Whatnot", "Kuaishou"]
    assert rows[0].select_one("a")["href"].endswith("/entities/whatnot/")
    assert "mover-up" in rows[0]["class"] and "mover-down" in rows[1]["class"]
    assert rows[0].select_one("svg")["aria-label"] == "Mentions per week: 1, 1, 1, 1, 1, 1, 1, 1, 5"
    entity = BeautifulSoup((output / "entities/whatnot/index.html").read_text(), "html.parser")
    assert "5 stories named Whatnot" in entity.select_one("section.moved").get_text(" ", strip=True)
    digest = (output / "digest" / "2026-W47.txt").read_text(encoding="utf-8")
    assert "WHO MOVED THIS WEEK" in digest and "Whatnot" in digest.split("WHO MOVED")[1]
    html = BeautifulSoup((output / "digest" / "2026-W47.html").read_text(), "html.parser")
    assert [td.get_text(strip=True) for td in html.select("td.movers td.mc")][:2] == [
        "Whatnot",
        "▲ 5",
    ]

    pages = {p: p.read_bytes() for p in output.rglob("*.html")}
    (newsletter / "data" / "brief.sqlite").unlink()
    shutil.rmtree(output)
    brief(newsletter, "build")
    again = {p: p.read_bytes() for p in output.rglob("*.html")}
    assert again == pages


def test_a_broken_movers_line_is_reported_by_line(sample: Path) -> None:
    issue = sample / "content" / "issues" / "2026-W47.md"
    text = issue.read_text(encoding="utf-8").replace(
        "- Walmart: 3 2 4 3 3 4 5 6 -> 11", "- Walmart: lots"
    )
    issue.write_text(text, encoding="utf-8")
    line = 1 + text.splitlines().index("- Walmart: lots")
    result = brief(sample, "check", check=False)
    assert (
        f"content/issues/2026-W47.md:{line}: error: expected '- Company: 8 weekly counts"
        in result.stdout
    )


def _collected_as_published(newsletter: Path) -> None:
    """As if the store had been scraping all along: each story fetched when it came out
    (and, these synthetic titles being random words, each scored as clearly relevant)."""
    with sqlite3.connect(newsletter / "data" / "brief.sqlite") as db:
        db.execute("UPDATE candidates SET fetched = published, score = 0.9")


def _whatnot_weeks(newsletter: Path, monday: datetime) -> None:
    """Whatnot: one relevant story a week for 8 weeks, then 3 this week; scraped."""
    items = [(_title("Whatnot", week), monday - timedelta(weeks=week)) for week in range(8, 0, -1)]
    items += [(_title("Whatnot", 10 + n), monday + timedelta(hours=n)) for n in range(3)]
    _feed(newsletter / "movers.json", items)
    write_feeds(newsletter, {"Movers": str(newsletter / "movers.json")})
    brief(newsletter, "scrape")


def _draft_issue(newsletter: Path) -> Path:
    article = newsletter / "content" / "articles" / "2026" / "a.md"
    article.parent.mkdir(parents=True, exist_ok=True)
    article.write_text(
        "Title: Whatnot grows\nDate: 2026-11-17 09:00\nCategory: Platforms\nSlug: a\n"
        "Status: published\nSource: Example\nLink: https://example.com/a\nEntities: Whatnot\n"
        "Dek: Whatnot grows.\n\n> Summary.\n\n## Why it matters\n\nWords.\n",
        encoding="utf-8",
    )
    return newsletter / brief(newsletter, "issue", "new", "--week", "2026-W47").stdout.strip()


def test_a_new_store_has_no_movers_only_new_companies(newsletter: Path) -> None:
    """A store that began collecting today knows nothing of the weeks before: no zeros, no
    "up 1.0", the company shown as new."""
    monday = datetime(2026, 11, 16, 12, tzinfo=UTC)
    _whatnot_weeks(newsletter, monday)
    text = _draft_issue(newsletter).read_text(encoding="utf-8")
    assert "- Whatnot: - - - - - - - - -> 3" in text
    issue = issue_from(parse_document(text, Path("x.md")), ZoneInfo("UTC"))
    (mover,) = issue.movers
    assert (mover.new, mover.direction, mover.change) == (True, "new", 0.0)


def test_rejected_stories_do_not_count_and_movers_refresh_until_published(
    newsletter: Path,
) -> None:
    monday = datetime(2026, 11, 16, 12, tzinfo=UTC)
    _whatnot_weeks(newsletter, monday)
    _collected_as_published(newsletter)
    path = _draft_issue(newsletter)
    assert "- Whatnot: 1 1 1 1 1 1 1 1 -> 3" in path.read_text(encoding="utf-8")

    # Two of this week's three turn out to be noise: rejected, they no longer count.
    with sqlite3.connect(newsletter / "data" / "brief.sqlite") as db:
        ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM candidates WHERE published >= ? ORDER BY id",
                (monday.isoformat(),),
            )
        ]
    brief(newsletter, "reject", *map(str, ids[:2]))
    intro = "An editor's intro, kept as written.\n"
    draft = path.read_text(encoding="utf-8")
    header, body = draft.split("\n\n", 1)
    path.write_text(f"{header}\n\n{intro}{body}", encoding="utf-8")
    result = brief(newsletter, "issue", "movers", "2026-W47")
    assert "1 company counted" in result.stderr
    text = path.read_text(encoding="utf-8")
    assert "- Whatnot: 1 1 1 1 1 1 1 1 -> 1" in text
    assert text.replace("1 1 1 1 1 1 1 1 -> 1", "1 1 1 1 1 1 1 1 -> 3") == (
        f"{header}\n\n{intro}{body}"
    )  # nothing else in the file changed
    assert text.count("## Who moved this week") == 1

    # Published, the snapshot is what readers got: refused, the file unchanged.
    published = text.replace("Status: draft", "Status: published")
    path.write_text(published, encoding="utf-8")
    refused = brief(newsletter, "issue", "movers", "2026-W47", check=False)
    assert refused.returncode == 1
    assert "published" in refused.stderr
    assert path.read_text(encoding="utf-8") == published
