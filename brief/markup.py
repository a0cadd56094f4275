"""Text that crosses into Markdown or HTML: escaping it and rendering it."""

from __future__ import annotations

import html
import re
import textwrap
from typing import Any

import markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]])")
_LINE_START = re.compile(r"^(\s*)([#+\-=>|]|\d+[.)])")
_ENTITY_LIKE = re.compile(r"&(?=[A-Za-z0-9#]+;)")


def markdown_text(text: str) -> str:
    """Plain text made safe to place in a Markdown paragraph: it renders as itself."""
    text = _ENTITY_LIKE.sub("&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def markdown_quote(text: str, width: int = 88) -> str:
    """Plain text as a Markdown blockquote, wrapped for editors reading the file."""
    lines = textwrap.wrap(markdown_text(text), width=width - 2) or [""]
    return "\n".join("> " + _LINE_START.sub(r"\1\\\2", line) for line in lines)


def html_text(text: str) -> str:
    """Plain text for a metadata field that Pelican treats as HTML (like Title)."""
    return _ENTITY_LIKE.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def plain_text(html_fragment: str) -> str:
    """The reverse of html_text, for places that want text (subjects, plain-text email)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html_fragment))


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
