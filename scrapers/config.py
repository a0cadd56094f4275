"""The TOML files editors write (feeds, relevance rules, the watchlist, the calendar),
read one way.

Every mistake is a ConfigError that names the file and, where there is one, the line:
bytes that are not UTF-8, TOML syntax, and (through `TomlFile.line_of`) a key whose value
is wrong.
"""

from __future__ import annotations

import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapers.errors import ConfigError


@dataclass(frozen=True)
class TomlFile:
    path: Path
    data: dict[str, Any]
    lines: tuple[str, ...]

    def line_of(self, key: str, start: int = 1, end: int | None = None) -> int | None:
        """The line (from 1) where `key = ...` is written between `start` and `end`."""
        pattern = re.compile(
            rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*="""
        )
        stop = len(self.lines) if end is None else min(end, len(self.lines))
        for number in range(max(start, 1), stop + 1):
            if pattern.match(self.lines[number - 1]):
                return number
        return None

    def table_lines(self, header: str) -> list[int]:
        """The line of each `[header]` or `[[header]]` table, in order."""
        pattern = re.compile(rf"^\s*\[\[?\s*{re.escape(header)}\s*\]\]?")
        return [n for n, line in enumerate(self.lines, 1) if pattern.match(line)]

    def fail(self, message: str, key: str | None = None, start: int = 1) -> ConfigError:
        line = self.line_of(key, start) if key is not None else None
        return ConfigError(message, self.path, line or (start if start > 1 else None))


def read_toml(path: Path, what: str, missing_ok: bool = False) -> TomlFile:
    """Read and parse a TOML file; `what` names it in errors ("the feeds file"). A file
    that does not exist reads as empty when `missing_ok`."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as err:
        if missing_ok:
            return TomlFile(path, {}, ())
        raise ConfigError(f"cannot read {what}: {err.strerror}", path) from err
    except OSError as err:
        raise ConfigError(f"cannot read {what}: {err.strerror}", path) from err
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"not UTF-8 text (byte {err.start}): save {what} as UTF-8", path, line
        ) from err
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        match = re.search(r"at line (\d+)", str(err))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(err))
        raise ConfigError(
            f"not valid TOML (TOML syntax error: {reason})",
            path,
            int(match.group(1)) if match else None,
        ) from err
    return TomlFile(path, data, tuple(text.splitlines()))


def finite_number(value: object, low: float, high: float) -> float | None:
    """`value` as a float if it is a real, finite number in [low, high]; else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or not low <= value <= high:
        return None
    return float(value)
