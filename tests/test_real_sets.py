"""Floors on text real publishers wrote (tests/data/real/): what the tools reach there may
only go up. The issue's targets are printed by `make bench` beside these figures; a floor
here is what was measured on the half nobody tuned on, so a change that loses ground on
real text fails, whatever our own examples say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.real_sets import (
    agreement,
    copy_pairs,
    figure_items,
    learning_gain,
    relevance_items,
    score_copies,
    score_figures,
    score_relevance,
    second_reading,
)


def test_the_real_sets_are_real_and_split() -> None:
    items = list(figure_items())
    assert len(items) >= 250
    assert all(item.url.startswith(("http://", "https://")) for item in items)
    languages = Counter(item.lang for item in items)
    assert {"en", "en-IN", "zh-Hans", "zh-Hant", "id", "vi", "th"} <= set(languages)
    assert len(list(figure_items("tune"))) + len(list(figure_items("held-out"))) == len(items)
    pairs = copy_pairs()
    kinds = Counter(pair.kind for pair in pairs)
    assert kinds["copy"] >= 30 and kinds["near_miss"] >= 30
    assert all(pair.a["url"] != pair.b["url"] for pair in pairs)


def test_figures_on_the_held_out_half() -> None:
    score = score_figures("held-out")
    assert score.precision >= 0.955, score.wrong[:5]
    assert score.recall >= 0.93, score.wrong[:5]
    assert len(score.value_errors) <= 15, score.value_errors


def test_one_story_once_on_real_coverage(tmp_path: Path) -> None:
    # The target is no near miss merged; on 93 real near misses two in each half
    # still are (one outlet's ban and another's suspension of Shein the same week; two
    # companies' India investments, the second report quoting the first's amount).
    for half, floor in (("tune", 0.75), ("held-out", 0.68)):
        score = score_copies(tmp_path, half)
        assert score.merged <= 2, [pair.event for pair in score.wrongly_merged]
        assert score.joined_share >= floor, [pair.event for pair in score.missed]


def test_the_real_relevance_set_is_real_and_split_by_outlet() -> None:
    items = relevance_items()
    assert len(items) >= 300
    assert all(item.url.startswith(("http://", "https://")) for item in items)
    assert len({item.url for item in items}) == len(items)
    assert {"en", "en-IN", "zh-Hans", "zh-Hant", "id", "vi", "th"} <= {i.lang for i in items}
    tune, held = relevance_items("tune"), relevance_items("held-out")
    assert len(tune) + len(held) == len(items)
    assert not {i.outlet for i in tune} & {i.outlet for i in held}
    for half in (tune, held):  # both kinds, and the hard negatives, in each half
        assert sum(i.relevant for i in half) > len(half) / 3
        assert sum(not i.relevant for i in half) > len(half) / 3


def test_relevance_and_companies_on_the_held_out_half() -> None:
    # The targets are 0.95 for both; `make bench` prints them and the worst ten.
    score = score_relevance("held-out")
    assert score.average_precision >= 0.925
    assert score.entity_f1 >= 0.84, score.entity_mistakes(5)


def test_sixty_decisions_move_the_ranking_of_unseen_stories() -> None:
    # A model of 60 decisions from the tune half, blended with the rules, on the held-out
    # half: measured +0.015 to +0.022 over ten draws (mean +0.019; the target +0.02).
    gain = learning_gain(decisions=60, draws=3)
    assert all(g > 0.01 for g in gain.gains), gain
    assert sum(gain.gains) / len(gain.gains) >= 0.017, gain


def test_two_readers_agree_on_what_items_are_about() -> None:
    # The labels are not one reader's taste: a second reader, blind to them, agrees at 0.96
    # (entity F1), so the tagger's gap to the 0.95 target is the tagger's.
    second = second_reading()
    assert len(second) >= 500 and set(second) <= {item.url for item in relevance_items()}
    # (the third batch, added later, was read once)
    assert agreement("tune") >= 0.95 and agreement("held-out") >= 0.95
