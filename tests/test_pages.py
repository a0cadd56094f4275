"""Entity and source pages, the mention chart, SEO tags, sitemap, robots.txt and 404."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from bs4 import BeautifulSoup

from brief.site.chart import mention_chart
from tests.conftest import brief


@pytest.fixture(scope="module")
def output(built_sample: Path) -> Path:
    return built_sample / "output"


def page(output: Path, path: str) -> BeautifulSoup:
    return BeautifulSoup((output / path).read_text(encoding="utf-8"), "html.parser")


def test_entity_page_lists_articles_by_month_with_a_chart(output: Path) -> None:
    html = page(output, "entities/whatnot/index.html")
    assert html.find("h1").get_text() == "Whatnot"
    titles = [a.get_text() for a in html.select(".story-list a")]
    assert titles[0] == "Whatnot built live shopping around collectors"
    # Its few articles are all under "Latest stories": no second list repeats them.
    assert html.select(".article-list") == [] and "Earlier articles" not in html.get_text()
    assert html.select_one(".entity-description").get_text().startswith("US live marketplace")
    latest = html.select(".story-list li")
    assert latest[0].select_one(".dek").get_text().startswith("Whatnot raised $265 million")
    figures = [tr.select("td")[1].get_text() for tr in html.select(".entity-figures tbody tr")]
    assert figures == ["$265M", "$3.7B"]
    chart = html.find("svg", class_="chart")
    assert chart["role"] == "img" and "Whatnot" in chart.find("title").get_text()
    # A company new to the newsletter: its months so far (at least three), no empty year;
    # its one month with articles is its one bar.
    assert len(chart.find_all("rect")) == 1 and "September 2026 to November 2026" in str(chart)
    assert (output / "feeds/entities/whatnot.atom.xml").is_file()
    index = page(output, "entities/index.html")
    assert "Whatnot" in [a.get_text() for a in index.select(".term-list a")]


def test_an_entity_page_lists_each_article_once(output: Path, sample: Path) -> None:
    """The latest five with their deks, then the older ones by month; never both."""
    for path in (output / "entities").glob("*/index.html"):
        html = page(output, str(path.relative_to(output)))
        links = [a["href"] for a in html.select(".story-list li > a, .article-list a")]
        assert len(links) == len(set(links)), path
        caption = html.select_one(".chart-figure figcaption").get_text()
        assert caption.startswith(f"{len(links)} article"), (path, caption)
    # Seven articles naming Whatnot, five in November and two in October.
    original = (
        sample
        / "content"
        / "articles"
        / "2026"
        / "whatnot-built-live-shopping-around-collectors.md"
    )
    for number, day in enumerate(
        ["2026-10-05", "2026-10-20", "2026-11-02", "2026-11-03", "2026-11-04"]
    ):
        text = original.read_text(encoding="utf-8")
        text = text.replace(
            "Slug: whatnot-built-live-shopping-around-collectors", f"Slug: whatnot-{number}"
        )
        text = re.sub(r"^Date: .*$", f"Date: {day} 09:00", text, count=1, flags=re.M)
        text = re.sub(r"^Title: .*$", f"Title: Whatnot story {number}", text, count=1, flags=re.M)
        text = re.sub(
            r"^Link: .*$", f"Link: https://example.com/whatnot/{number}", text, count=1, flags=re.M
        )
        (original.parent / f"whatnot-{number}.md").write_text(text, encoding="utf-8")
    brief(sample, "build")
    html = page(sample / "output", "entities/whatnot/index.html")
    latest = [a.get_text() for a in html.select(".story-list li > a")]
    earlier = [a.get_text() for a in html.select(".article-list a")]
    assert len(latest) == 5 and earlier == ["Whatnot story 1", "Whatnot story 0"]
    assert not set(latest) & set(earlier)
    assert [h.get_text() for h in html.select("main h3")] == ["October 2026"]
    assert html.find("h2", string="Earlier articles") is not None


def test_article_links_to_its_entities_and_source_pages_exist(output: Path) -> None:
    html = page(
        output, "articles/2026/douyin-and-kuaishou-turned-short-video-into-shops/index.html"
    )
    companies = html.find("dt", string="Companies and platforms").find_next_sibling("dd")
    linked = {a.get_text(): a["href"] for a in companies.find_all("a")}
    assert linked["Douyin"] == "/entities/douyin/" and linked["Kuaishou"] == "/entities/kuaishou/"
    related = [a.get_text() for a in html.select(".related a")]
    assert related and "Singles' Day is now a live-selling marathon" in related  # shares Douyin
    sources = page(output, "sources/index.html")
    assert "TechNode" in [a.get_text() for a in sources.select(".term-list a")]
    assert (output / "sources/technode/index.html").is_file()


def test_seo_tags_on_every_page(output: Path) -> None:
    for path in ("index.html", "issues/2026-w46/index.html", "entities/douyin/index.html",
                 "articles/2026/tv-shopping-was-live-commerce-first/index.html", "about/index.html"):  # fmt: skip
        html = page(output, path)
        canonical = html.find("link", rel="canonical")["href"]
        assert canonical.startswith("http://127.0.0.1:8000/"), path
        assert html.find("meta", property="og:url")["content"] == canonical
        assert html.find("meta", property="og:title")["content"]
        description = html.find("meta", attrs={"name": "description"})["content"]
        assert 20 < len(description) <= 200, (path, description)
        assert html.find("meta", attrs={"name": "twitter:card"})["content"] == "summary"
        assert html.find("title").get_text().strip()


def test_sitemap_robots_and_404(output: Path) -> None:
    tree = ElementTree.parse(output / "sitemap.xml")
    locs = [e.text for e in tree.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "http://127.0.0.1:8000/" in locs
    assert "http://127.0.0.1:8000/issues/2026-w47/" in locs
    assert not any("/drafts/" in loc or "/pagefind/" in loc for loc in locs)
    robots = (output / "robots.txt").read_text()
    assert "Sitemap: http://127.0.0.1:8000/sitemap.xml" in robots
    missing = page(output, "404.html")
    assert missing.find("h1").get_text() == "Page not found"


def test_every_internal_link_resolves(output: Path) -> None:
    broken = []
    for html_file in output.rglob("*.html"):
        if html_file.parts[len(output.parts)] in ("digest", "pagefind"):
            continue
        for tag in BeautifulSoup(html_file.read_text(encoding="utf-8"), "html.parser").find_all(
            ["a", "link", "script"]
        ):
            target = tag.get("href") or tag.get("src")
            if not target or not target.startswith("/") or target.startswith("//"):
                continue
            path = output / target.split("#")[0].split("?")[0].lstrip("/")
            if not (path.is_file() or (path / "index.html").is_file()):
                broken.append(f"{html_file.relative_to(output)} -> {target}")
    assert broken == []


def test_chart_spans_the_months_since_the_first_article() -> None:
    svg = mention_chart([date(2026, 11, 2), date(2026, 11, 9), date(2026, 3, 1)], "Whatnot")
    # March to November: nine months, two with articles; an empty month draws no bar.
    chart = BeautifulSoup(svg, "html.parser")
    assert [r.title.get_text() for r in chart.select("rect")] == [
        "March 2026: 1",
        "November 2026: 2",
    ]
    assert "Nov 2026" in svg and "March 2026 to November 2026" in svg and "Whatnot" in svg
    # Bars end above the month labels even at a phone's biggest label size (26 units).
    labels = [float(t["y"]) for t in chart.select("text") if "2026" in t.get_text()]
    assert labels and all(
        float(r["y"]) + float(r["height"]) <= min(labels) - 26 * 0.75 for r in chart.select("rect")
    )
    assert mention_chart([date(2026, 11, 2)], "New").count("<rect") == 1
    assert mention_chart([], "Nobody") == ""


def test_entity_pages_show_parent_children_and_the_index_groups_them(output: Path) -> None:
    douyin = page(output, "entities/douyin/index.html")
    facts = {dt.get_text(): dt.find_next_sibling("dd") for dt in douyin.select(".entity-facts dt")}
    assert facts["Part of"].a["href"] == "/entities/bytedance/"
    assert facts["Kind"].get_text() == "Platform" and facts["Region"].get_text() == "China"
    bytedance = page(output, "entities/bytedance/index.html")
    owns = bytedance.find("dt", string="Owns").find_next_sibling("dd")
    assert {a.get_text() for a in owns.find_all("a")} == {"Douyin", "TikTok Shop"}
    index = page(output, "entities/index.html")
    kinds = [h.get_text() for h in index.select(".entity-group h2")]
    assert kinds == ["Platforms", "Companies", "Retailers", "Software vendors"]
    platforms = index.select_one(".entity-group")
    regions = [h.get_text() for h in platforms.select("h3")]
    assert regions == ["Global", "United States", "China", "Southeast Asia"]


def test_tags_are_topics_not_company_names(sample: Path) -> None:
    path = (
        sample
        / "content"
        / "articles"
        / "2026"
        / "whatnot-built-live-shopping-around-collectors.md"
    )
    text = path.read_text(encoding="utf-8").replace(
        "Tags: collectibles", "Tags: Whatnot, collectibles"
    )
    path.write_text(text, encoding="utf-8")
    result = brief(sample, "check", check=False)
    assert "tag 'Whatnot' repeats a company" in result.stdout
    brief(sample, "build")
    tags = {p.name for p in (sample / "output" / "tags").iterdir()}
    assert "collectibles" in tags and "whatnot" not in tags
    assert mention_chart([], "Nobody") == ""
