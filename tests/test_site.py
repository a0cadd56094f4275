"""The Pelican plugin and theme: a real build of the sample newsletter into a temp dir."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from brief.ground.settings import load_settings
from tests.conftest import brief


@pytest.fixture(scope="module")
def built(built_sample: Path) -> Path:
    return built_sample


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_plugin_registers(sample: Path) -> None:
    from pelican import Pelican

    settings = load_settings(sample / "pelicanconf.py")
    pelican = Pelican(dict(settings.pelican))
    assert "brief.site.plugin" in [module.__name__ for module in pelican.plugins]


def test_build_fails_when_the_plugin_does_not_load(sample: Path) -> None:
    conf = sample / "pelicanconf.py"
    conf.write_text(
        conf.read_text().replace('PLUGINS = ["brief.site.plugin"]', 'PLUGINS = ["brief.plugn"]')
    )
    result = brief(sample, "build", check=False)
    assert result.returncode == 1
    assert "brief.site.plugin did not load" in result.stderr


def test_sample_output_layout(built: Path) -> None:
    output = built / "output"
    assert (output / "index.html").is_file()
    assert (output / "pagefind" / "pagefind.js").is_file()
    assert sorted(p.name for p in (output / "digest").glob("*.eml")) == [
        "2026-W45.eml",
        "2026-W46.eml",
        "2026-W47.eml",
    ]
    for page in (
        "issues/index.html",
        "archive/index.html",
        "sections/index.html",
        "search/index.html",
        "about/index.html",
        "subscribe/index.html",
        "feeds/all.atom.xml",
        "feeds/issues.atom.xml",
        "sections/platforms/index.html",
        "tags/index.html",
    ):
        assert (output / page).is_file(), page


def test_home_shows_latest_issue_in_full(built: Path) -> None:
    home = soup(built / "output" / "index.html")
    assert (
        home.find("h1").get_text(strip=True) == "Before Black Friday: who owns the live audience?"
    )
    assert "Black Friday is the closest thing the US has to Singles" in home.get_text()
    recent = [a.get_text() for a in home.select(".issue-list a")]
    assert recent == ["Singles' Day week: the Asian playbooks", "Where US live commerce stands"]


def test_issue_page_sections_in_file_order_with_pager(built: Path) -> None:
    page = soup(built / "output" / "issues" / "2026-w46" / "index.html")
    assert [h.get_text() for h in page.select(".issue-section h2")] == ["China & Asia", "Platforms"]
    titles = [a.get_text() for a in page.select(".issue-article h3 a")]
    assert titles[0] == "Singles' Day is now a live-selling marathon"
    assert titles[-1] == "Whatnot built live shopping around collectors"
    assert page.find("a", rel="prev")["href"].endswith("/issues/2026-w45/")
    assert page.find("a", rel="next")["href"].endswith("/issues/2026-w47/")


def test_article_page_annotation_first_then_source(built: Path) -> None:
    path = built / "output/articles/2026/whatnot-built-live-shopping-around-collectors/index.html"
    page = soup(path)
    text = page.find("main").get_text(" ")
    assert text.index("Why it matters") < text.index("What TechCrunch reported")
    assert page.find("a", href="https://techcrunch.com/")
    assert "Singles' Day week: the Asian playbooks" in text  # the issue it appeared in
    assert page.find(attrs={"data-pagefind-filter": "entity[data-value]", "data-value": "Whatnot"})


def test_no_request_to_another_host(built: Path) -> None:
    for page in (built / "output").rglob("*.html"):
        if page.parent.name == "digest":
            continue
        html = soup(page)
        for tag, attr in (("script", "src"), ("link", "href"), ("img", "src"), ("iframe", "src")):
            for element in html.find_all(tag):
                value = element.get(attr, "")
                if tag == "link" and element.get("rel") in (["alternate"], ["canonical"]):
                    continue  # addresses of this site, not requests
                assert not value.startswith(("http:", "https:", "//")), f"{page}: {value}"


@pytest.mark.slow
def test_plain_pelican_builds_the_same_pages(built: Path, tmp_path: Path) -> None:
    out = tmp_path / "pelican-out"
    subprocess.run(
        [sys.executable, "-m", "pelican", "content", "-s", "pelicanconf.py", "-o", str(out), "-q"],
        cwd=built,
        check=True,
        capture_output=True,
    )
    ours = {p.relative_to(built / "output") for p in (built / "output").rglob("*.html")}
    theirs = {p.relative_to(out) for p in out.rglob("*.html")}
    assert ours - {p for p in ours if p.parts[0] == "digest"} <= theirs
    same = Path("issues/2026-w47/index.html")

    def page(path: Path) -> str:  # without the incremental writer's fingerprint comment
        return re.sub(r"<!-- brief:inputs=\w+ -->\n$", "", path.read_text())

    assert page(out / same) == page(built / "output" / same)
    assert (out / "pagefind" / "pagefind.js").is_file()


def test_build_into_another_folder(sample: Path, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere"
    result = brief(sample, "build", "--output", str(target))
    assert str(target) in result.stdout
    assert (target / "index.html").is_file()
    assert (target / "digest" / "2026-W46.eml").is_file()
    assert (target / "pagefind" / "pagefind.js").is_file()
    assert not (sample / "output").exists()


def test_sample_passes_check(built: Path) -> None:
    result = brief(built, "check")
    assert "0 errors" in result.stderr


@pytest.mark.slow
def test_rebuild_renders_only_what_changed(sample: Path) -> None:
    brief(sample, "build")
    output = sample / "output"
    edited = output / "articles/2026/whatnot-built-live-shopping-around-collectors/index.html"
    untouched = output / "articles/2026/tv-shopping-was-live-commerce-first/index.html"
    before = untouched.stat().st_mtime_ns
    source = sample / "content/articles/2026/whatnot-built-live-shopping-around-collectors.md"
    source.write_text(source.read_text() + "\nA sentence added on Friday.\n")
    brief(sample, "build")
    assert "A sentence added on Friday." in edited.read_text()
    assert "A sentence added on Friday." in (output / "issues/2026-w46/index.html").read_text()
    assert untouched.stat().st_mtime_ns == before  # not rendered again
    # A change a page shows, though it lives elsewhere (a related article's title), re-renders it.
    other = sample / "content/articles/2026/the-bottleneck-is-hosts-who-can-sell.md"
    other.write_text(
        other.read_text().replace(
            "Title: The bottleneck is hosts who can actually sell",
            "Title: Hosts who sell are the bottleneck",
        )
    )
    brief(sample, "build")
    assert "Hosts who sell are the bottleneck" in edited.read_text()


@pytest.mark.slow
def test_a_calendar_change_reaches_the_issue_page_on_rebuild(sample: Path) -> None:
    brief(sample, "build")
    issue = sample / "output/issues/2026-w47/index.html"
    assert "Cyber Monday" in issue.read_text()
    calendar = sample / "content/calendar.toml"
    calendar.write_text(
        calendar.read_text().replace('name = "Cyber Monday"', 'name = "Cyber Monday sales"')
    )
    brief(sample, "build")
    assert "Cyber Monday sales" in issue.read_text()
