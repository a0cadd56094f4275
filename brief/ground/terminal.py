"""Text from outside (feeds, servers, files) on the editor's terminal: shown, never obeyed.

A feed title may carry escape sequences (colours, cursor moves, OSC hyperlinks and window
titles), a carriage return that hides what came before it, or Rich markup such as
`[link=...]`. Everything printed that did not come from our own code goes through `shown`
(for plain output) or `markup` (inside Rich tables and styled lines).
"""

from __future__ import annotations

import click
from rich.markup import escape

from scrapers.clean import inert_text


def shown(text: object, one_line: bool = False) -> str:
    """`text` made inert for a terminal; `one_line` also folds newlines into spaces."""
    value = inert_text(str(text)).replace("\r", "")
    return " ".join(value.split()) if one_line else value


def markup(text: object) -> str:
    """`text` for a Rich renderable: inert, and its square brackets are not markup."""
    return escape(shown(text, one_line=True))


def echo(text: object, err: bool = False) -> None:
    """click.echo for lines that carry outside text."""
    click.echo(shown(text), err=err)


def plural(count: int, word: str, many: str | None = None) -> str:
    """ "1 article", "2 articles", "1 story", "3 stories": a count and its word."""
    if count == 1:
        return f"{count} {word}"
    if many is None:
        many = (
            word[:-1] + "ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else word + "s"
        )
    return f"{count} {many}"
