"""Search in headless Chromium: results as you type, OR filters with honest counts, newest
first, and the whole search in the URL."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest


@pytest.fixture(scope="module")
def site(sample_site: str) -> str:
    return sample_site


def titles(page: object) -> list[str]:
    return page.locator(".result h2 a").all_inner_texts()  # type: ignore[attr-defined]


def count(page: object, group: str, value: str) -> int:
    label = page.locator(f'#filters input[name="{group}"][value="{value}"]').locator("..")  # type: ignore[attr-defined]
    return int(label.locator(".count").inner_text())


@pytest.mark.slow
def test_typing_filtering_sorting_and_sharing(site: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{site}/search/")
    page.fill("#q", "live")
    page.wait_for_function("document.querySelector('#status').textContent.includes('results for')")
    everything = titles(page)
    assert len(everything) >= 10 and "results for" in page.inner_text("#status")

    page.check('#filters input[name="entity"][value="Whatnot"]')
    page.wait_for_function(
        "document.querySelector('#status').textContent.startsWith('2 ')"
        " && document.querySelectorAll('.result').length == 2"
    )
    only_whatnot = titles(page)
    assert set(only_whatnot) == {  # the two sample articles naming Whatnot
        "Whatnot built live shopping around collectors",
        "The bottleneck is hosts who can actually sell",
    }

    # OR within a group; the other values keep their own counts (never 0 because of Whatnot).
    douyin_alone = count(page, "entity", "Douyin")
    assert douyin_alone > 0
    page.check('#filters input[name="entity"][value="Douyin"]')
    # No sample article names both, so OR gives exactly the sum.
    expected = len(only_whatnot) + douyin_alone
    page.wait_for_function(
        f"document.querySelector('#status').textContent.startsWith('{expected} ')"
        f" && document.querySelectorAll('.result').length == {expected}"
    )
    both = set(titles(page))
    assert set(only_whatnot) < both and len(both) == len(only_whatnot) + douyin_alone

    page.select_option("#sort", "newest")
    page.wait_for_function("location.search.includes('sort=newest')")
    query = parse_qs(urlsplit(page.url).query)
    assert query["q"] == ["live"] and set(query["entity"]) == {"Whatnot", "Douyin"}

    shared = browser.new_page()  # type: ignore[attr-defined]
    shared.goto(page.url)
    shared.wait_for_function(f"document.querySelectorAll('.result').length == {expected}")
    assert shared.input_value("#q") == "live"
    assert shared.is_checked('#filters input[name="entity"][value="Douyin"]')
    assert shared.input_value("#sort") == "newest"
    newest = titles(shared)
    assert newest[0] == "Whatnot built live shopping around collectors"  # 13 November, the latest
    assert set(newest) == both
    page.close()
    shared.close()


@pytest.mark.slow
def test_without_javascript_the_page_says_how_to_browse(site: str, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    page = context.new_page()
    page.goto(f"{site}/search/")
    text = page.inner_text("main")
    assert "Search needs JavaScript" in text and "company and platform" in text
    context.close()


def _wait_for_status(page: object) -> None:
    page.wait_for_function(  # type: ignore[attr-defined]
        "/result|article|Nothing/.test(document.getElementById('status').textContent)"
    )


@pytest.mark.slow
def test_a_company_search_finds_exactly_its_articles(
    site: str, browser: object, built_sample: object
) -> None:
    from pathlib import Path

    from bs4 import BeautifulSoup

    output = Path(str(built_sample)) / "output"
    index = BeautifulSoup((output / "entities/index.html").read_text(), "html.parser")
    companies = [(a.get_text(), a["href"]) for a in index.select(".term-list a")]
    assert len(companies) >= 20
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{site}/search/")
    wrong = []
    for name, href in companies:  # typed into the box, one after the other, as a reader does
        entity = BeautifulSoup((output / href.strip("/") / "index.html").read_text(), "html.parser")
        want = {a["href"] for a in entity.select(".story-list li > a, .article-list a")}
        page.fill("#q", name)
        page.press("#q", "Enter")
        page.wait_for_function(
            "name => document.getElementById('status').textContent.includes('about ' + name)",
            arg=name,
        )
        while page.locator("#more").is_visible():
            page.click("#more")
        got = set(
            page.eval_on_selector_all("#results a", "as => as.map(a => new URL(a.href).pathname)")
        )
        if got != want:
            wrong.append((name, sorted(got ^ want)))
    # An alias finds the same articles; the words alone are one click away.
    page.goto(f"{site}/search/?q=抖音")
    _wait_for_status(page)
    assert page.inner_text("#status").startswith("4 articles about Douyin")
    page.click("#status a")
    page.wait_for_function("location.search.includes('words=1')")
    page.close()
    assert wrong == []


@pytest.mark.slow
def test_chips_clear_all_hidden_empty_options_and_issue_titles(site: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})  # type: ignore[attr-defined]
    page.goto(f"{site}/search/?q=live")
    _wait_for_status(page)
    # The issue filter names issues by title, newest first.
    issues = page.locator('#filters input[name="issue"]').evaluate_all(
        "els => els.map(e => e.parentElement.textContent.trim())"
    )
    assert [i.split(" (")[0] for i in issues] == [
        "Before Black Friday: who owns the live audience?",
        "Singles' Day week: the Asian playbooks",
        "Where US live commerce stands",
    ]
    page.check('#filters input[name="entity"][value="Whatnot"]')
    page.wait_for_function("document.querySelectorAll('.result').length == 2")
    # Options that would find nothing are not offered.
    counts = page.locator("#filters .count").all_inner_texts()
    assert counts and all(int(c) > 0 for c in counts)
    page.check('#filters input[name="section"][value="Platforms"]')
    page.wait_for_function("document.querySelectorAll('#chips .chip').length == 2")
    chips = page.locator("#chips .chip").all_inner_texts()
    assert [c.replace("\u00d7", "").strip() for c in chips] == [
        "Company or platform: Whatnot",
        "Section: Platforms",
    ]
    page.click('#chips .chip[aria-label="Remove filter Section: Platforms"]')
    page.wait_for_function("document.querySelectorAll('#chips .chip').length == 1")
    assert "section=" not in page.url
    page.click("#chips .clear")
    page.wait_for_function("document.getElementById('chips').hidden")
    assert "entity=" not in page.url and page.locator("#filters input:checked").count() == 0
    # One search box on the search page.
    assert page.locator('input[type="search"]').count() == 1
    page.close()


@pytest.mark.slow
def test_excerpts_skip_the_boilerplate(site: str, browser: object) -> None:
    page = browser.new_page()  # type: ignore[attr-defined]
    page.goto(f"{site}/search/?q=matters&words=1")
    _wait_for_status(page)
    excerpts = page.locator(".result .excerpt").all_inner_texts()
    page.goto(f"{site}/search/?q=source&words=1")
    _wait_for_status(page)
    excerpts += page.locator(".result .excerpt").all_inner_texts()
    page.close()
    assert not [e for e in excerpts if "Why it matters" in e or "Source:" in e]


@pytest.mark.slow
def test_the_header_is_one_row_at_1280(site: str, browser: object) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
    page.goto(f"{site}/issues/2026-w47/")
    tops = page.evaluate(
        """() => ['.brand', 'header nav', '.search-box'].map(
             s => { const r = document.querySelector(s).getBoundingClientRect();
                    return [r.top, r.bottom]; })"""
    )
    page.close()
    (brand_top, brand_bottom), *others = tops
    for top, bottom in others:
        assert top < brand_bottom and bottom > brand_top, tops  # all on one line
