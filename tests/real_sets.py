"""The real-text evaluation sets (tests/data/real/): sentences and headlines copied from
articles real publishers wrote, each with its URL, split once into a half to tune on and a
half to report on. The split is by article (URL), so no article is in both halves."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from brief.desk.learn import Example

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


@dataclass(frozen=True)
class CopyPair:
    """Two real reports: of one event ("copy"), or of one company's two events ("near_miss")."""

    kind: str
    event: str
    a: dict[str, str]
    b: dict[str, str]


def copy_pairs(half: str | None = None) -> list[CopyPair]:
    """The labelled pairs; `half` is "tune", "held-out" or None for both (split by the
    pair's two URLs)."""
    pairs = []
    for line in (REAL / "copies.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pair = CopyPair(row["kind"], row["event"], row["a"], row["b"])
            if half is None or held_out(f"{pair.a['url']} {pair.b['url']}") == (half == "held-out"):
                pairs.append(pair)
    return pairs


@dataclass
class CopyScore:
    copies: int = 0
    joined: int = 0
    near_misses: int = 0
    merged: int = 0
    missed: list[CopyPair] = field(default_factory=list)
    wrongly_merged: list[CopyPair] = field(default_factory=list)

    @property
    def joined_share(self) -> float:
        return self.joined / self.copies if self.copies else 1.0


def score_copies(root: Path, half: str | None = None) -> CopyScore:
    """Each pair through the real ingest path (clean, tag, store), each into a store of
    its own: the second report as many days after the first as their dates say, or a day
    after when a date is unknown (near misses are then judged as if the same week)."""
    from datetime import UTC, date, datetime, timedelta

    from scrapers.candidate import build_candidate
    from scrapers.entities import EntityTagger, load_entities
    from scrapers.parse import RawEntry
    from scrapers.relevance import load_rules
    from scrapers.sources import Source
    from scrapers.storage import open_store

    repo = Path(__file__).resolve().parents[1]
    tagger = EntityTagger(load_entities(repo / "content" / "entities.toml"))
    rules = load_rules(repo / "relevance.toml")
    score = CopyScore()
    start = datetime(2024, 1, 1, 9, tzinfo=UTC)
    for n, pair in enumerate(copy_pairs(half)):
        apart = timedelta(days=1)
        if pair.a.get("date") and pair.b.get("date"):
            apart = date.fromisoformat(pair.b["date"]) - date.fromisoformat(pair.a["date"])
        joined = False
        with open_store(root / f"pair-{half}-{n}.sqlite") as store:
            for side, report in enumerate((pair.a, pair.b)):
                when = start + apart * side
                entry = RawEntry(
                    guid=None,
                    link=f"https://pairs.example/{n}/{side}",
                    title=report["title"],
                    summary=report["lead"],
                    published=when,
                )
                source = Source(name=report.get("outlet") or f"Outlet {side}", url="")
                candidate = build_candidate(entry, source, tagger, rules, max(when, start))
                assert candidate is not None
                with store.transaction():
                    joined = store.stories.add([candidate]).clustered == 1
        if pair.kind == "copy":
            score.copies += 1
            score.joined += joined
            if not joined:
                score.missed.append(pair)
        else:
            score.near_misses += 1
            score.merged += joined
            if joined:
                score.wrongly_merged.append(pair)
    return score


@dataclass(frozen=True)
class RelevanceItem:
    """A real headline and lead, labelled relevant or not, with the watchlist companies it
    is about (and those it names in passing)."""

    title: str
    text: str
    url: str
    outlet: str
    lang: str
    relevant: bool
    about: frozenset[str]
    mentions: frozenset[str]
    beat: str
    date: str = ""


def relevance_items(half: str | None = None, path: Path | None = None) -> list[RelevanceItem]:
    """The labelled items (of `path`, a file of the same form, when given); `half` is
    "tune", "held-out" or None for both. The split is by outlet, so an outlet's habits (its
    boilerplate, its beat) are never in both halves."""
    import tomllib

    path = path or REAL / "relevance.toml"
    rows = tomllib.loads(path.read_text(encoding="utf-8"))["item"]
    items = []
    for row in rows:
        if half is not None and held_out(row["outlet"]) != (half == "held-out"):
            continue
        items.append(
            RelevanceItem(
                row["title"],
                row["text"],
                row["url"],
                row["outlet"],
                row["lang"],
                row["relevant"],
                frozenset(row.get("about", [])),
                frozenset(row.get("mentions", [])),
                row.get("beat", ""),
                str(row.get("date", "")),
            )
        )
    return items


@dataclass
class RelevanceScore:
    """Average precision of the rules' ranking, and entity F1 on what each item is about."""

    items: list[RelevanceItem]
    scores: list[float]
    tagged: list[frozenset[str]]  # the watchlist entities the tagger says each is about
    named: list[frozenset[str]]  # every entity it tags (about or not)
    examples: list[Example]  # each item as the relevance model reads it

    @property
    def average_precision(self) -> float:
        from sklearn.metrics import average_precision_score

        labels = [item.relevant for item in self.items]
        return float(average_precision_score(labels, self.scores))

    def _counts(self) -> tuple[int, int, int]:
        right = found = wanted = 0
        for item, got in zip(self.items, self.tagged, strict=True):
            right, found, wanted = (
                right + len(got & item.about),
                found + len(got),
                wanted + len(item.about),
            )
        return right, found, wanted

    @property
    def entity_f1(self) -> float:
        right, found, wanted = self._counts()
        return 2 * right / (found + wanted) if found + wanted else 1.0

    def worst_ranked(self, n: int = 10) -> list[tuple[RelevanceItem, float]]:
        """The items the rules rank furthest from their label: irrelevant ones scored
        highest and relevant ones scored lowest, alternately."""
        pairs = list(zip(self.items, self.scores, strict=True))
        high = sorted((p for p in pairs if not p[0].relevant), key=lambda p: -p[1])
        low = sorted((p for p in pairs if p[0].relevant), key=lambda p: p[1])
        mixed = [p for both in zip(high, low, strict=False) for p in both]
        return mixed[:n]

    def entity_mistakes(self, n: int = 10) -> list[tuple[RelevanceItem, frozenset[str]]]:
        wrong = [
            (item, got)
            for item, got in zip(self.items, self.tagged, strict=True)
            if got != item.about
        ]
        return wrong[:n]


def score_relevance(half: str | None, path: Path | None = None) -> RelevanceScore:
    """The rules as the scraper applies them (filters, phrases, entities) on each item."""
    from brief.desk.learn import Example
    from scrapers.entities import EntityTagger, load_entities
    from scrapers.phrases import Words
    from scrapers.relevance import load_rules, score_item

    repo = Path(__file__).resolve().parents[1]
    tagger = EntityTagger(load_entities(repo / "content" / "entities.toml"))
    rules = load_rules(repo / "relevance.toml")
    items = relevance_items(half, path)
    scores, tagged, named, examples = [], [], [], []
    for item in items:
        title, text = Words(item.title), Words(item.text)
        mentions = tagger.tag(title, text)
        filtered = rules.filters.rejects(f"{item.title}\n{item.text}")
        score = score_item(rules, title, text, mentions)
        scores.append(0.0 if filtered else score.value)
        tagged.append(frozenset(m.entity.name for m in mentions if m.about))
        named.append(frozenset(m.entity.name for m in mentions))
        examples.append(
            Example(
                item.title,
                item.text,
                scores[-1],
                tuple(f"{s.weight:+.2f} {s.reason}" for s in score.signals),
                tuple(m.entity.name for m in mentions),
                tuple(sorted(tagged[-1])),
                item.outlet,
                _day(item.date),
                int(item.relevant),
            )
        )
    return RelevanceScore(items, scores, tagged, named, examples)


def _day(text: str) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


@dataclass(frozen=True)
class LearningGain:
    """What a model learned from `decisions` drawn from the tune half adds to the rules'
    average precision on the held-out half, over several draws."""

    decisions: int
    rules: float
    blends: tuple[float, ...]

    @property
    def gains(self) -> list[float]:
        return [blend - self.rules for blend in self.blends]


def learning_gain(decisions: int = 60, draws: int = 5) -> LearningGain:
    """Draw `decisions` items from the tune half (both kinds among them), fit the model on
    them as if the editor had decided them, and blend it with the rules on the held-out
    half, with the blend weight of relevance.toml."""
    import random

    from brief.desk.learn import average_precision, fit
    from scrapers.relevance import blend, load_rules

    weight = load_rules(Path(__file__).resolve().parents[1] / "relevance.toml").ranking.model
    tune, held = score_relevance("tune").examples, score_relevance("held-out").examples
    labels, rules = [e.label for e in held], [e.rules for e in held]
    blends = []
    for seed in range(draws):
        sample = random.Random(seed).sample(tune, decisions)
        model = fit(sample).predict_proba(held)[:, 1]
        blended = [blend(r, m, weight) for r, m in zip(rules, model, strict=True)]
        blends.append(average_precision(labels, blended))
    return LearningGain(decisions, average_precision(labels, rules), tuple(blends))


def second_reading() -> dict[str, frozenset[str]]:
    """A second annotator's `about` for the relevance items, made blind (title and lead
    only, without the first labels), by URL: how far two careful readers agree."""
    rows = (REAL / "relevance-about-second.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["url"]: frozenset(row["about"]) for row in map(json.loads, rows) if row}


def agreement(half: str | None) -> float:
    """Entity F1 of the second reading against the first, on the items of `half` read
    twice."""
    second = second_reading()
    right = found = wanted = 0
    for item in relevance_items(half):
        if item.url not in second:  # read once only
            continue
        other = second[item.url]
        right, found, wanted = (
            right + len(other & item.about),
            found + len(other),
            wanted + len(item.about),
        )
    return 2 * right / (found + wanted) if found + wanted else 1.0
