"""How much an item is about livestream commerce: readable, editable rules."""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from brief.errors import ConfigError
from scrapers.entities import Mention

DEFAULT_RULES = Path(__file__).with_name("relevance.toml")


@dataclass(frozen=True)
class Rules:
    phrases: tuple[tuple[str, float], ...]
    title_factor: float = 2.0
    about_entity: float = 0.6
    mentioned_entity: float = 0.2
    scale: float = 4.0


@dataclass(frozen=True)
class Signal:
    """One reason for a score, for `brief triage --explain`."""

    reason: str
    weight: float


@dataclass(frozen=True)
class Score:
    value: float
    signals: tuple[Signal, ...]


def load_rules(path: Path | None = None) -> Rules:
    path = path or DEFAULT_RULES
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
    return Rules(
        phrases=tuple((p.lower(), float(w)) for p, w in phrases.items()),
        title_factor=float(weights.get("title_factor", 2.0)),
        about_entity=float(weights.get("about_entity", 0.6)),
        mentioned_entity=float(weights.get("mentioned_entity", 0.2)),
        scale=float(weights.get("scale", 4.0)),
    )


def score_item(
    rules: Rules, title: str, text: str, mentions: list[Mention], tier: float = 1.0
) -> Score:
    """A score in 0..1: phrase weights (title counts more), watchlist entities, source tier.

    Entities only add to a story that has some livestream-commerce signal of its own:
    "Amazon Prime Day TV deals" names Amazon but is not about live selling.
    """
    title_l, text_l = title.lower(), text.lower()
    signals: list[Signal] = []
    for phrase, weight in rules.phrases:
        pattern = rf"(?<!\w){re.escape(phrase)}(?!\w)"
        if re.search(pattern, title_l):
            signals.append(Signal(f"title has {phrase!r}", weight * rules.title_factor))
        elif re.search(pattern, text_l):
            signals.append(Signal(f"text has {phrase!r}", weight))
    topical = sum(s.weight for s in signals)
    if topical > 0:
        for mention in mentions:
            weight = rules.about_entity if mention.about else rules.mentioned_entity
            kind = "about" if mention.about else "mentions"
            signals.append(Signal(f"{kind} {mention.entity.name}", weight))
    raw = sum(s.weight for s in signals) * tier
    if tier != 1.0:
        signals.append(Signal(f"source tier x{tier:g}", 0.0))
    value = 1 - math.exp(-max(raw, 0.0) / rules.scale)
    return Score(round(value, 3), tuple(signals))
