"""How much an item is about livestream commerce: readable, editable rules.

The rules live in `relevance.toml`: weighted phrases (negative for look-alikes), weights for
watchlist entities, and include/exclude regexes that apply to every source. Each source in
`feeds.toml` adds its tier (a multiplier) and its own include/exclude regexes.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from brief.errors import ConfigError
from scrapers.entities import Mention
from scrapers.phrases import PhraseIndex, Words


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


@dataclass(frozen=True)
class Rules:
    phrases: tuple[tuple[str, float], ...]
    title_factor: float = 2.0
    about_entity: float = 0.6
    mentioned_entity: float = 0.2
    scale: float = 4.0
    filters: Filters = field(default_factory=Filters)

    def __post_init__(self) -> None:
        index = PhraseIndex((phrase, phrase, False) for phrase, _ in self.phrases)
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_weights", dict(self.phrases))

    def matches(self, text: str | Words) -> set[str]:
        """The phrases (as written in the rules) that occur in `text`, whole words."""
        index: PhraseIndex = self._index  # type: ignore[attr-defined]
        return index.find(text)

    def weight(self, phrase: str) -> float:
        weights: dict[str, float] = self._weights  # type: ignore[attr-defined]
        return weights[phrase]


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


def load_rules(path: Path) -> Rules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read relevance rules: {err.strerror}", path) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"TOML syntax error: {err}", path) from err
    phrases = data.get("phrases", {})
    if not all(isinstance(w, int | float) for w in phrases.values()):
        raise ConfigError("every [phrases] weight must be a number", path)
    weights = data.get("weights", {})
    filters = data.get("filters", {})
    return Rules(
        phrases=tuple((p.lower(), float(w)) for p, w in phrases.items()),
        title_factor=float(weights.get("title_factor", 2.0)),
        about_entity=float(weights.get("about_entity", 0.6)),
        mentioned_entity=float(weights.get("mentioned_entity", 0.2)),
        scale=float(weights.get("scale", 4.0)),
        filters=Filters(
            compile_patterns(filters.get("include"), path, "[filters] include"),
            compile_patterns(filters.get("exclude"), path, "[filters] exclude"),
        ),
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
    signals = [
        Signal(f"title has {p!r}", rules.weight(p) * rules.title_factor) for p in sorted(in_title)
    ]
    signals += [Signal(f"text has {p!r}", rules.weight(p)) for p in sorted(in_text)]
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
