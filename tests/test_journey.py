"""The editor's week end to end, through the real CLI, on a temporary newsletter:
fixture feeds on 127.0.0.1 -> scrape -> triage -> accept -> annotate -> issue new ->
build -> digest; then a reader searches the site in headless Chromium."""

from __future__ import annotations

import email
import json
import re
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import Server, serve, write_feeds
from tests.conftest import brief_process as brief  # the journey runs the real command

ANNOTATION = (
    "Sneaker resellers are the next collectors Whatnot can win over, and quicklime matters."
)


def _publish(path: Path) -> None:
    """What an editor does by hand before `brief issue publish` exists: flip the status."""
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Status: draft", "Status: published", 1), encoding="utf-8")


@pytest.mark.slow
def test_weekly_cycle(newsletter: Path, feed_server: Server, browser: object) -> None:
    write_feeds(
        newsletter,
        {
            "Retail News": f"{feed_server.url}/retail-news.rss",
            "Asia Tech": f"{feed_server.url}/asia-tech.atom",
            "Creators": f"{feed_server.url}/creators.json",
            "Broken": f"{feed_server.url}/nope.rss",
        },
    )
    scraped = brief(newsletter, "scrape", "--json", check=False)
    assert scraped.returncode == 1  # one source failed; the others are stored
    report = json.loads(scraped.stdout)
    assert report["new"] == 6 and len(report["failed"]) == 1

    queue = json.loads(brief(newsletter, "triage", "--json").stdout)
    whatnot = next(c for c in queue if c["title"].startswith("Whatnot"))
    tiktok = next(c for c in queue if c["title"].startswith("TikTok Shop"))
    hosts = next(c for c in queue if c["title"].startswith("Brands train"))

    accepted = brief(newsletter, "accept", str(whatnot["id"]), str(tiktok["id"]), str(hosts["id"]))
    paths = [newsletter / line for line in accepted.stdout.split()]
    assert [p.parent.name for p in paths] == ["2026", "2026", "2026"]
    article = paths[0]
    text = article.read_text(encoding="utf-8")
    for field in (
        "Title:",
        "Date: 2026-11-10",
        "Category:",
        "Slug:",
        "Dek: ",
        "Status: draft",
        "Source: Retail News",
        "Link: http://retail.test/2026/11/whatnot-sneakers",
        "Entities: Whatnot",
    ):
        assert field in text
    assert "\n> The live shopping marketplace Whatnot" in text
    assert "<script" not in text
    assert text.rstrip().endswith("## Why it matters")

    # The editor writes the annotation and publishes the articles.
    article.write_text(text + "\n" + ANNOTATION + "\n", encoding="utf-8")
    for path in paths[1:]:
        path.write_text(path.read_text() + "\nA short note from the editor.\n", encoding="utf-8")
    for path in paths:
        _publish(path)
    edited = article.read_bytes()

    # Accepting again, or starting the same issue twice, changes nothing.
    again = brief(newsletter, "accept", str(whatnot["id"]))
    assert "already accepted" in again.stderr
    assert article.read_bytes() == edited
    assert str(whatnot["id"]) not in {
        str(c["id"]) for c in json.loads(brief(newsletter, "triage", "--json").stdout)
    }

    issue_path = newsletter / brief(newsletter, "issue", "new", "--week", "2026-W46").stdout.strip()
    assert issue_path == newsletter / "content" / "issues" / "2026-W46.md"
    issue_text = issue_path.read_text()
    for path in paths:
        assert f"- {path.stem}" in issue_text
    issue_path.write_text(
        issue_text.replace("Status: draft", "Status: published")
        .replace("Title: Week 46, 2026", "Title: Sneakers go live")
        .replace(
            "<!-- Write the intro",
            "Collectors and creators led a busy week.\n\n<!-- Write the intro",
        ),
        encoding="utf-8",
    )
    before = issue_path.read_bytes()
    refused = brief(newsletter, "issue", "new", "--week", "2026-W46", check=False)
    assert refused.returncode == 1 and "already exists" in refused.stderr
    assert issue_path.read_bytes() == before

    assert brief(newsletter, "check").returncode == 0

    brief(newsletter, "build")
    output = newsletter / "output"
    page = BeautifulSoup(
        (output / "articles/2026" / article.stem / "index.html").read_text(), "html.parser"
    )
    main = page.find("main").get_text(" ")
    assert ANNOTATION in main
    assert main.index(ANNOTATION) < main.index("What Retail News reported")  # annotation first
    assert page.select_one(".article-dek").get_text().startswith("The live shopping marketplace")
    assert page.find(
        "a",
        href="http://retail.test/2026/11/whatnot-sneakers",  # the feed's utm_* dropped
    )
    issue_page = (output / "issues/2026-w46/index.html").read_text()
    assert ANNOTATION in issue_page
    assert ANNOTATION in (output / "index.html").read_text()  # the home page shows the latest issue

    digest = brief(newsletter, "digest", "2026-W46").stdout.split()
    assert [Path(p).name for p in digest] == ["2026-W46.html", "2026-W46.txt", "2026-W46.eml"]
    message = email.message_from_bytes(
        (output / "digest/2026-W46.eml").read_bytes(), policy=default
    )
    assert isinstance(message, EmailMessage)
    plain = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert re.sub(r"\s+", " ", plain).count(ANNOTATION) == 1
    assert ANNOTATION in BeautifulSoup(html, "html.parser").get_text(" ")

    # A reader searches the site.
    with serve_output(output) as base:
        tab = browser.new_page()  # type: ignore[attr-defined]
        tab.goto(f"{base}/search/")
        tab.fill("#q", "quicklime")
        tab.wait_for_selector(".result h2 a", timeout=10_000)
        titles = tab.locator(".result h2 a").all_inner_texts()
        assert any(t.startswith("Whatnot expands live shopping auctions") for t in titles)
        tab.close()


class serve_output:
    def __init__(self, root: Path):
        self._gen = serve(root)

    def __enter__(self) -> str:
        return next(self._gen).url

    def __exit__(self, *exc: object) -> None:
        next(self._gen, None)
