"""The real-text evaluation sets (tests/data/real/): sentences and headlines copied from
articles real publishers wrote, each with its URL, split once into a half to tune on and a
half to report on. The split is by article (URL), so no article is in both halves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

REAL = Path(__file__).parent / "data" / "real"


def held_out(url: str) -> bool:
    """Whether an item from `url` is in the reporting half (a fixed half of the URLs)."""
    return hashlib.sha256(url.encode()).digest()[0] % 2 == 1


@dataclass(frozen=True)
class FigureItem:
    text: str
    url: str
    lang: str
    figures: frozenset[tuple[float, str]]
    note: str = ""


def figure_items(half: str | None = None) -> Iterator[FigureItem]:
    """The labelled sentences; `half` is "tune", "held-out" or None for both."""
    for line in (REAL / "figures.jsonl").read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if half is not None and held_out(row["url"]) != (half == "held-out"):
            continue
        yield FigureItem(
            row["text"],
            row["url"],
            row["lang"],
            frozenset((float(v), str(u)) for v, u in row["figures"]),
            row.get("note", ""),
        )


@dataclass
class FigureScore:
    """Precision and recall of (value, unit) pairs, and the value errors: a figure found
    with a unit the sentence has, but a value it does not (1000x too large, a range's half)."""

    found: int = 0
    right: int = 0
    expected: int = 0
    value_errors: list[tuple[FigureItem, tuple[float, str]]] = field(default_factory=list)
    wrong: list[tuple[FigureItem, set[tuple[float, str]], set[tuple[float, str]]]] = field(
        default_factory=list
    )

    @property
    def precision(self) -> float:
        return self.right / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.expected if self.expected else 1.0

    def add(self, item: FigureItem, got: set[tuple[float, str]]) -> None:
        self.found += len(got)
        self.expected += len(item.figures)
        self.right += len(got & item.figures)
        extra, missed = got - item.figures, set(item.figures - got)
        for value, unit in sorted(extra):
            twin = next((m for m in sorted(missed) if m[1] == unit), None)
            if twin is not None:
                missed.discard(twin)
                self.value_errors.append((item, (value, unit)))
        if got != item.figures:
            self.wrong.append((item, got - item.figures, set(item.figures - got)))


def score_figures(half: str | None) -> FigureScore:
    from scrapers.figures import figures

    score = FigureScore()
    for item in figure_items(half):
        score.add(item, {(float(f.value), f.unit) for f in figures(item.text)})
    return score
