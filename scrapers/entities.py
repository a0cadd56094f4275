"""The watchlist of companies and platforms, and tagging text with it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scrapers.clean import slug_problem, slugify
from scrapers.config import read_toml
from scrapers.errors import ConfigError
from scrapers.phrases import PhraseIndex, Words

_KEYS = {
    "name", "slug", "aliases", "kind", "region", "case_sensitive", "description", "parent",
    "ordinary",
}  # fmt: skip


@dataclass(frozen=True)
class Entity:
    name: str
    slug: str
    aliases: tuple[str, ...] = ()
    kind: str = "company"
    region: str = ""
    case_sensitive: bool = False
    description: str = ""
    parent: str = ""  # the name of the watchlist entity that owns it
    ordinary: tuple[str, ...] = ()  # phrases where the name is a plain word ("target audience")

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Mention:
    """An entity found in an item; `about` when it is in the title or the lead."""

    entity: Entity
    about: bool


def lead(text: str, limit: int = 280) -> str:
    """The first sentence of a text (at most `limit` characters): what a story is about."""
    end = re.search(r"(?<=[.!?。])\s", text[40:limit])
    return text[: 40 + end.start()] if end else text[:limit]


def load_entities(path: Path) -> list[Entity]:
    """Read `content/entities.toml`: one [[entity]] table per company or platform."""
    toml = read_toml(path, "the entity watchlist")
    unknown_top = set(toml.data) - {"entity"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise toml.fail(f"unknown key {key!r}: list entities as [[entity]] tables", key)
    tables = toml.data.get("entity", [])
    if not isinstance(tables, list):
        raise toml.fail("'entity' must be an array of tables: write [[entity]]", "entity")
    starts = toml.table_lines("entity")
    entities = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        start = starts[index] if index < len(starts) else 1

        def fail(message: str, key: str | None = None, start: int = start) -> ConfigError:
            return toml.fail(message, key, start)

        unknown = sorted(set(table) - _KEYS)
        if unknown:
            raise fail(
                f"unknown key {unknown[0]!r} (known: {', '.join(sorted(_KEYS))})", unknown[0]
            )
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            raise fail("[[entity]] needs a non-empty 'name'", "name")
        aliases = table.get("aliases", [])
        if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
            raise fail(f"entity {name!r}: aliases must be a list of strings", "aliases")
        ordinary = table.get("ordinary", [])
        if not isinstance(ordinary, list) or not all(isinstance(a, str) for a in ordinary):
            raise fail(f"entity {name!r}: ordinary must be a list of phrases", "ordinary")
        for key in ("slug", "kind", "region", "description", "parent"):
            if key in table and not isinstance(table[key], str):
                raise fail(f"entity {name!r}: {key} must be a string", key)
        if not isinstance(table.get("case_sensitive", False), bool):
            raise fail(f"entity {name!r}: case_sensitive must be true or false", "case_sensitive")
        slug = str(table.get("slug") or slugify(name))
        if problem := slug_problem(slug):
            raise fail(f"entity {name!r}: {problem}", "slug")
        entity = Entity(
            name=name.strip(),
            slug=slug,
            aliases=tuple(a.strip() for a in aliases if a.strip()),
            kind=str(table.get("kind", "company")),
            region=str(table.get("region", "")),
            case_sensitive=table.get("case_sensitive", False),
            description=str(table.get("description", "")),
            parent=str(table.get("parent", "")).strip(),
            ordinary=tuple(o.strip() for o in ordinary if o.strip()),
        )
        if entity.slug in seen:
            raise fail(f"entity {name!r}: slug {entity.slug!r} is used twice", "slug")
        seen.add(entity.slug)
        entities.append(entity)
    names = {e.name for e in entities}
    for index, entity in enumerate(entities):
        start = starts[index] if index < len(starts) else 1
        if entity.parent and (entity.parent not in names or entity.parent == entity.name):
            raise toml.fail(
                f"entity {entity.name!r}: parent {entity.parent!r} is not another entity's name",
                "parent",
                start,
            )
    return entities


def company_names(entities: Sequence[Entity]) -> frozenset[str]:
    """Every name and alias of the watchlist, case-folded."""
    return frozenset(name.casefold() for entity in entities for name in entity.names)


class Watchlist:
    """The one place a company's name, as an editor or a feed writes it, becomes a watchlist
    entity: its name or any alias, in any case and spacing (`抖音` is Douyin)."""

    def __init__(self, entities: Sequence[Entity]):
        self.entities = tuple(entities)
        self._by_key: dict[str, Entity] = {}
        for entity in self.entities:
            for name in entity.names:
                self._by_key.setdefault(_key(name), entity)

    def resolve(self, name: str) -> Entity | None:
        return self._by_key.get(_key(name))

    def canonical(self, names: Sequence[str]) -> tuple[str, ...]:
        """Each name as the watchlist names it, once, in order; unknown names as written."""
        found = [entity.name if (entity := self.resolve(n)) else n for n in names]
        return tuple(dict.fromkeys(found))

    def closest(self, name: str) -> str | None:
        """The watchlist name (or alias) a mistyped `name` most likely meant, if any."""
        close = difflib.get_close_matches(_key(name), list(self._by_key), n=1, cutoff=0.75)
        if not close:
            return None
        entity = self._by_key[close[0]]
        alias = next((n for n in entity.names if _key(n) == close[0]), entity.name)
        return entity.name if alias == entity.name else f"{alias} ({entity.name})"


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def match_entities(term: str, entities: list[Entity]) -> list[Entity]:
    """The watchlist entries a user's `term` means: an exact name, alias or slug (any case)
    if there is one, else every entry with a name, alias or slug starting with it."""
    key = " ".join(term.split()).casefold()
    if not key:
        return []

    def keys(entity: Entity) -> list[str]:
        return [n.casefold() for n in entity.names] + [entity.slug]

    exact = [e for e in entities if key in keys(e)]
    if exact:
        return exact
    dashed = key.replace(" ", "-")
    return [e for e in entities if any(k.startswith(key) or k.startswith(dashed) for k in keys(e))]


class EntityTagger:
    """Finds watchlist entities in text, on whole words, respecting case where it matters."""

    def __init__(self, entities: list[Entity]):
        self._entities = list(entities)
        # Phrases where a name is a plain word ("target audience") are in the index too, under
        # no key: the longest match at a position wins, so they hide the name inside them.
        self._index = PhraseIndex(
            [
                (entity.slug, name, entity.case_sensitive)
                for entity in self._entities
                for name in entity.names
            ]
            + [("", phrase, False) for entity in self._entities for phrase in entity.ordinary]
        )

    def tag(
        self,
        title: str | Words,
        text: str | Words,
        lead_chars: int = 280,
    ) -> list[Mention]:
        """Entities named in an item; `about` when named in the title or the first sentence."""
        title = title if isinstance(title, Words) else Words(title)
        text = text if isinstance(text, Words) else Words(text)
        lead_words = len(Words(lead(text.text, lead_chars)).words)
        about = self._index.find(title) - {""}
        anywhere = set(about)
        for key, position in self._index.find_at(text):
            if not key:
                continue
            anywhere.add(key)
            if position < lead_words:
                about.add(key)
        # A child implies its parent (Taobao Live -> Alibaba), named or not: the parent is
        # mentioned, and about the story only if the story names it up front itself.
        by_name = {e.name: e for e in self._entities}
        for entity in [e for e in self._entities if e.slug in anywhere]:
            parent = by_name.get(entity.parent)
            while parent is not None and parent.slug not in anywhere:
                anywhere.add(parent.slug)
                parent = by_name.get(parent.parent)
        return [
            Mention(entity, entity.slug in about)
            for entity in sorted(self._entities, key=lambda e: e.slug not in about)
            if entity.slug in anywhere
        ]
