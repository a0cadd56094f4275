"""Relevance ranking and entity tagging on a labelled set of relevant and look-alike items."""

from __future__ import annotations

import tomllib

import pytest

from scrapers.entities import EntityTagger, load_entities
from scrapers.relevance import load_rules, score_item
from tests.conftest import DATA, RULES_FILE, WATCHLIST

ITEMS = tomllib.loads((DATA / "labelled.toml").read_text(encoding="utf-8"))["item"]
TAGGER = EntityTagger(load_entities(WATCHLIST))
RULES = load_rules(RULES_FILE)
THRESHOLD = 0.4  # what triage treats as worth reading first


def test_the_set_is_large_and_balanced() -> None:
    relevant = sum(item["relevant"] for item in ITEMS)
    assert len(ITEMS) >= 60
    assert 25 <= relevant <= len(ITEMS) - 25


def _score(item: dict[str, object]) -> float:
    title, text = str(item["title"]), str(item["text"])
    return score_item(RULES, title, text, TAGGER.tag(title, text)).value


def test_relevance_separates_the_labelled_set() -> None:
    scored = [(_score(item), item["relevant"], item["title"]) for item in ITEMS]
    wrong = [
        (round(score, 2), title)
        for score, relevant, title in scored
        if (score >= THRESHOLD) != relevant
    ]
    assert len(wrong) <= len(ITEMS) // 20, wrong  # at least 95% on the right side
    # Ranking: every relevant item above every look-alike, give or take two inversions.
    ranked = sorted(scored, key=lambda s: -s[0])
    top = [relevant for _, relevant, _ in ranked[: sum(i["relevant"] for i in ITEMS)]]
    assert top.count(False) <= 2


@pytest.mark.parametrize("item", ITEMS, ids=[str(i["title"])[:40] for i in ITEMS])
def test_entity_tagging(item: dict[str, object]) -> None:
    title, text = str(item["title"]), str(item["text"])
    found = TAGGER.tag(title, text)
    assert {m.entity.name for m in found if m.about} == set(item.get("about", []))  # type: ignore[arg-type]
    assert {m.entity.name for m in found if not m.about} == set(item.get("mentions", []))  # type: ignore[arg-type]
