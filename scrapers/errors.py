"""The project's one exception tree, rooted here in the lowest layer.

Every error carries the data a user needs to act on it (a path and line, a URL) and its
message says what happened, where, and what to do. The editorial layer (`brief.ground.errors`)
extends this tree; nothing here knows about it.
"""

from __future__ import annotations

from pathlib import Path


class BriefError(Exception):
    """Base of every error this project raises on purpose."""


class LocatedError(BriefError):
    """An error about a place in a file: its message starts with `path:line:`."""

    def __init__(self, message: str, path: Path | str | None = None, line: int | None = None):
        self.path = Path(path) if path is not None else None
        self.line = line
        super().__init__(message)

    def __str__(self) -> str:
        where = ""
        if self.path is not None:
            where = f"{self.path}:{self.line}: " if self.line else f"{self.path}: "
        return f"{where}{self.args[0]}"


class ConfigError(LocatedError):
    """A settings, feeds, rules or watchlist file is wrong. The CLI exits 2, like a usage
    error."""


class SourceError(BriefError):
    """A feed could not be fetched or parsed."""

    def __init__(self, message: str, url: str):
        self.url = url
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.url}: {self.args[0]}"


class StoreError(BriefError):
    """The store cannot be used: busy, read-only, full or damaged (the message says which)."""
