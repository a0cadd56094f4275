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
from scrapers.phrases import Found, PhraseIndex, Words

_KEYS = {
    "name", "slug", "aliases", "kind", "region", "case_sensitive", "description", "parent",
    "ordinary", "in_context",
}  # fmt: skip

# The words of selling that make a product's everyday name mean the product ("in_context"
# in the watchlist): "TikTok" beside them is TikTok Shop. Not "sell" or "sale": a company
# is sold too ("a deal to sell TikTok").
SELLING = (
    "shop", "shopping", "shopper", "seller", "merchant", "e-commerce", "ecommerce", "commerce",
    "gmv", "storefront", "checkout", "affiliate", "live selling", "livestream selling",
    "online store", "in-app store", "marketplace", "电商", "電商", "带货", "帶貨", "购物", "購物",
    "penjual", "jualan", "belanja", "toko online", "bán hàng", "người bán", "mua sắm",
    "thương mại điện tử", "ร้านค้า", "ช้อปปิ้ง", "อีคอมเมิร์ซ", "ขายของ", "ผู้ขาย", "卖家",
    "賣家", "商家", "afiliasi", "afiliator",
)  # fmt: skip


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
    in_context: tuple[str, ...] = ()  # names meaning it only where an item speaks of selling

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
        for key in ("ordinary", "in_context"):
            value = table.get(key, [])
            if not isinstance(value, list) or not all(isinstance(a, str) for a in value):
                raise fail(f"entity {name!r}: {key} must be a list of phrases", key)
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
            ordinary=tuple(o.strip() for o in table.get("ordinary", []) if o.strip()),
            in_context=tuple(o.strip() for o in table.get("in_context", []) if o.strip()),
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


# Words at the start of a lead where a name is its subject: further on, a name is a
# channel, a rival, an example ("...her followers on Instagram"). Measured on the real
# set's tune half: 8 to 12 words do equally well; the whole first sentence does worse.
ABOUT_WORDS = 10

# How a name is used, read from the words around it (folded, punctuation gone: "QVC-style"
# is "qvc style", "Walmart's" is "walmart s").
# A comparison or a metaphor is not the company: "the QVC of", "a QVC for", "QVC-style".
_LIKENED_AFTER = frozenset(
    {"style", "esque", "inspired", "clone", "clones", "copycat", "copycats", "wannabe", "lookalike"}
)
# ... "the QVC of", "a QVC for", "an Amazon of": the words on either side.
_LIKENED_AROUND = frozenset({("the", "of"), ("a", "for"), ("a", "of"), ("an", "for"), ("an", "of")})
_LIKENED_BEFORE = (("the", "next"), ("next", "gen"), ("next", "generation"), ("the", "new"))
# A name in passing: an owner, a backer, a rival. The story is about the other company.
_PASSING_BEFORE = (
    ("owned", "by"), ("backed", "by"), ("acquired", "by"), ("bought", "by"), ("funded", "by"),
    ("run", "by"), ("operated", "by"), ("subsidiary", "of"), ("unit", "of"), ("parent",),
    ("parent", "company"), ("owner",), ("rivals",), ("rival", "to"), ("rival", "of"),
    ("rivals", "to"), ("rivals", "like"), ("rivals", "such", "as"), ("competitor", "to"),
    ("competitors",), ("competitors", "like"), ("competitors", "such", "as"), ("than",),
    ("compared", "with"), ("compared", "to"), ("backer",), ("investor",), ("investors",),
    ("likes", "of"), ("like",), ("such", "as"), ("counterpart",), ("according", "to"),
    ("owns",), ("owning",),
)  # fmt: skip
# ... and after it: "Walmart-owned", "Whatnot rival NTWRK".
_OWNING = frozenset({"owned", "backed", "funded"})
_PASSING_AFTER = (("rival",), ("s", "rival"), ("competitor",), ("s", "parent"), ("s", "owner"))
# Words in the three after a name that make it an owner or a relative in passing:
# "ByteDance, the Chinese parent company of TikTok", "TikTok's China sibling Douyin".
# Chinese and Thai write where something happens before the name: 在抖音开启直播 ("on
# Douyin, started a live stream"), 走进抖音直播间 ("walked into a Douyin live room"),
# ไลฟ์บน ติ๊กต๊อก ("live on TikTok").
_PLACE_BEFORE = ("在", "到", "进", "上", "通过", "登陆", "入驻", "追", "刷", "บน", "ใน", "ผ่าน")
_RELATIVES = frozenset({"parent", "owner", "sibling", "counterpart"})


def _ends_with(words: Sequence[str], tail: tuple[str, ...]) -> bool:
    return len(words) >= len(tail) and tuple(words[len(words) - len(tail) :]) == tail


class EntityTagger:
    """Finds watchlist entities in text, on whole words, respecting case where it matters,
    as a reader means them: a comparison ("the QVC of...") is no mention, a name in passing
    (an owner, a rival) is not what the story is about, and a product's everyday name means
    the product where the item speaks of selling ("TikTok" beside "sellers" is TikTok Shop)."""

    def __init__(self, entities: list[Entity], selling: Sequence[str] = SELLING):
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
        self._in_context = PhraseIndex(
            [(entity.slug, name, False) for entity in self._entities for name in entity.in_context]
        )
        self._selling = PhraseIndex([(phrase, phrase, False) for phrase in selling], stems=True)
        self._by_name = {e.name: e for e in self._entities}

    def tag(
        self,
        title: str | Words,
        text: str | Words,
        lead_chars: int = 280,
    ) -> list[Mention]:
        """Entities named in an item; `about` when named in the title or at the start of
        the first sentence (its first ABOUT_WORDS words, where its subject is), neither in
        passing nor as a comparison."""
        title = title if isinstance(title, Words) else Words(title)
        text = text if isinstance(text, Words) else Words(text)
        lead_words = min(len(Words(lead(text.text, lead_chars)).words), ABOUT_WORDS)
        selling = bool(self._selling.find(title) or self._selling.find(text))
        about: set[str] = set()
        anywhere: set[str] = set()
        for words, up_front in ((title, len(title.words)), (text, lead_words)):
            found = self._index.find_at(words)
            if selling:
                named = {f.start for f in found}
                found += [f for f in self._in_context.find_at(words) if f.start not in named]
            starts = {f.start for f in found if f.key}
            for match in found:
                if not match.key:
                    continue
                use = _use(words, match, starts)
                if use == "likened":
                    continue
                anywhere.add(match.key)
                if use == "subject" and match.start < up_front:
                    about.add(match.key)
        # A child implies its parent (Taobao Live -> Alibaba), named or not: the parent is
        # mentioned, and about the story only if the story names it up front itself.
        for entity in [e for e in self._entities if e.slug in anywhere]:
            parent = self._by_name.get(entity.parent)
            while parent is not None and parent.slug not in anywhere:
                anywhere.add(parent.slug)
                parent = self._by_name.get(parent.parent)
        return [
            Mention(entity, entity.slug in about)
            for entity in sorted(self._entities, key=lambda e: e.slug not in about)
            if entity.slug in anywhere
        ]


def _use(words: Words, match: Found, starts: set[int]) -> str:
    """How the name at `match` is used: "likened" (a comparison), "passing" (an owner, a
    backer, a rival, a place) or "subject"."""
    before = words.folded[max(match.start - 3, 0) : match.start]
    after = words.folded[match.end : match.end + 3]
    last, following = (before[-1:] or [""])[0], (after[:1] or [""])[0]
    spans = words.spans
    hyphen = (
        match.end < len(spans) and words.text[spans[match.end - 1][1] : spans[match.end][0]] == "-"
    )
    if following in _LIKENED_AFTER or (hyphen and following == "like"):
        return "likened"
    if (last, following) in _LIKENED_AROUND or any(
        _ends_with(before, tail) for tail in _LIKENED_BEFORE
    ):
        return "likened"
    if (
        any(_ends_with(before, tail) for tail in _PASSING_BEFORE)
        or any(tuple(after[: len(head)]) == head for head in _PASSING_AFTER)
        or (hyphen and following in _OWNING)
        or _RELATIVES & set(after)
        or (following == "s" and match.end + 1 in starts)  # "Walmart's Flipkart": the owner
    ):
        return "passing"
    if match.at > 0 and words.text[max(match.at - 8, 0) : match.at].rstrip().endswith(
        _PLACE_BEFORE
    ):
        return "passing"
    return "subject"
