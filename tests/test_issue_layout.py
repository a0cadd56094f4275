"""An issue leads with the news: headline, dek, a labelled "Why it matters", then the source;
"In this issue" at the top, "By the numbers" from the stories' figures, in the issue page,
the home page and both parts of the digest; the archive exports every published figure."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from bs4 import BeautifulSoup, Tag

from brief.content.articles import article_from
from brief.content.document import read_document
from tests.conftest import brief

W47 = [
    "black-friday-live-shows-need-a-reason-to-watch",
    "tv-shopping-was-live-commerce-first",
    "amazon-live-puts-influencers-next-to-the-buy-button",
    "youtube-shopping-lets-creators-tag-products",
    "live-shopping-software-for-brands-own-sites",
]


def _article(root: Path, slug: str):  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    path = root / "content" / "articles" / "2026" / f"{slug}.md"
    return article_from(read_document(path), ZoneInfo("UTC"))


def _page(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _fact_first(story: Tag) -> list[str]:
    """The classes of a story's parts, in reading order."""
    parts = []
    for element in story.find_all(True, recursive=True):
        for name in ("dek", "why", "annotation", "meta"):
            if name in (element.get("class") or []) and name not in parts:
                parts.append(name)
        if element.name in ("h2", "h3") and "headline" not in parts:
            parts.append("headline")
    return parts


def test_issue_page_and_home_lead_with_the_news(built_sample: Path) -> None:
    output = built_sample / "output"
    for page in (output / "issues" / "2026-w47" / "index.html", output / "index.html"):
        soup = _page(page)
        rundown = soup.select_one("nav.rundown")
        assert rundown is not None and rundown.h2.get_text() == "In this issue"
        assert [a["href"] for a in rundown.select("li a")] == [f"#story-{s}" for s in W47]
        stories = soup.select("article.issue-article")
        assert [s["id"] for s in stories] == [f"story-{s}" for s in W47]
        for story, slug in zip(stories, W47, strict=True):
            assert _fact_first(story) == ["headline", "dek", "why", "annotation", "meta"], slug
            assert story.select_one(".dek").get_text() == _article(built_sample, slug).dek
            assert story.select_one(".why").get_text() == "Why it matters"
        # The rundown comes before the first story, the intro before the rundown.
        text = soup.get_text()
        assert text.index("With Black Friday a week away") < text.index("In this issue")
        assert text.index("In this issue") < text.index("Why it matters")


def test_by_the_numbers_shows_the_stories_figures(built_sample: Path) -> None:
    soup = _page(built_sample / "output" / "issues" / "2026-w47" / "index.html")
    block = soup.select_one("section.numbers")
    lines = [
        (li.select_one(".figure").get_text(), li.select_one("a")["href"])
        for li in block.select("li")
    ]
    assert lines == [
        ("$10.8B", "#story-black-friday-live-shows-need-a-reason-to-watch"),
        ("$13.3B", "#story-black-friday-live-shows-need-a-reason-to-watch"),
    ]
    w46 = _page(built_sample / "output" / "issues" / "2026-w46" / "index.html")
    shown = [li.select_one(".figure").get_text() for li in w46.select("section.numbers li")]
    assert shown == ["CN¥540.3B", "$265M", "$3.7B"]
    # Each issue shows its own stories' figures.
    w45 = _page(built_sample / "output" / "issues" / "2026-w45" / "index.html")
    assert [li.select_one(".figure").get_text() for li in w45.select("section.numbers li")] == [
        "200,000",
        "100,000",
    ]


def test_issue_dates_and_pager_read_as_readers_say_them(built_sample: Path) -> None:
    soup = _page(built_sample / "output" / "issues" / "2026-w46" / "index.html")
    assert soup.select_one(".kicker").get_text(" ", strip=True) == "13 November 2026 · Issue 2"
    pager = soup.select_one("nav.pager")
    assert (
        pager.select_one('a[rel="prev"]')
        .get_text(" ", strip=True)
        .startswith("← Previous issue Where US live commerce stands")
    )
    assert (
        pager.select_one('a[rel="next"]')
        .get_text(" ", strip=True)
        .startswith("Next issue → Before Black Friday")
    )


def test_digest_leads_with_the_news_in_both_parts(built_sample: Path) -> None:
    digest = built_sample / "output" / "digest"
    html = _page(digest / "2026-W47.html")
    assert html.title.get_text() == "Before Black Friday: who owns the live audience?"
    rundown = [p.get_text(" ", strip=True) for p in html.select(".rundown-item")]
    titles = [_article(built_sample, s).title for s in W47]
    assert rundown == [f"{n}. {t}" for n, t in enumerate(titles, 1)]
    stories = html.select("td.article")
    assert len(stories) == len(W47)
    for story in stories:
        assert _fact_first(story) == ["headline", "dek", "why", "annotation", "meta"]
    figures = [td.get_text() for td in html.select("td.figure")]
    assert figures == ["$10.8B", "$13.3B"]

    text = (digest / "2026-W47.txt").read_text(encoding="utf-8")
    assert "20 November 2026 · Issue 3" in text
    rundown_at = text.index("IN THIS ISSUE")
    for number, title in enumerate(titles, 1):
        assert f"{number}. {title}" in text[rundown_at:].replace("\n   ", " ")
    assert "BY THE NUMBERS\n$10.8B" in text
    story = text[text.index("* Black Friday live shows") :]
    dek = _article(built_sample, W47[0]).dek
    assert story.index("Adobe counted") < story.index("WHY IT MATTERS") < story.index("Source:")
    assert " ".join(story[story.index("Adobe counted") :].split()).startswith(dek)


def test_figures_export_lists_every_published_figure(built_sample: Path) -> None:
    output = built_sample / "output"
    rows = json.loads((output / "figures.json").read_text(encoding="utf-8"))
    assert {(r["entity"], r["value"], r["unit"]) for r in rows} == {
        ("Amazon", 10800000000, "USD"),
        ("Amazon", 13300000000, "USD"),
        ("Taobao Live", 540300000000, "CNY"),
        ("Whatnot", 265000000, "USD"),
        ("Whatnot", 3700000000, "USD"),
        ("TikTok Shop", 200000, "count"),
        ("TikTok Shop", 100000, "count"),
    }
    first = next(r for r in rows if r["value"] == 200000)
    assert first["metric"] == "TikTok Shop US merchants"
    assert first["date"] == "2026-11-02"
    assert first["url"].endswith("/articles/2026/tiktok-shop-us-launch-and-its-affiliate-army/")
    with (output / "figures.csv").open(encoding="utf-8", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0]) == [
        "entity",
        "metric",
        "value",
        "unit",
        "date",
        "url",
        "title",
        "entities",
    ]
    assert len(table) == len(rows)
    assert {r["entities"] for r in table if r["entity"] == "TikTok Shop"} == {
        "TikTok Shop; ByteDance; Douyin"
    }


def test_figure_words_cannot_become_a_spreadsheet_formula(sample: Path) -> None:
    path = sample / "content" / "articles" / "2026" / "tv-shopping-was-live-commerce-first.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "\nDek:", '\nFigures: 5 count "=HYPERLINK(""http://x"")"; 6 % "+1+cmd"\nDek:', 1
        ),
        encoding="utf-8",
    )
    brief(sample, "build")
    with (sample / "output" / "figures.csv").open(encoding="utf-8", newline="") as handle:
        metrics = {row["metric"] for row in csv.DictReader(handle)}
    assert not any(m.startswith(("=", "+", "-", "@")) for m in metrics)
    assert "'+1+cmd" in metrics


def test_check_warns_on_a_missing_intro_and_a_missing_dek(sample: Path) -> None:
    issue = sample / "content" / "issues" / "2026-W47.md"
    text = issue.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n\n")
    issue.write_text(head + "\n\n" + rest[rest.index("## ") :], encoding="utf-8")
    article = sample / "content" / "articles" / "2026" / "tv-shopping-was-live-commerce-first.md"
    lines = [line for line in article.read_text().splitlines() if not line.startswith("Dek:")]
    article.write_text("\n".join(lines) + "\n")
    result = brief(sample, "check", check=False)
    assert "content/issues/2026-W47.md:7: warning: the issue has no intro" in result.stdout
    assert "tv-shopping-was-live-commerce-first.md:1: warning: no 'Dek:'" in result.stdout


def test_hostile_dek_figures_and_movers_stay_text(sample: Path) -> None:
    article = sample / "content" / "articles" / "2026" / "tv-shopping-was-live-commerce-first.md"
    text = article.read_text(encoding="utf-8")
    head, body = text.split("\n\n", 1)
    lines = [line for line in head.splitlines() if not line.startswith("Dek:")]
    lines += [
        "Dek: <script>alert(1)</script> *not emphasis* [x](javascript:alert(1))",
        'Figures: 5 USD "<img src=x onerror=alert(1)>"',
    ]
    article.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")
    issue = sample / "content" / "issues" / "2026-W47.md"
    issue.write_text(
        issue.read_text(encoding="utf-8").replace(
            "- Walmart:", "- <b onmouseover=alert(1)>Walmart</b>:"
        ),
        encoding="utf-8",
    )
    brief(sample, "build")
    output = sample / "output"
    for path in (output / "issues/2026-w47/index.html", output / "digest/2026-W47.html"):
        html = path.read_text(encoding="utf-8")
        soup = BeautifulSoup(html, "html.parser")
        assert not soup.find("script", string=lambda s: s and "alert" in s), path
        assert not soup.find(attrs={"onerror": True}) and not soup.find(attrs={"onmouseover": True})
        assert not soup.find("a", href=lambda h: h and h.startswith("javascript:"))
        assert "&lt;script&gt;alert(1)&lt;/script&gt; *not emphasis*" in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html
        assert "&lt;b onmouseover=alert(1)&gt;Walmart&lt;/b&gt;" in html
    text = (output / "digest/2026-W47.txt").read_text(encoding="utf-8")
    assert "<script>alert(1)</script> *not emphasis*" in text  # plain text stays as written
