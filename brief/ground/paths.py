"""Paths as the editor reads them and as the ledger and the store record them: relative to
a folder when inside it, whole otherwise. The one place this is worked out."""

from __future__ import annotations

from pathlib import Path


def under(path: Path, root: Path) -> Path:
    """`path` relative to `root` when it lies inside it (both resolved), else `path`."""
    try:
        return path.resolve().relative_to(root.resolve())
    except (ValueError, OSError):
        return path


def display_path(path: Path) -> str:
    """A path as the editor would type it: relative to the current folder when inside it."""
    return str(under(path, Path.cwd()))
