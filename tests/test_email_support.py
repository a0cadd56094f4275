"""Every CSS property, at-rule and selector of the digest, checked against the caniemail
data set (npm package `caniemail`, pinned) for Gmail, Outlook and Apple Mail.

A feature a client does not support fails the test, unless it is on the short allowlist
below: deliberate enhancements that degrade gracefully where they are not supported.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import REPO, brief

DATA = REPO / "tests" / "js" / "node_modules" / "caniemail" / "data" / "caniemail.json"
CLIENTS = {
    "gmail": ("desktop-webmail", "ios", "android"),
    "outlook": ("windows", "macos", "outlook-com"),
    "apple-mail": ("macos", "ios"),
}
ALLOWED = {
    # Dark mode: clients without it show the light design, which is complete on its own.
    "css-at-media-prefers-color-scheme": "dark mode is an enhancement",
    # Phone padding: without media queries the 600 px container still shrinks to fit.
    "css-at-media": "small-screen padding is an enhancement",
    # Outlook.com's dark-mode hooks ([data-ogsc], [data-ogsb]); Outlook on Windows ignores them.
    "css-selector-attribute": "Outlook.com dark-mode hooks only",
    # The hidden preheader is hidden several ways at once (display, max-height, opacity,
    # overflow, colour, mso-hide); Outlook on Windows honours display:none and mso-hide.
    "css-max-height": "one of several ways the preheader is hidden",
    "css-opacity": "one of several ways the preheader is hidden",
    "css-overflow": "one of several ways the preheader is hidden",
}


@pytest.fixture(scope="module")
def support() -> dict[str, dict[str, dict[str, str]]]:
    if not DATA.is_file():
        pytest.fail(f"{DATA} is missing: run `npm ci --prefix tests/js` (make test does)")
    features = json.loads(DATA.read_text(encoding="utf-8"))["data"]
    return {feature["slug"]: feature["stats"] for feature in features}


@pytest.fixture(scope="module")
def digest_html(built_sample: Path) -> str:
    return (built_sample / "output" / "digest" / "2026-W46.html").read_text(encoding="utf-8")


def used_features(html: str, known: set[str]) -> set[str]:
    soup = BeautifulSoup(html, "html.parser")
    declarations = [el["style"] for el in soup.find_all(style=True)]
    sheets = " ".join(style.get_text() for style in soup.find_all("style"))
    sheets = re.sub(r"/\*.*?\*/", "", sheets, flags=re.DOTALL)
    declarations += re.findall(r"\{([^{}]*)\}", sheets)
    features: set[str] = set()
    for block in declarations:
        for prop, value in re.findall(r"([a-z-]+)\s*:\s*([^;]+)", block):
            features.add(_property_slug(prop, known))
            if "!important" in value:
                features.add("css-important")
    if "@media" in sheets:
        features.add("css-at-media")
    if "prefers-color-scheme" in sheets:
        features.add("css-at-media-prefers-color-scheme")
    selectors = " ".join(re.findall(r"([^{}]+)\{", re.sub(r"@media[^{]*\{", "", sheets)))
    if "[" in selectors:
        features.add("css-selector-attribute")
    if re.search(r"\.[a-z]", selectors):
        features.add("css-selector-class")
    if re.search(r"[\w\]]\s+[.\w\[]", selectors):
        features.add("css-selector-descendant")
    if "," in selectors:
        features.add("css-selector-grouping")
    return {f for f in features if f in known}


def _property_slug(prop: str, known: set[str]) -> str:
    name = prop.strip()
    while name:
        if f"css-{name}" in known:
            return f"css-{name}"
        name = name.rpartition("-")[0]  # padding-left -> padding, border-top-color -> border
    return f"css-{prop}"


def unsupported(stats: dict[str, dict[str, str]]) -> list[str]:
    missing = []
    for client, platforms in CLIENTS.items():
        for platform in platforms:
            versions = stats.get(client, {}).get(platform)
            if not versions:
                continue
            latest = str(list(versions.values())[-1])
            if latest.startswith("n"):
                missing.append(f"{client} {platform}")
    return missing


def test_the_digest_uses_only_what_the_clients_support(
    digest_html: str, support: dict[str, dict[str, dict[str, str]]]
) -> None:
    used = used_features(digest_html, set(support))
    assert {"css-padding", "css-background-color", "css-font-size"} <= used  # the parser works
    problems = {
        slug: unsupported(support[slug])
        for slug in sorted(used)
        if slug not in ALLOWED and unsupported(support[slug])
    }
    assert problems == {}


def test_the_allowlist_is_short_and_still_needed(
    digest_html: str, support: dict[str, dict[str, dict[str, str]]]
) -> None:
    used = used_features(digest_html, set(support))
    stale = [slug for slug in ALLOWED if slug not in used or not unsupported(support[slug])]
    assert stale == [], "remove these from ALLOWED: the digest no longer needs them"
    assert len(ALLOWED) <= 8


def test_a_thirty_article_issue_stays_under_the_size_budget(sample: Path) -> None:
    """Gmail clips messages over about 102 KB: 30 annotated articles must fit in 100,000 bytes."""
    articles = sample / "content" / "articles" / "2026"
    template = (articles / "whatnot-built-live-shopping-around-collectors.md").read_text()
    slugs = []
    for number in range(30):
        slug = f"budget-story-{number:02d}"
        text = template.replace("whatnot-built-live-shopping-around-collectors", slug)
        text = text.replace("https://techcrunch.com/", f"https://techcrunch.com/story-{number}")
        (articles / f"{slug}.md").write_text(text)
        slugs.append(slug)
    issue = sample / "content" / "issues" / "2026-W48.md"
    body = "\n".join(f"- {slug}" for slug in slugs)
    issue.write_text(
        "Title: Thirty stories\nDate: 2026-11-27 09:00\nStatus: published\n\n"
        f"A long week.\n\n## Platforms\n\n{body}\n"
    )
    brief(sample, "digest", "2026-W48")
    size = len((sample / "public" / "digest" / "2026-W48.html").read_bytes())
    assert size <= 100_000, size
    result = brief(sample, "check", "--issue", "2026-W48")
    assert "over the" not in result.stdout
