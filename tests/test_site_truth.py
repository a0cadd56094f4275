"""The site says the right thing, in Chromium against the real `brief serve` (make serve):
issues numbered 1, 2, 3... in publication order and fixed at publish, a draft previewed
where `brief preview` says, a publish that leaves the preview styled (the public build has a
folder of its own), the designed 404 page, the subscribe form when the service is not
running, and a company page's chart at 390 px."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import brief, copy_sample
from tests.service import free_port, start_service, stop
from tests.test_preview import Served

pytestmark = pytest.mark.slow

SOURCE = "content/articles/2026/whatnot-built-live-shopping-around-collectors.md"
SHOTS = Path(__file__).parent / "artifacts"


def _draft_week(root: Path) -> None:
    """A new article and the draft issue 2026-W48 that lists it."""
    text = (root / SOURCE).read_text(encoding="utf-8")
    for key, value in {
        "Title": "Whatnot opens its live auctions to vintage clothing",
        "Slug": "whatnot-opens-live-auctions-to-vintage-clothing",
        "Date": "2026-11-26 09:00",
        "Status": "draft",
        "Link": "https://example.com/whatnot-vintage",
    }.items():
        text = re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)
    (root / "content/articles/2026/whatnot-opens-live-auctions-to-vintage-clothing.md").write_text(
        re.sub(r"^Published: .*\n", "", text, flags=re.M), encoding="utf-8"
    )
    (root / "content/issues/2026-W48.md").write_text(
        "Title: Vintage goes live\nDate: 2026-11-27 09:00\nStatus: draft\n\n"
        "Resale keeps finding its way into live shows.\n\n## Platforms\n\n"
        "- whatnot-opens-live-auctions-to-vintage-clothing\n",
        encoding="utf-8",
    )


def _styled(page: object) -> bool:
    """The theme's stylesheet loaded and applies (not the browser's bare defaults)."""
    return bool(
        page.evaluate(  # type: ignore[attr-defined]
            "() => [...document.styleSheets].some(s => s.href && s.href.includes('brief')"
            " && s.cssRules.length > 50)"
        )
    )


def _kicker(page: object) -> str:
    return " ".join(page.text_content(".kicker").split())  # type: ignore[attr-defined]


def _archive(page: object, base: str) -> list[str]:
    page.goto(base + "issues/")  # type: ignore[attr-defined]
    items = page.locator("main li .meta").all_text_contents()  # type: ignore[attr-defined]
    return [re.search(r"Issue \d+", text).group(0) for text in items]  # type: ignore[union-attr]


def test_numbers_preview_publish_404_and_the_form_without_the_service(
    tmp_path: Path, browser: object
) -> None:
    root = copy_sample(tmp_path / "sample")
    service_port = free_port()
    conf = root / "pelicanconf.py"
    conf.write_text(
        conf.read_text() + f'\nBRIEF_SUBSCRIPTIONS = {{**BRIEF_SUBSCRIPTIONS, "url":'
        f' "http://127.0.0.1:{service_port}/subscriptions/"}}\n'
    )
    _draft_week(root)
    server = Served(root)
    context = browser.new_context(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page = context.new_page()
    elsewhere: list[str] = []
    page.on("request", lambda r: elsewhere.append(r.url) if "127.0.0.1" not in r.url else None)
    service = None
    try:
        base = server.url
        port = base.rstrip("/").rsplit(":", 1)[1]
        printed = brief(root, "preview", "2026-W48", "--port", port).stdout
        draft_url = f"{base}drafts/issues/2026-w48/"
        assert f"Issue 4 (2026-W48, draft): {draft_url}" in printed
        assert f"Its digest: {base}digest/2026-W48.html" in printed

        # Issues are counted in publication order: the archive reads 3, 2, 1, no week numbers.
        assert _archive(page, base) == ["Issue 3", "Issue 2", "Issue 1"]
        page.goto(base)
        assert "Issue 3" in _kicker(page)
        # The draft, where `brief preview` said, numbered as the next issue.
        page.goto(draft_url)
        assert _kicker(page).endswith("Issue 4 · Draft") and _styled(page)
        digest = page.goto(f"{base}digest/2026-W48.html")
        assert digest is not None and digest.status == 200
        assert "Vintage goes live" in page.title()

        # A page that does not exist: the site's own 404 page, styled, with the 404 status.
        missing = page.goto(base + "no/such/page/")
        assert missing is not None and missing.status == 404
        assert page.inner_text("h1") and _styled(page)
        assert page.locator("a[href='/']").count() >= 1  # a way home

        # The subscribe form while the service is not running: the page says so, and a
        # form sent says so in place (not the browser's "connection refused").
        page.goto(base + "subscribe/")
        note = page.locator("main .subscribe-local").first
        note.wait_for(state="visible")
        assert "brief subscriptions serve" in note.inner_text()
        form = page.locator("main form[data-subscribe]").first
        form.locator("input[type=email]").fill("reader@example.com")
        form.locator("button[type=submit]").click()
        status = form.locator(".subscribe-status")
        status.filter(has_text="not running").wait_for()
        assert page.url == base + "subscribe/"
        if os.environ.get("BRIEF_SCREENSHOTS"):
            SHOTS.mkdir(exist_ok=True)
            page.screenshot(path=str(SHOTS / "subscribe-without-service.png"), full_page=True)
        # Once the service runs, the note goes away.
        service, _ = start_service(root, port=service_port)
        page.reload()
        page.locator("main .subscribe-local").first.wait_for(state="hidden")

        # Publishing builds the public site into public/ and numbers the issue for good.
        published = brief(root, "issue", "publish", "2026-W48")
        assert "public" in published.stdout
        issue_file = (root / "content/issues/2026-W48.md").read_text(encoding="utf-8")
        assert re.search(r"^Number: 4$", issue_file, re.M)
        public = (root / "public" / "issues" / "2026-w48" / "index.html").read_text()
        assert "https://brief.example.com/theme/" in public
        kicker = BeautifulSoup(public, "html.parser").select_one(".kicker").get_text(" ")
        assert "Issue 4" in " ".join(kicker.split())
        server.line_matching(r"rebuilt the site in", timeout=120)  # the preview follows
        page.goto(base + "issues/2026-w48/")
        assert _kicker(page).endswith("Issue 4") and _styled(page)
        assert _archive(page, base) == ["Issue 4", "Issue 3", "Issue 2", "Issue 1"]
        assert elsewhere == []  # the preview never reaches for the public address
        # Publishing again keeps the number it was given.
        brief(root, "issue", "publish", "2026-W48")
        assert re.search(r"^Number: 4$", (root / "content/issues/2026-W48.md").read_text(), re.M)
    finally:
        context.close()
        if service is not None:
            stop(service)
        server.process.terminate()
        server.process.wait(timeout=30)


def test_a_company_chart_at_390_px_keeps_its_bars_off_its_labels(
    sample_site: str, browser: object
) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 800})  # type: ignore[attr-defined]
    page = context.new_page()
    try:
        page.goto(sample_site + "/entities/whatnot/")
        boxes = page.evaluate(
            """() => {
              const box = e => { const r = e.getBoundingClientRect();
                                 return [r.left, r.top, r.right, r.bottom]; };
              const svg = document.querySelector("svg.chart");
              return {bars: [...svg.querySelectorAll("rect")].map(box),
                      labels: [...svg.querySelectorAll("text")].map(box),
                      size: getComputedStyle(svg.querySelector("text")).fontSize};
            }"""
        )
        assert boxes["bars"] and boxes["labels"]
        for bar in boxes["bars"]:
            for label in boxes["labels"]:
                apart = (
                    bar[2] <= label[0] or label[2] <= bar[0] or bar[3] <= label[1]
                    or label[3] <= bar[1]
                )  # fmt: skip
                assert apart, (bar, label)
        if os.environ.get("BRIEF_SCREENSHOTS"):
            SHOTS.mkdir(exist_ok=True)
            page.locator(".chart-figure").screenshot(path=str(SHOTS / "chart-390.png"))
    finally:
        context.close()
