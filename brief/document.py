"""Pelican Markdown files: a `Key: value` header, a blank line, then a Markdown body.

This parser keeps line numbers, so `brief check` can point at the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from brief.errors import ContentError

_FIELD = re.compile(r"^[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
_CONTINUATION = re.compile(r"^[ ]{4,}(?P<value>.*)$")


@dataclass(frozen=True)
class Document:
    path: Path
    meta: dict[str, str]  # lower-case keys
    meta_lines: dict[str, int]
    body: str
    body_line: int  # line number of the body's first line

    def line_of(self, key: str) -> int:
        return self.meta_lines.get(key, 1)


def read_document(path: Path) -> Document:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        raise ContentError(f"not UTF-8 text (byte {err.start})", path) from err
    except OSError as err:
        raise ContentError(f"cannot read: {err.strerror}", path) from err
    return parse_document(text, path)


def parse_document(text: str, path: Path) -> Document:
    lines = text.splitlines()
    meta: dict[str, str] = {}
    meta_lines: dict[str, int] = {}
    last: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        if not line.strip():
            index += 1
            break
        field = _FIELD.match(line)
        more = _CONTINUATION.match(line)
        if field:
            last = field.group("key").lower()
            meta[last] = field.group("value").strip()
            meta_lines[last] = index + 1
        elif more and last is not None:
            meta[last] = f"{meta[last]}\n{more.group('value').strip()}".strip()
        else:
            break  # no header, or the header ended without a blank line: the rest is body
        index += 1
    return Document(path, meta, meta_lines, "\n".join(lines[index:]), index + 1)


def parse_date(value: str, timezone: ZoneInfo) -> datetime:
    """A `Date:` value as Pelican writes it (ISO 8601, time optional), made timezone-aware."""
    stamp = datetime.fromisoformat(value.strip())
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone)


def optional_date(document: Document, timezone: ZoneInfo) -> datetime | None:
    """The `Date:` of a document, or None when missing or unreadable (check reports it)."""
    value = document.meta.get("date")
    try:
        return parse_date(value, timezone) if value else None
    except ValueError:
        return None


def split_list(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def format_header(fields: list[tuple[str, str]]) -> str:
    """A metadata header: one `Key: value` line per field, values on one line."""
    lines = []
    for key, value in fields:
        flat = re.sub(r"\s+", " ", value).strip()
        lines.append(f"{key}: {flat}".rstrip())
    return "\n".join(lines) + "\n"
