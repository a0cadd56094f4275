"""Checks catch what they promise: a broken watchlist, a company that is not on it, an
alias, an undo after an unaccept, and a model that would rank worse than the rules."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import brief, write_feeds

ARTICLES = Path("content/articles/2026")


def test_a_broken_watchlist_fails_check_and_publish(sample: Path) -> None:
    watchlist = sample / "content" / "entities.toml"
    watchlist.write_text(watchlist.read_text() + '\n[[entity]]\nname = "Broken\n')
    checked = brief(sample, "check", check=False)
    assert checked.returncode == 1
    assert "entities.toml:" in checked.stderr + checked.stdout
    issue = sample / "content" / "issues" / "2026-W47.md"
    issue.write_text(issue.read_text().replace("Status: published", "Status: draft"))
    before = {p: p.read_text() for p in (sample / "content").rglob("*.md")}
    published = brief(sample, "issue", "publish", "2026-W47", check=False)
    assert published.returncode == 1
    assert {p: p.read_text() for p in before} == before  # nothing marked published


def _set_entities(sample: Path, slug: str, names: str) -> Path:
    path = sample / ARTICLES / f"{slug}.md"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    lines = [f"Entities: {names}\n" if line.startswith("Entities:") else line for line in lines]
    path.write_text("".join(lines), encoding="utf-8")
    return path


def test_a_company_off_the_watchlist_is_an_error_that_names_the_closest(sample: Path) -> None:
    path = _set_entities(sample, "whatnot-built-live-shopping-around-collectors", "Whatnott")
    checked = brief(sample, "check", check=False)
    assert checked.returncode == 1
    line = next(
        n for n, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("Entities")
    )
    expected = f"{path.relative_to(sample)}:{line}: error: Entities: 'Whatnott' is not on the watchlist: did you mean 'Whatnot'?"
    assert expected in checked.stdout + checked.stderr
    _set_entities(sample, "whatnot-built-live-shopping-around-collectors", "Acme Live")
    unknown = brief(sample, "check", check=False)
    assert "'Acme Live' is not on the watchlist: add it to content/entities.toml" in (
        unknown.stdout + unknown.stderr
    )


def test_an_alias_links_to_the_company_everywhere(sample: Path) -> None:
    """An article tagged 抖音 (an alias of Douyin) is on Douyin's page, links to it from its
    own page, and is filed under Douyin in the search filter."""
    slug = "douyin-and-kuaishou-turned-short-video-into-shops"
    _set_entities(sample, slug, "抖音, kuaishou")
    assert brief(sample, "check", check=False).returncode == 0
    brief(sample, "build")
    page = BeautifulSoup(
        (sample / "output" / "articles" / "2026" / slug / "index.html").read_text(), "html.parser"
    )
    companies = page.find("dt", string="Companies and platforms").find_next_sibling("dd")
    assert [a.get_text() for a in companies.find_all("a")] == ["Douyin", "Kuaishou"]
    assert [a["href"].rstrip("/").rsplit("/", 1)[1] for a in companies.find_all("a")] == [
        "douyin",
        "kuaishou",
    ]
    filters = [s["data-value"] for s in page.select('[data-pagefind-filter="entity[data-value]"]')]
    assert filters == ["Douyin", "Kuaishou"]
    douyin = (sample / "output" / "entities" / "douyin" / "index.html").read_text()
    assert f"/articles/2026/{slug}/" in douyin


def test_undo_after_unaccept_brings_the_draft_back(
    scraped: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """accept (ana), unaccept (bo), undo: the story is accepted again with the same draft,
    so `issue new` takes it, and it is ana's decision again."""
    rows = json.loads(brief(scraped, "triage", "--json").stdout)
    story = rows[0]["id"]
    monkeypatch.setenv("BRIEF_EDITOR", "ana")
    (path,) = brief(scraped, "accept", str(story)).stdout.split()
    draft = (scraped / path).read_text()
    monkeypatch.setenv("BRIEF_EDITOR", "bo")
    brief(scraped, "unaccept", str(story))
    assert not (scraped / path).exists()
    brief(scraped, "undo")
    assert (scraped / path).read_text() == draft
    (row,) = [
        r
        for r in json.loads(brief(scraped, "triage", "--json", "--status", "all").stdout)
        if r["id"] == story
    ]
    assert row["status"] == "accepted" and row["article_path"] == path
    assert row["decided_by"] == "ana"
    brief(scraped, "issue", "new", "--week", "2026-W48")
    assert Path(path).stem in (scraped / "content" / "issues" / "2026-W48.md").read_text()
    # And undoing the accept itself still works, taking the draft back out.
    brief(scraped, "undo")
    assert not (scraped / path).exists()


WORDS = [
    "amber",
    "basil",
    "cedar",
    "delta",
    "ember",
    "fjord",
    "garnet",
    "harbor",
    "indigo",
    "juniper",
    "kestrel",
    "lumen",
    "meadow",
    "nectar",
    "orchid",
    "pepper",
    "quartz",
    "russet",
    "saffron",
    "tundra",
    "umber",
    "velvet",
    "willow",
    "xenon",
    "yarrow",
    "zephyr",
]


def test_a_model_worse_than_the_rules_is_not_switched_on(newsletter: Path) -> None:
    """The editor kept every story of a trusted source (tier 2) and dropped every story of a
    weak one (tier 0.5): the rules rank that perfectly, a model of the words cannot. The model
    is not switched on (nothing written, the previous state kept) unless --force."""
    rules = newsletter / "relevance.toml"
    rules.write_text(rules.read_text() + "\n[ranking]\nmodel = 1.0\n")
    pick = random.Random(3)

    def feed(name: str) -> str:
        items = [
            {
                "id": f"{name}{n}",
                "url": f"https://{name}.example/{n}",
                "title": " ".join(pick.sample(WORDS, 4)) + " live shopping",
                "content_text": "Hosts sold "
                + " ".join(pick.sample(WORDS, 6))
                + " on a livestream.",
                "date_published": f"2026-11-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
            }
            for n in range(40)
        ]
        path = newsletter / f"{name}.json"
        path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                    "title": name, "items": items}))  # fmt: skip
        return str(path)

    write_feeds(newsletter, {"Trusted": feed("trusted"), "Weak": feed("weak")})
    feeds = newsletter / "feeds.toml"
    text = feeds.read_text().replace('name = "Trusted"', 'name = "Trusted"\ntier = 2.0')
    feeds.write_text(text.replace('name = "Weak"', 'name = "Weak"\ntier = 0.5'))
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json", "--limit", "1000").stdout)
    keep = [str(r["id"]) for r in rows if r["source"] == "Trusted"]
    drop = [str(r["id"]) for r in rows if r["source"] == "Weak"]
    assert len(keep) >= 30 and len(drop) >= 30
    brief(newsletter, "shortlist", *keep)
    brief(newsletter, "reject", *drop)
    refused = brief(newsletter, "relevance", "train", check=False)
    assert refused.returncode == 1, refused.stdout
    assert "rules alone        1.000" in refused.stdout
    assert "blend - rules      +0.000 (needed: +0.02)" in refused.stdout
    assert (
        "the blend did not rank the later decisions better than the rules alone (by 0.02 of"
        " average precision), so the new model was not switched on"
    ) in refused.stderr
    assert "triage keeps ranking by the rules alone" in refused.stderr
    model = newsletter / "data" / "relevance-model.joblib"
    assert not model.exists()
    forced = brief(newsletter, "relevance", "train", "--force")
    assert model.exists() and "Saved" in forced.stdout
    saved = model.read_bytes()
    again = brief(newsletter, "relevance", "train", check=False)
    assert "triage keeps the model already in" in again.stderr
    assert model.read_bytes() == saved


def test_a_tiny_held_out_split_is_called_what_it_is(newsletter: Path) -> None:
    from tests.test_editor_second import DECISIONS, _decided

    _decided(newsletter, DECISIONS[:10] + DECISIONS[-10:])
    result = brief(newsletter, "relevance", "train", check=False)
    assert "Only 10 later decisions" in result.stdout  # widened to hold 5 of each kind
    assert "too few for these figures to mean much" in result.stdout
