"""The editor's week, second pass: issues that assemble right, the real publisher, a faster
queue, ranking and messages an editor trusts."""

from __future__ import annotations

import json
from pathlib import Path

from brief.document import read_document
from brief.issues import issue_from
from tests.conftest import FEEDS, brief, write_feeds


def _accept_all(newsletter: Path) -> list[Path]:
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    out = brief(newsletter, "accept", *(str(r["id"]) for r in rows)).stdout.split()
    return [newsletter / line for line in out]


def test_issue_new_takes_every_accepted_article_whatever_its_date(newsletter: Path) -> None:
    write_feeds(newsletter, {"Creators": str(FEEDS / "creators.json")})
    brief(newsletter, "scrape")
    paths = _accept_all(newsletter)
    # The stories are from November 2026; the issue is for a week months later.
    made = brief(newsletter, "issue", "new", "--week", "2027-W10")
    path = newsletter / made.stdout.strip()
    assert f"{len(paths)} articles in issue 2027-W10" in made.stderr
    text = path.read_text(encoding="utf-8")
    for article in paths:
        title = read_document(article).meta["title"]
        line = next(line for line in text.splitlines() if line.startswith(f"- {article.stem}"))
        assert line.endswith(f"<!-- {title} · Creators -->")  # headline and outlet at a glance
    from zoneinfo import ZoneInfo

    issue = issue_from(read_document(path), ZoneInfo("UTC"))
    assert issue.problems == () and sorted(issue.slugs) == sorted(p.stem for p in paths)

    # Everything is in an issue now: a second issue has nothing to hold and is not written.
    refused = brief(newsletter, "issue", "new", "--week", "2027-W11", check=False)
    assert refused.returncode == 1
    assert "nothing to put in issue 2027-W11" in refused.stderr
    assert not (newsletter / "content" / "issues" / "2027-W11.md").exists()
    assert brief(newsletter, "check", check=False).returncode in (0, 1)  # no stray empty issue


def test_an_empty_store_writes_no_issue_and_check_stays_clean(newsletter: Path) -> None:
    refused = brief(newsletter, "issue", "new", check=False)
    assert refused.returncode == 1 and "nothing to put in issue" in refused.stderr
    assert not list((newsletter / "content").rglob("issues/*.md"))


def test_a_headline_cannot_end_the_slug_comment(newsletter: Path) -> None:
    from brief.articles import Article
    from brief.issues import slug_note

    article = Article(
        path=Path("x.md"), slug="x", title="Ends here --> - slug-injection", date=None,
        section="", status="draft", source="Out--let", link="", entities=(), tags=(),
        summary_md="", annotation_md="", annotation_line=None,
    )  # fmt: skip
    note = slug_note(article)
    assert note.startswith("<!-- ") and note.endswith(" -->")
    assert "--" not in note[4:-3]


def _aggregator(newsletter: Path, flag: bool = True) -> None:
    lines = [
        "[[source]]",
        'name = "Google News: live shopping"',
        f'url = "{FEEDS / "aggregator.xml"}"',
    ]
    if flag:
        lines.append("aggregator = true")
    (newsletter / "feeds.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_aggregator_credits_the_real_publisher(newsletter: Path) -> None:
    _aggregator(newsletter)
    brief(newsletter, "scrape")
    rows = {r["outlet"]: r for r in json.loads(brief(newsletter, "triage", "--json").stdout)}
    assert set(rows) == {"Reuters", "Modern Retail", "Jing Daily"}
    reuters = rows["Reuters"]
    assert reuters["title"] == "TikTok Shop signs up 5,000 new live sellers in Britain"
    assert reuters["source"] == "Google News: live shopping"  # the feed it came through
    assert reuters["link"] == (
        "https://www.reuters.com/business/retail/tiktok-shop-live-sellers-britain-2026-11-20/?id=7"
    )
    # A dash inside the headline stays; only the publisher's suffix goes.
    assert rows["Modern Retail"]["title"] == "Whatnot's live auctions - what sellers say"
    assert rows["Modern Retail"]["link"] == "https://www.modernretail.co/whatnot-live-auctions/"
    # No <source>: an aggregator's " - Publisher" names the outlet.
    assert rows["Jing Daily"]["title"] == "Douyin hosts sell out winter coats in a live stream"

    path = newsletter / brief(newsletter, "accept", str(reuters["id"])).stdout.strip()
    header = path.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Source: Reuters" in header.splitlines()
    assert (
        "Link: https://www.reuters.com/business/retail/tiktok-shop-live-sellers-britain-2026-11-20/?id=7"
        in header
    )
    text = path.read_text(encoding="utf-8") + "\n## Why it matters\n\nWords.\n"
    path.write_text(text.replace("Status: draft", "Status: published"), encoding="utf-8")
    brief(newsletter, "build")
    page = (newsletter / "output" / "articles" / "2026" / path.stem / "index.html").read_text()
    assert "What Reuters reported" in page and "Google News" not in page


def test_a_plain_feed_keeps_its_name_and_dashed_titles(newsletter: Path) -> None:
    _aggregator(newsletter, flag=False)  # a local file: not recognised as an aggregator
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    by_title = {r["title"]: r for r in rows}
    # Items that name their <source> still credit it; one that names none keeps its title.
    assert by_title["TikTok Shop signs up 5,000 new live sellers in Britain"]["outlet"] == "Reuters"
    coats = by_title["Douyin hosts sell out winter coats in a live stream - Jing Daily"]
    assert coats["outlet"] == "Google News: live shopping"


def test_google_and_bing_news_are_recognised_by_address() -> None:
    from scrapers.sources import is_aggregator_url

    assert is_aggregator_url("https://news.google.com/rss/search?q=live+shopping")
    assert is_aggregator_url("https://www.bing.com/news/search?q=live+shopping&format=rss")
    assert not is_aggregator_url("https://www.bing.com/search?q=x")
    assert not is_aggregator_url("https://www.reuters.com/feed/")
