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
