"""The newsletter's settings, read once from `pelicanconf.py` into a typed record.

Pelican keeps settings as an untyped dict; this module is the one place that reads it.
Our own settings all start with `BRIEF_`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from brief.errors import ConfigError

if TYPE_CHECKING:
    from brief.content import ContentWriter

DEFAULT_SECTIONS = ("Platforms", "Retail & brands", "Creators & hosts", "China & Asia", "Deals")
PREVIEW_URL = "http://127.0.0.1:8000"


@dataclass(frozen=True)
class DigestSettings:
    sender: str = "Live Commerce Brief <brief@example.com>"
    reply_to: str | None = None
    unsubscribe_url: str = "https://brief.example.com/unsubscribe?email={email}"
    unsubscribe_mailto: str | None = None
    utm: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """Everything the `brief` commands need; `pelican` keeps the raw dict for builds."""

    root: Path
    config_file: Path
    content: Path
    output: Path
    sitename: str
    siteurl: str
    timezone: ZoneInfo
    sections: tuple[str, ...]
    section_by_kind: dict[str, str]
    section_by_region: dict[str, str]
    db: Path
    ledger: Path
    feeds: Path
    entities: Path
    relevance: Path
    search: bool
    fetch: dict[str, float]
    digest: DigestSettings
    markdown: dict[str, Any]
    pelican: dict[str, Any] = field(repr=False)

    @property
    def writer(self) -> ContentWriter:
        """The one way commands write under content/."""
        from brief.content import ContentWriter

        return ContentWriter(self.root, self.ledger)

    @property
    def public_url(self) -> str:
        """The site's absolute URL, or the preview server's when none is set."""
        return (self.siteurl or PREVIEW_URL).rstrip("/")


def load_settings(config_file: Path, overrides: dict[str, Any] | None = None) -> Settings:
    """Read `pelicanconf.py` (or `publishconf.py`) with Pelican's own loader."""
    if not config_file.is_file():
        raise ConfigError(
            "no settings file here: run brief in the newsletter repository "
            "(the folder that holds pelicanconf.py)",
            config_file,
        )
    from pelican.settings import read_settings  # Pelican is slow to import; only here.

    # Pelican warns about feed URLs while reading settings; that only matters to a build.
    pelican_log = logging.getLogger("pelican.settings")
    level = pelican_log.level
    pelican_log.setLevel(logging.ERROR)
    try:
        raw = read_settings(str(config_file), override=overrides or None)
    except Exception as err:  # a settings file is Python: anything can go wrong in it
        raise ConfigError(f"cannot load settings: {err}", config_file) from err
    finally:
        pelican_log.setLevel(level)
    return settings_from_dict(raw, config_file.resolve().parent, config_file)


def settings_from_dict(
    raw: dict[str, Any], root: Path, config_file: Path | None = None
) -> Settings:
    """Typed settings from Pelican's dict; `root` is the newsletter repository."""
    config_file = config_file or root / "pelicanconf.py"

    def path(key: str, default: str) -> Path:
        value = Path(str(raw.get(key, default)))
        return value if value.is_absolute() else root / value

    tz_name = str(raw.get("TIMEZONE") or "UTC")
    try:
        timezone = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"unknown TIMEZONE {tz_name!r}", config_file) from err
    sections = tuple(raw.get("BRIEF_SECTIONS", DEFAULT_SECTIONS))
    if not sections or not all(isinstance(s, str) and s for s in sections):
        raise ConfigError("BRIEF_SECTIONS must be a non-empty list of names", config_file)
    digest = raw.get("BRIEF_DIGEST", {})
    return Settings(
        root=root,
        config_file=config_file,
        content=Path(raw["PATH"]),
        output=Path(raw["OUTPUT_PATH"]),
        sitename=str(raw.get("SITENAME", "Live Commerce Brief")),
        siteurl=str(raw.get("SITEURL", "")),
        timezone=timezone,
        sections=sections,
        section_by_kind=dict(raw.get("BRIEF_SECTION_BY_KIND", {})),
        section_by_region=dict(raw.get("BRIEF_SECTION_BY_REGION", {})),
        db=path("BRIEF_DB", "data/brief.sqlite"),
        ledger=path("BRIEF_LEDGER", "data/written.json"),
        feeds=path("BRIEF_FEEDS", "feeds.toml"),
        entities=path("BRIEF_ENTITIES", "content/entities.toml"),
        relevance=path("BRIEF_RELEVANCE", "relevance.toml"),
        search=bool(raw.get("BRIEF_SEARCH", True)),
        fetch=dict(raw.get("BRIEF_FETCH", {})),
        digest=DigestSettings(
            sender=str(digest.get("sender", DigestSettings.sender)),
            reply_to=digest.get("reply_to"),
            unsubscribe_url=str(digest.get("unsubscribe_url", DigestSettings.unsubscribe_url)),
            unsubscribe_mailto=digest.get("unsubscribe_mailto"),
            utm=dict(digest.get("utm", {})),
        ),
        markdown=dict(raw.get("MARKDOWN", {})),
        pelican=raw,
    )
