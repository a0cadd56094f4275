"""The built site in headless Chromium: nothing from other hosts, no sideways scrolling."""

from __future__ import annotations

import os
from itertools import pairwise
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import LOCAL_SERVICE_HEALTH

PAGES = [
    "/",
    "/issues/2026-w46/",
    "/issues/2026-w47/",
    "/calendar/",
    "/entities/amazon/",
    "/articles/2026/whatnot-built-live-shopping-around-collectors/",
    "/entities/tiktok-shop/",
    "/entities/",
    "/search/?q=whatnot",
    "/archive/",
    "/about/",
    "/404.html",
]


@pytest.fixture(scope="module")
def site(sample_site: str) -> str:
    return sample_site


@pytest.mark.slow
# The width decides the layout and the scheme only its colours: each width once, in one
# scheme each (the colours are tested on their own below and by axe in both schemes).
@pytest.mark.parametrize(("width", "scheme"), [(320, "light"), (1280, "dark")])
def test_pages_stay_on_this_host_and_fit_the_screen(
    site: str, browser: object, width: int, scheme: str
) -> None:
    host = urlsplit(site).netloc
    context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme)  # type: ignore[attr-defined]
    page = context.new_page()
    foreign: list[str] = []
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc != host else None)
    overflowing = []
    for path in PAGES:
        # The search page fetches its index after load: wait for the network to settle there.
        page.goto(site + path, wait_until="networkidle" if "search" in path else "load")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        if scroll > width:
            overflowing.append((path, scroll))
        if path == "/" and width == 320:
            Path(__file__).parent.joinpath("artifacts").mkdir(exist_ok=True)
            page.screenshot(
                path=str(Path(__file__).parent / "artifacts" / f"home-{width}-{scheme}.png")
            )
    context.close()
    # The one request that leaves: the local preview's subscribe form asking whether the
    # subscription service it posts to runs (pelicanconf.py's BRIEF_SUBSCRIPTIONS, on this
    # machine), to say how to start it if not.
    assert {url for url in foreign if url != LOCAL_SERVICE_HEALTH} == set()
    assert overflowing == []


@pytest.mark.slow
def test_dark_scheme_changes_colours(site: str, browser: object) -> None:
    colours = {}
    for scheme in ("light", "dark"):
        page = browser.new_page(color_scheme=scheme)  # type: ignore[attr-defined]
        page.goto(site + "/")
        colours[scheme] = page.evaluate(
            "[getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
        )
        page.close()
    assert colours["light"] != colours["dark"]


@pytest.mark.slow
@pytest.mark.parametrize("width", [320, 390, 768, 1280])
def test_chart_labels_stay_readable_on_a_phone(site: str, browser: object, width: int) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800})  # type: ignore[attr-defined]
    page.goto(site + "/entities/tiktok-shop/")
    sizes = page.evaluate(
        """() => {
          const svg = document.querySelector('svg.chart');
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('text.label')].map(
            t => parseFloat(getComputedStyle(t).fontSize) * scale);
        }"""
    )
    boxes = page.evaluate(
        """() => [...document.querySelectorAll('svg.chart text.label')].slice(0, -1)
             .map(t => { const r = t.getBoundingClientRect(); return [r.left, r.right]; })"""
    )
    page.close()
    assert sizes and min(sizes) >= 11, sizes
    # The month labels do not run into each other.
    boxes.sort()
    assert all(a[1] <= b[0] for a, b in pairwise(boxes)), boxes


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("BRIEF_SCREENSHOTS"),
    reason="screenshots are for people to look at: BRIEF_SCREENSHOTS=1 make test writes them",
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshots_of_the_new_pages(site: str, browser: object, scheme: str) -> None:
    """The issue's top, a company page and the digest, as a reader sees them (saved to
    tests/artifacts for a look by eye), none wider than its screen."""
    folder = Path(__file__).parent / "artifacts"
    folder.mkdir(exist_ok=True)
    shots = [
        ("/issues/2026-w47/", "issue-top", (390, 1280), False),
        ("/entities/tiktok-shop/", "entity", (390, 1280), True),
        ("/digest/2026-W47.html", "digest", (375,), True),
    ]
    for path, name, widths, full in shots:
        for width in widths:
            page = browser.new_page(  # type: ignore[attr-defined]
                viewport={"width": width, "height": 900}, color_scheme=scheme
            )
            page.goto(site + path)
            assert page.evaluate("document.documentElement.scrollWidth") <= width, (path, width)
            page.screenshot(path=str(folder / f"{name}-{width}-{scheme}.png"), full_page=full)
            page.close()
