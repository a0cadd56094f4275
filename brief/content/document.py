"""Pelican Markdown files: a `Key: value` header, a blank line, then a Markdown body.

This parser keeps line numbers, so `brief check` can point at the line to fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from brief.ground.errors import ContentError

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
    end = header_end(lines)
    for index, line in enumerate(lines[:end]):
        field = _FIELD.match(line)
        more = _CONTINUATION.match(line)
        if field:
            last = field.group("key").lower()
            meta[last] = field.group("value").strip()
            meta_lines[last] = index + 1
        elif more and last is not None:
            meta[last] = f"{meta[last]}\n{more.group('value').strip()}".strip()
    body = end + 1 if end < len(lines) and not lines[end].strip() else end
    return Document(path, meta, meta_lines, "\n".join(lines[body:]), body + 1)


def header_end(lines: list[str]) -> int:
    """The index of the first line after the metadata header: the blank line (even one
    holding spaces) that ends it, or the first line that is not a field."""
    started = False
    for index, line in enumerate(lines):
        if not line.strip():
            return index
        if _FIELD.match(line) or (started and _CONTINUATION.match(line)):
            started = True
            continue
        return index
    return len(lines)


def set_fields(text: str, fields: dict[str, str], only_if_missing: tuple[str, ...] = ()) -> str:
    """`text` with these header fields set, line by line: nothing else changes.

    An existing `Key:` line is replaced in place (unless the key is in
    `only_if_missing`); a new one goes at the end of the header. Line endings, CRLF or
    LF, are the file's own, and a header separator holding spaces still ends the header.
    """
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if "\r\n" in text else "\r" if "\r" in text and "\n" not in text else "\n"
    end = header_end([line.rstrip("\r\n") for line in lines])
    for key, value in fields.items():
        pattern = re.compile(rf"^[ ]{{0,3}}{re.escape(key)}\s*:", re.IGNORECASE)
        index = next((i for i in range(end) if pattern.match(lines[i])), None)
        if index is not None:
            if key not in only_if_missing:
                ending = lines[index][len(lines[index].rstrip("\r\n")) :] or newline
                lines[index] = f"{key}: {value}{ending}"
            continue
        if end and not lines[end - 1].endswith(("\n", "\r")):
            lines[end - 1] += newline
        lines.insert(end, f"{key}: {value}{newline}")
        if end == 0 and lines[1:] and lines[1].strip():
            lines.insert(1, newline)  # a file without a header gets one, then a blank line
        end += 1
    return "".join(lines)


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
