"""Floors on text real publishers wrote (tests/data/real/): what the tools reach there may
only go up. The issue's targets are printed by `make bench` beside these figures; a floor
here is what was measured on the half nobody tuned on, so a change that loses ground on
real text fails, whatever our own examples say."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.real_sets import copy_pairs, figure_items, score_copies, score_figures


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
