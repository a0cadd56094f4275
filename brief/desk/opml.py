"""Sources in and out: OPML, the file every feed reader exports and imports.

`brief sources import FILE.opml` appends the feeds it does not know yet to `feeds.toml` as
`[[source]]` tables (nothing already there is changed); `brief sources export` writes the
sources as OPML 2.0. The OPML is read with the standard library's ElementTree: its expat
refuses entity-expansion bombs, and ElementTree never fetches external entities.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from brief.ground.errors import ConfigError
from scrapers.clean import canonical_url, clean_name, internal_host, web_url
from scrapers.sources import Source, load_sources

MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class Feed:
    name: str
    url: str
    home: str | None = None


@dataclass(frozen=True)
class Imported:
    added: tuple[Feed, ...]
    known: tuple[Feed, ...]  # already in feeds.toml (same feed address)
    skipped: tuple[str, ...]  # outlines that are not usable feeds, and why


def read_opml(path: Path, allow_internal: bool = False) -> tuple[list[Feed], list[str]]:
    """The feeds of an OPML file (nested outlines flattened) and a note per unusable one.

    A feed on this machine or a private network (localhost, 10.0.0.0/8, 169.254.169.254,
    printer.local...) is unusable unless `allow_internal`: a list from elsewhere is not the
    editor typing an address, and would point the scraper at services only it can reach."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(
                f"larger than {MAX_BYTES // (1024 * 1024)} MiB: not an OPML list", path
            )
        root = ET.parse(path).getroot()
    except ET.ParseError as err:
        raise ConfigError(f"not valid OPML (XML): {err}", path) from err
    except OSError as err:
        raise ConfigError(f"cannot read it: {err.strerror or err}", path) from err
    if root.tag != "opml" or root.find("body") is None:
        raise ConfigError("not an OPML file: no <opml> with a <body>", path)
    feeds: list[Feed] = []
    notes: list[str] = []
    for outline in _outlines(root.find("body")):  # type: ignore[arg-type]
        address = outline.get("xmlUrl")
        if address is None:
            continue  # a folder
        name = clean_name(outline.get("title") or outline.get("text") or "")
        url = web_url(address.strip())
        if url is None:
            notes.append(f"{name or address!r}: {address!r} is not an http(s) feed address")
            continue
        if not allow_internal and internal_host(urlsplit(url).hostname or ""):
            notes.append(
                f"{name or url!r}: {url} is on this machine or a private network"
                " (--allow-internal adds it)"
            )
            continue
        home = web_url((outline.get("htmlUrl") or "").strip())
        feeds.append(Feed(name or url, url, home))
    return feeds, notes


def _outlines(parent: ET.Element) -> Iterator[ET.Element]:
    for outline in parent.findall("outline"):
        yield outline
        yield from _outlines(outline)


def import_opml(opml: Path, feeds_file: Path, allow_internal: bool = False) -> Imported:
    """Append the OPML's new feeds to `feeds_file` (created if missing); a feed whose address
    is already there is left alone, and a name already taken gets a number."""
    found, notes = read_opml(opml, allow_internal)
    existing = load_sources(feeds_file) if feeds_file.exists() else []
    known_urls = {canonical_url(s.url) for s in existing}
    names = {s.name.casefold() for s in existing}
    added: list[Feed] = []
    known: list[Feed] = []
    for feed in found:
        if canonical_url(feed.url) in known_urls:
            known.append(feed)
            continue
        name, number = feed.name, 2
        while name.casefold() in names:
            name, number = f"{feed.name} ({number})", number + 1
        names.add(name.casefold())
        known_urls.add(canonical_url(feed.url))
        added.append(Feed(name, feed.url, feed.home))
    if added:
        before = feeds_file.read_text(encoding="utf-8") if feeds_file.exists() else ""
        text = before.rstrip("\n") + ("\n\n" if before.strip() else "") + _tables(added)
        temporary = feeds_file.with_name(f".{feeds_file.name}.import")
        temporary.write_text(text, encoding="utf-8")
        try:
            load_sources(temporary)  # what we append must read back as valid sources
        except ConfigError:
            temporary.unlink()
            raise
        temporary.replace(feeds_file)
    return Imported(tuple(added), tuple(known), tuple(notes))


def _tables(feeds: Sequence[Feed]) -> str:
    parts = []
    for feed in feeds:
        lines = ["[[source]]", f"name = {_toml(feed.name)}", f"url = {_toml(feed.url)}"]
        if feed.home:
            lines.append(f"home = {_toml(feed.home)}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string: JSON's escapes are TOML's."""
    return json.dumps(text, ensure_ascii=False)


def export_opml(sources: Sequence[Source], title: str) -> str:
    """OPML 2.0 with one outline per http(s) source (local files have no address to share)."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for source in sources:
        if not source.is_remote:
            continue
        attributes = {
            "type": "rss",
            "text": source.name,
            "title": source.name,
            "xmlUrl": source.url,
        }
        if source.home:
            attributes["htmlUrl"] = source.home
        ET.SubElement(body, "outline", attributes)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
