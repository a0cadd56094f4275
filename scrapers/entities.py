"""The watchlist of companies and platforms, and tagging text with it."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from brief.errors import ConfigError

_KEYS = {"name", "slug", "aliases", "kind", "region", "case_sensitive", "description"}


@dataclass(frozen=True)
class Entity:
    name: str
    slug: str
    aliases: tuple[str, ...] = ()
    kind: str = "company"
    region: str = ""
    case_sensitive: bool = False
    description: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Mention:
    """An entity found in an item; `about` when it is in the title or the lead."""

    entity: Entity
    about: bool


def slugify(text: str) -> str:
    slug = re.sub(r"[^\w]+", "-", text.lower(), flags=re.ASCII).strip("-")
    return slug or "item"


def load_entities(path: Path) -> list[Entity]:
    """Read `content/entities.toml`: one [[entity]] table per company or platform."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise ConfigError(f"cannot read the entity watchlist: {err.strerror}", path) from err
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"at line (\d+)", str(err))
        raise ConfigError(
            f"TOML syntax error: {err}", path, int(match.group(1)) if match else None
        ) from err
    entities = []
    seen: set[str] = set()
    for index, table in enumerate(data.get("entity", []), 1):
        unknown = set(table) - _KEYS
        name = table.get("name")
        if unknown or not isinstance(name, str) or not name.strip():
            problem = f"unknown key {sorted(unknown)[0]!r}" if unknown else "no 'name'"
            raise ConfigError(f"entity #{index}: {problem}", path)
        aliases = table.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise ConfigError(f"entity {name!r}: aliases must be a list of strings", path)
        entity = Entity(
            name=name.strip(),
            slug=str(table.get("slug") or slugify(name)),
            aliases=tuple(a.strip() for a in aliases if a.strip()),
            kind=str(table.get("kind", "company")),
            region=str(table.get("region", "")),
            case_sensitive=bool(table.get("case_sensitive", False)),
            description=str(table.get("description", "")),
        )
        if entity.slug in seen:
            raise ConfigError(f"entity {name!r}: slug {entity.slug!r} is used twice", path)
        seen.add(entity.slug)
        entities.append(entity)
    return entities


class EntityTagger:
    """Finds watchlist entities in text, on whole words, respecting case where it matters."""

    def __init__(self, entities: list[Entity]):
        self._patterns = [(entity, _pattern(entity)) for entity in entities]

    def tag(self, title: str, text: str, lead_chars: int = 280) -> list[Mention]:
        lead = text[:lead_chars]
        found = []
        for entity, pattern in self._patterns:
            if pattern.search(title) or pattern.search(lead):
                found.append(Mention(entity, about=True))
            elif pattern.search(text):
                found.append(Mention(entity, about=False))
        return sorted(found, key=lambda m: not m.about)


def _pattern(entity: Entity) -> re.Pattern[str]:
    parts = []
    for alias in sorted(entity.names, key=len, reverse=True):
        escaped = re.escape(alias)
        if alias.isascii():
            # Whole words only: "Flip" must not match "flipping"; "JD" not "JDs".
            escaped = rf"(?<![\w]){escaped}(?![\w])"
        parts.append(escaped)
    flags = 0 if entity.case_sensitive else re.IGNORECASE
    return re.compile("|".join(parts), flags)
