"""The list of feeds to scrape, read from `feeds.toml`."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scrapers.clean import clean_name, urlsplit_scheme, web_url
from scrapers.config import TomlFile, read_toml
from scrapers.errors import ConfigError
from scrapers.relevance import Filters, compile_patterns

_KEYS = {
    "name": "display name of the publication (required)",
    "url": "http(s) URL of the feed, or a local file path (required)",
    "tier": "weight of this source in relevance scoring, 0..2 (default 1.0)",
    "section": "section suggested for its stories",
    "enabled": "false to skip the source (default true)",
    "home": "the publication's home page",
    "include": "regexes: keep only items matching one of them",
    "exclude": "regexes: drop items matching any of them",
    "aggregator": "true when items are other outlets' stories (Google and Bing News: automatic)",
}


@dataclass(frozen=True)
class Source:
    """One feed. `url` is an http(s) URL or an absolute local path."""

    name: str
    url: str
    tier: float = 1.0
    section: str | None = None
    enabled: bool = True
    home: str | None = None
    filters: Filters = field(default_factory=Filters)
    aggregator: bool = False  # its items are other outlets' stories (Google News...)

    @property
    def is_remote(self) -> bool:
        return urlsplit(self.url).scheme in ("http", "https")


def load_sources(path: Path) -> list[Source]:
    """Read and validate `feeds.toml`; errors name the file and line."""
    toml = read_toml(path, "the feeds file")
    unknown_top = set(toml.data) - {"source"}
    if unknown_top:
        key = sorted(unknown_top)[0]
        raise toml.fail(f"unknown top-level key {key!r}: list feeds as [[source]] tables", key)
    tables = toml.data.get("source", [])
    if not isinstance(tables, list):
        raise ConfigError("'source' must be an array of tables: write [[source]]", path)

    starts = toml.table_lines("source")
    ends = [*starts[1:], len(toml.lines) + 1]
    sources: list[Source] = []
    names: set[str] = set()
    for index, table in enumerate(tables):
        start, end = (starts[index], ends[index]) if index < len(starts) else (None, None)
        source = _make_source(table, toml, start, end)
        if source.name in names:
            raise ConfigError(f"two sources are named {source.name!r}", path, start)
        names.add(source.name)
        sources.append(source)
    return sources


def _make_source(
    table: dict[str, object], toml: TomlFile, start: int | None, end: int | None
) -> Source:
    path = toml.path

    def fail(message: str, key: str | None = None) -> ConfigError:
        line = start
        if key is not None and start is not None and end is not None:
            line = toml.line_of(key, start, end - 1) or start
        return ConfigError(message, path, line)

    for key in table:
        if key not in _KEYS:
            known = ", ".join(_KEYS)
            raise fail(f"unknown key {key!r} in [[source]] (known keys: {known})", key)
    for key in ("name", "url"):
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise fail(f"[[source]] needs a non-empty {key!r} ({_KEYS[key]})", key)
    name = str(table["name"]).strip()
    if clean_name(name) != name:
        raise fail(f"source {name!r}: the name must be one line without control characters", "name")
    url = str(table["url"]).strip()
    scheme = urlsplit_scheme(url)
    if scheme not in ("http", "https", ""):
        raise fail(f"source {name!r}: url must be http(s) or a file path, not {scheme}:", "url")
    if scheme and web_url(url) != url:
        raise fail(f"source {name!r}: url {url!r} is not a valid http(s) URL", "url")
    if not scheme:
        local = Path(url)
        url = str(local if local.is_absolute() else (path.parent / local).resolve())
    tier = table.get("tier", 1.0)
    if isinstance(tier, bool) or not isinstance(tier, int | float) or not 0 <= tier <= 2:
        raise fail(f"source {name!r}: tier must be a number from 0 to 2", "tier")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail(f"source {name!r}: enabled must be true or false", "enabled")
    aggregator = table.get("aggregator", is_aggregator_url(url))
    if not isinstance(aggregator, bool):
        raise fail(f"source {name!r}: aggregator must be true or false", "aggregator")
    section = table.get("section")
    home = table.get("home")
    for key, value in (("section", section), ("home", home)):
        if value is not None and not isinstance(value, str):
            raise fail(f"source {name!r}: {key} must be a string", key)
    if isinstance(home, str) and web_url(home) != home:
        raise fail(f"source {name!r}: home {home!r} is not a valid http(s) URL", "home")
    try:
        filters = Filters(
            compile_patterns(table.get("include"), path, f"source {name!r}: include"),
            compile_patterns(table.get("exclude"), path, f"source {name!r}: exclude"),
        )
    except ConfigError as err:
        raise fail(str(err.args[0]), "include" if "include" in str(err) else "exclude") from err
    return Source(
        name=name,
        filters=filters,
        url=url,
        tier=float(tier),
        section=section if isinstance(section, str) else None,
        enabled=enabled,
        home=home if isinstance(home, str) else None,
        aggregator=aggregator,
    )


def is_aggregator_url(url: str) -> bool:
    """Google News and Bing News feeds, recognised by their address."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if host == "news.google.com":
        return True
    return host in ("www.bing.com", "bing.com") and parts.path.startswith("/news")
