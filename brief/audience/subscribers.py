"""Subscribers: checked addresses (`brief.ground.addresses`) with plain-text names, read from a
CSV file a row at a time."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from brief.ground.addresses import check_address
from brief.ground.errors import ConfigError
from brief.mail.headers import plain_name
from scrapers.clean import inert_text

MAX_FIELD = 4096  # characters in one CSV field: far beyond any address or name


@dataclass(frozen=True)
class Subscriber:
    """One recipient. `email` as the subscriber wrote it (domain normalised); `envelope`
    what goes on the wire: the domain in punycode, so IDN domains need nothing special."""

    email: str
    name: str | None
    line: int
    envelope: str = ""

    @property
    def address(self) -> str:
        return self.envelope or self.email

    @property
    def needs_smtputf8(self) -> bool:
        return not self.address.isascii()


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


def subscriber(email: str, name: str | None = None, line: int = 0) -> Subscriber:
    """A Subscriber from an address, checked (ValueError says what is wrong), and a name
    made plain text (`plain_name`), wherever both came from."""
    checked = check_address(email)
    return Subscriber(checked.normalized, plain_name(name), line, checked.envelope)


def envelope_of(email: str) -> str:
    """The address as it goes on the wire (an IDN domain in punycode)."""
    try:
        return subscriber(email).envelope
    except ValueError:
        return email


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[BadRow]]:
    """Subscribers from a CSV with a header row and an `email` column (`name` optional).

    UTF-8 (with or without a BOM) or UTF-16 with a BOM. Every row that cannot be used (not
    an address, a duplicate, a line break in a name, bytes that are not UTF-8, a field
    too long) is reported with its line number and skipped; the others are kept.
    """
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ConfigError(f"cannot read subscribers: {err.strerror}", path) from err
    text = _decode(raw, path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [f.strip().lower() for f in next(reader)]
    except (StopIteration, csv.Error):
        header = []
    if "email" not in header:
        raise ConfigError("the header row needs an 'email' column", path, 1)
    good: list[Subscriber] = []
    bad: list[BadRow] = []
    seen: dict[str, int] = {}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as err:
            bad.append(BadRow(start, f"not a CSV row: {err}"))
            continue
        if not any(cell.strip() for cell in row):
            continue
        values = dict(zip(header, row, strict=False))
        problem = _row_problem(row)
        if problem:
            bad.append(BadRow(start, problem))
            continue
        name = unguarded((values.get("name") or "").strip()) or None
        try:
            person = subscriber(unguarded((values.get("email") or "").strip()), name, start)
        except ValueError as err:
            bad.append(BadRow(start, inert_text(str(err))))
            continue
        key = person.email.casefold()
        if key in seen:
            bad.append(BadRow(start, f"{person.email} is already on line {seen[key]}"))
            continue
        seen[key] = start
        good.append(person)
    return good, bad


def _decode(raw: bytes, path: Path) -> str:
    """The CSV's text; bytes that are not UTF-8 are kept as surrogates, for `_row_problem`."""
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as err:
            raise ConfigError(f"not valid UTF-16 text (byte {err.start})", path) from err
    if b"\x00" in raw[:4096]:
        raise ConfigError(
            "looks like UTF-16 without a byte-order mark: save the file as UTF-8", path
        )
    return raw.decode("utf-8-sig" if raw.startswith(codecs.BOM_UTF8) else "utf-8",
                      "surrogateescape")  # fmt: skip


def _row_problem(row: Sequence[str]) -> str | None:
    for cell in row:
        if any("\udc80" <= char <= "\udcff" for char in cell):
            return "not UTF-8 text (is the file Latin-1?): save it as UTF-8, or fix this row"
        if len(cell) > MAX_FIELD:
            return f"a field is {len(cell):,} characters long (at most {MAX_FIELD:,})"
        if "\n" in cell or "\r" in cell:
            return "a field holds a line break"
        if inert_text(cell) != cell:
            return "a field holds control characters"
    return None


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet would run as a formula


def guarded(cell: str) -> str:
    """A CSV cell a spreadsheet shows as text: a leading quote before what it would run
    (a name like '=HYPERLINK(...)' typed into the public form), and before a cell that
    already starts with quotes and then a formula, so that `unguarded` gives it back."""
    return f"'{cell}" if cell.lstrip("'").startswith(FORMULA_START) else cell


def unguarded(cell: str) -> str:
    """The cell `guarded` wrote, as it was (so an export imports back unchanged)."""
    guarded_cell = cell.startswith("'") and cell.lstrip("'").startswith(FORMULA_START)
    return cell[1:] if guarded_cell else cell
