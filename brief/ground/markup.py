"""Text that crosses into Markdown or HTML: escaping it and rendering it."""

from __future__ import annotations

import re
import textwrap
from typing import Any

import markdown

from scrapers.clean import inert_text

# Characters Python-Markdown and the extensions we load (extra, smarty) read as syntax
# anywhere in a line: emphasis, code, links and images, reference links, footnotes and
# abbreviations ([...]), attribute lists ({...}), tables (|), and the backslash itself.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]|!])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
# What starts a block when it opens a line: headings, lists, setext underlines, quotes,
# tables, definition lists, fenced code, numbered lists. Escaped once the text is wrapped.
_LINE_START = re.compile(r"^([#+\-=:~|]|\d+[.)])")
_AT_LINE_START = {"=": "&#61;", ":": "&#58;", "~": "&#126;"}  # no backslash escape exists


def markdown_text(text: str) -> str:
    """Text from outside made inert in a Markdown paragraph: it renders as itself.

    Nothing in it takes effect: no emphasis, link, image, HTML, entity, attribute list,
    footnote, abbreviation or table. (Typographic quotes and dashes still apply.)
    """
    text = _ENTITY_LIKE.sub("&amp;", inert_text(text))
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_quote(text: str, width: int = 88) -> str:
    """Text from outside as an inert Markdown blockquote, wrapped for editors to read."""
    flat = " ".join(markdown_text(text).split())
    lines = textwrap.wrap(
        flat, width=width - 2, break_long_words=False, break_on_hyphens=False
    ) or [""]
    return "\n".join("> " + _escape_line_start(line) for line in lines)


def _escape_line_start(line: str) -> str:
    match = _LINE_START.match(line)
    if match is None:
        return line
    token = match.group(1)
    if token in _AT_LINE_START:
        return _AT_LINE_START[token] + line[1:]
    if token[0].isdigit():
        return token[:-1] + "\\" + line[len(token) - 1 :]
    return "\\" + line


def metadata_text(text: str) -> str:
    """Text from outside as the value of a `Key: value` header line: inert, one line."""
    return " ".join(inert_text(text).split())


def html_text(text: str) -> str:
    """Plain text for a metadata field that Pelican treats as HTML (like Title)."""
    text = _ENTITY_LIKE.sub("&amp;", metadata_text(text))
    return text.replace("<", "&lt;").replace(">", "&gt;")


def wrap(text: str, width: int = 72, indent: str = "") -> str:
    """Plain text wrapped for email: paragraphs kept, list items hanging, words whole."""
    paragraphs = text.split("\n\n")
    wrapped = []
    for paragraph in paragraphs:
        lines = paragraph.split("\n")
        wrapped.append(
            "\n".join(
                textwrap.fill(
                    line,
                    width=width,
                    initial_indent=indent,
                    subsequent_indent=indent + ("  " if line.startswith("- ") else ""),
                    break_long_words=False,
                    break_on_hyphens=False,
                )
                for line in lines
            )
        )
    return "\n\n".join(wrapped)


class MarkdownRenderer:
    """Markdown to HTML with the site's own Markdown settings, reusable across documents."""

    def __init__(self, config: dict[str, Any]):
        extensions = dict(config.get("extension_configs", {}))
        # Bodies have no metadata header; the meta extension would eat a first line
        # that happens to look like "Note: ...".
        extensions.pop("markdown.extensions.meta", None)
        self._md = markdown.Markdown(
            extensions=list(extensions),
            extension_configs=extensions,
            output_format=config.get("output_format", "html5"),
        )

    def render(self, text: str) -> str:
        self._md.reset()
        return str(self._md.convert(text))
