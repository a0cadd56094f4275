"""Relevance to livestream commerce and watchlist tagging."""

from __future__ import annotations

import pytest

from scrapers.entities import EntityTagger, load_entities
from scrapers.relevance import load_rules, score_item
from tests.conftest import RULES_FILE, WATCHLIST

ENTITIES = load_entities(WATCHLIST)
TAGGER = EntityTagger(ENTITIES)
RULES = load_rules(RULES_FILE)


def score(title: str, text: str = "") -> float:
    return score_item(RULES, title, text, TAGGER.tag(title, text)).value


def names(title: str, text: str = "") -> list[str]:
    return [m.entity.name for m in TAGGER.tag(title, text)]


def test_live_commerce_story_outscores_look_alikes() -> None:
    relevant = score("TikTok Shop signs up more creators for livestream shopping")
    tv_deals = score("Amazon Prime Day TV deals: the best televisions on sale")
    twitch = score("Twitch streamers protest new ad rules", "Streamers on Twitch objected.")
    assert relevant > 0.6
    assert tv_deals < 0.1
    assert twitch < 0.1


def test_watchlist_entities_need_topical_signal() -> None:
    assert score("Walmart reports quarterly earnings") == 0.0
    assert score("Walmart tests live shopping with creators") > 0.5


def test_case_aware_whole_words() -> None:
    assert "Flip" in names("Flip raises money for its shopping app")
    assert "Flip" not in names("Brands flip to short video", "They flip their budgets.")
    assert "Target" not in names("Retailers target younger shoppers")
    assert "Amazon" not in names("Amazonian retailers")


def test_chinese_aliases() -> None:
    assert names("抖音电商直播带货")[:1] == ["Douyin"]


@pytest.mark.parametrize(
    ("title", "text", "about", "mentioned"),
    [
        ("Whatnot adds sneaker auctions", "Live sales grow.", {"Whatnot"}, set()),
        ("Live shopping grows", "x" * 400 + " Whatnot was also cited.", set(), {"Whatnot"}),
    ],
)
def test_about_versus_mentioned(
    title: str, text: str, about: set[str], mentioned: set[str]
) -> None:
    found = TAGGER.tag(title, text)
    assert {m.entity.name for m in found if m.about} == about
    assert {m.entity.name for m in found if not m.about} == mentioned
