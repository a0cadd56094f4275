"""How much an item is about livestream commerce: readable, editable rules.

The rules live in `relevance.toml`: weighted phrases (negative for look-alikes), weights for
watchlist entities, and include/exclude regexes that apply to every source. Each source in
`feeds.toml` adds its tier (a multiplier) and its own include/exclude regexes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scrapers.config import finite_number, read_toml
from scrapers.entities import Mention
from scrapers.errors import ConfigError
from scrapers.phrases import PhraseIndex, Words, stems


@dataclass(frozen=True)
class Filters:
    """Regexes on title + text: an item must match one `include` (if any) and no `exclude`."""

    include: tuple[re.Pattern[str], ...] = ()
    exclude: tuple[re.Pattern[str], ...] = ()

    def rejects(self, text: str) -> str | None:
        """Why the item is filtered out, or None to keep it."""
        for pattern in self.exclude:
            if pattern.search(text):
                return f"matches exclude /{pattern.pattern}/"
        if self.include and not any(p.search(text) for p in self.include):
            return "matches no include pattern"
        return None


def blend(rules: float, model: float, weight: float) -> float:
    """Relevance from the rules' score and a learned model's: `weight` is the model's share."""
    return (1 - weight) * rules + weight * model


@dataclass(frozen=True)
class Ranking:
    """The queue's order: relevance blended with freshness and the number of outlets.

    rank = relevance * r + freshness * f + outlets * o, where freshness halves every
    `half_life_days` and outlets grows from 0 (one outlet) to 1 (`outlets_full` or more).
    `model` is the learned model's share of relevance, once `brief relevance train` ran.
    """

    relevance: float = 1.0
    freshness: float = 0.3
    half_life_days: float = 3.0
    outlets: float = 0.2
    outlets_full: float = 4.0
    model: float = 0.5

    def terms(
        self, rules_score: float, age_days: float, outlets: int, model_score: float | None = None
    ) -> list[tuple[str, float, float]]:
        """(term, value 0..1, weight) for each part of the rank."""
        relevance = rules_score
        terms = []
        if model_score is not None:
            relevance = blend(rules_score, model_score, self.model)
            terms += [
                ("rules", rules_score, self.relevance * (1 - self.model)),
                ("model", model_score, self.relevance * self.model),
            ]
        else:
            terms.append(("rules", relevance, self.relevance))
        fresh = 0.5 ** (max(age_days, 0.0) / self.half_life_days)
        spread = min(max(outlets - 1, 0) / max(self.outlets_full - 1, 1), 1.0)
        terms += [("freshness", fresh, self.freshness), ("outlets", spread, self.outlets)]
        return terms

    @staticmethod
    def total(terms: Sequence[tuple[str, float, float]]) -> float:
        return round(sum(value * weight for _, value, weight in terms), 4)


_RANKING = {  # name: (lowest, highest)
    "relevance": (0.0, 10.0),
    "freshness": (0.0, 10.0),
    "half_life_days": (0.1, 365.0),
    "outlets": (0.0, 10.0),
    "outlets_full": (2.0, 100.0),
    "model": (0.0, 1.0),
}


@dataclass(frozen=True)
class Rules:
    """`phrases` score on their own; `context` phrases (the words of selling: orders,
    merchants, GMV) only beside a sign of live selling, a positive phrase: without one they
    are every e-commerce story's words."""

    phrases: tuple[tuple[str, float], ...]
    title_factor: float = 2.0
    about_entity: float = 0.6
    mentioned_entity: float = 0.2
    scale: float = 4.0
    filters: Filters = field(default_factory=Filters)
    ranking: Ranking = field(default_factory=Ranking)
    context: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        # Phrases that are word forms of one another ("livestreams", "livestream") are one
        # phrase, counted once: the weightiest, then the shortest.
        best: dict[tuple[str, ...], tuple[float, int, str]] = {}
        for phrase, weight in (*self.phrases, *self.context):
            ranked = (-weight, len(phrase), phrase)
            key = stems(phrase) or (phrase,)
            best[key] = min(best.get(key, ranked), ranked)
        index = PhraseIndex(((p, p, False) for _, _, p in best.values()), stems=True)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_weights", {**dict(self.context), **dict(self.phrases)})
        object.__setattr__(self, "_context", frozenset(dict(self.context)))

    def matches(self, text: str | Words) -> set[str]:
        """The phrases (as written in the rules) that occur in `text`, whole words."""
        index: PhraseIndex = self._index  # type: ignore[attr-defined]
        return index.find(text)

    def needs_sign(self, phrase: str) -> bool:
        """Whether `phrase` (a word of selling, in [context]) counts only beside a sign of
        live selling."""
        return phrase in self._context  # type: ignore[attr-defined]

    def weight(self, phrase: str, default: float | None = None) -> float:
        weights: dict[str, float] = self._weights  # type: ignore[attr-defined]
        return weights[phrase] if default is None else weights.get(phrase, default)


@dataclass(frozen=True)
class Signal:
    """One reason for a score, for `brief triage --explain`."""

    reason: str
    weight: float


@dataclass(frozen=True)
class Score:
    value: float
    signals: tuple[Signal, ...]


def compile_patterns(values: object, path: Path, what: str) -> tuple[re.Pattern[str], ...]:
    if values is None:
        return ()
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{what} must be a list of regular expressions", path)
    patterns = []
    for value in values:
        try:
            patterns.append(re.compile(value, re.IGNORECASE))
        except re.error as err:
            raise ConfigError(f"{what}: bad regular expression {value!r}: {err}", path) from err
    return tuple(patterns)


_TABLES = ("phrases", "context", "weights", "filters", "ranking")
_WEIGHTS = {  # name: (default, lowest, highest)
    "title_factor": (2.0, 0.0, 10.0),
    "about_entity": (0.6, -5.0, 5.0),
    "mentioned_entity": (0.2, -5.0, 5.0),
    "scale": (4.0, 0.01, 1000.0),
}


def load_rules(path: Path) -> Rules:
    """Read and check `relevance.toml`; every mistake names the file and the line."""
    toml = read_toml(path, "the relevance rules")
    data = toml.data

    def start(table: str) -> int:
        """The line of `[table]`: its keys are looked for from there."""
        return next(iter(toml.table_lines(table)), 1)

    for key in data:
        if key not in _TABLES:
            known = ", ".join(f"[{name}]" for name in _TABLES)
            message = f"unknown table [{key}] (known: {known})"
            # written as `key = `, `[key]` or `key.x = `: the first line starting with it
            line = next(
                (n for n, text in enumerate(toml.lines, 1) if text.lstrip(" [").startswith(key)),
                None,
            )
            raise ConfigError(message, path, line)
    tables = {}
    for name in _TABLES:
        value = data.get(name, {})
        if not isinstance(value, dict):
            raise toml.fail(f"{name} must be a table: write [{name}] and one key = value a line",
                            name)  # fmt: skip
        tables[name] = value

    def weighted(table: str) -> tuple[tuple[str, float], ...]:
        phrases = []
        for phrase, weight in tables[table].items():
            checked = finite_number(weight, -10, 10)
            if checked is None or not phrase.strip():
                raise toml.fail(
                    f"[{table}] {phrase!r}: the weight must be a number from -10 to 10,"
                    f" not {weight!r}",
                    phrase,
                    start(table),
                )
            phrases.append((phrase.lower(), checked))
        return tuple(phrases)

    phrases, context = weighted("phrases"), weighted("context")
    for phrase, _ in context:
        if phrase in dict(phrases):
            message = f"[context] {phrase!r} is in [phrases] too: keep it in one"
            raise toml.fail(message, phrase, start("context"))
    weights = {}
    for name, value in tables["weights"].items():
        if name not in _WEIGHTS:
            message = f"[weights] unknown key {name!r} (known: {', '.join(_WEIGHTS)})"
            raise toml.fail(message, name, start("weights"))
        _, low, high = _WEIGHTS[name]
        checked = finite_number(value, low, high)
        if checked is None:
            raise toml.fail(
                f"[weights] {name} must be a number from {low:g} to {high:g}, not {value!r}",
                name,
                start("weights"),
            )
        weights[name] = checked
    for name in tables["filters"]:
        if name not in ("include", "exclude"):
            message = f"[filters] unknown key {name!r} (known: include, exclude)"
            raise toml.fail(message, name, start("filters"))

    def patterns(name: str) -> tuple[re.Pattern[str], ...]:
        try:
            return compile_patterns(tables["filters"].get(name), path, f"[filters] {name}")
        except ConfigError as err:
            raise toml.fail(str(err.args[0]), name, start("filters")) from err

    ranking = {}
    for name, value in tables["ranking"].items():
        if name not in _RANKING:
            message = f"[ranking] unknown key {name!r} (known: {', '.join(_RANKING)})"
            raise toml.fail(message, name, start("ranking"))
        low, high = _RANKING[name]
        checked = finite_number(value, low, high)
        if checked is None:
            raise toml.fail(
                f"[ranking] {name} must be a number from {low:g} to {high:g}, not {value!r}",
                name,
                start("ranking"),
            )
        ranking[name] = checked
    return Rules(
        ranking=Ranking(**ranking),
        phrases=phrases,
        context=context,
        **{name: weights.get(name, default) for name, (default, _, _) in _WEIGHTS.items()},
        filters=Filters(patterns("include"), patterns("exclude")),
    )


def score_item(
    rules: Rules,
    title: str | Words,
    text: str | Words,
    mentions: Sequence[Mention],
    tier: float = 1.0,
) -> Score:
    """A score in 0..1: phrase weights (title counts more), watchlist entities, source tier.

    Entities only add to a story that has some livestream-commerce signal of its own:
    "Amazon Prime Day TV deals" names Amazon but is not about live selling.
    """
    in_title = rules.matches(title)
    in_text = rules.matches(text) - in_title
    found = [(p, Signal(f"title has {p!r}", rules.weight(p) * rules.title_factor))
             for p in sorted(in_title)]  # fmt: skip
    found += [(p, Signal(f"text has {p!r}", rules.weight(p))) for p in sorted(in_text)]
    # A live-selling platform the tagger found by context ("TikTok" beside "sellers" is
    # TikTok Shop) signs as its name would.
    named = in_title | in_text
    for mention in mentions:
        phrase = mention.entity.name.casefold()
        if mention.about and phrase not in named and rules.weight(phrase, 0.0) > 0:
            found.append((phrase, Signal(f"item is about {phrase!r}", rules.weight(phrase))))
    live = any(s.weight > 0 and not rules.needs_sign(p) for p, s in found)
    signals = [s for p, s in found if live or not rules.needs_sign(p)]
    if sum(s.weight for s in signals) > 0:
        for mention in mentions:
            weight = rules.about_entity if mention.about else rules.mentioned_entity
            kind = "about" if mention.about else "mentions"
            signals.append(Signal(f"{kind} {mention.entity.name}", weight))
    raw = sum(s.weight for s in signals) * tier
    if tier != 1.0:
        signals.append(Signal(f"source tier x{tier:g}", 0.0))
    value = 1 - math.exp(-max(raw, 0.0) / rules.scale)
    return Score(round(value, 3), tuple(signals))
