"""What `brief triage` shows: a table, or one story at a time with single keys."""

from __future__ import annotations

import sys
import textwrap
import webbrowser
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from brief.desk.queue import TriageRow
from brief.ground.errors import BriefError
from brief.ground.settings import Settings
from brief.ground.terminal import echo, markup, plural, shown
from scrapers.clean import web_url
from scrapers.entities import Entity
from scrapers.records import Action
from scrapers.storage import Store

KEYS = (
    "[a]ccept  [e]dit  [r]eject  [s]hortlist  [c]hange section  [n]ext  [o]pen link\n"
    "[f]ull summary  [/] narrow  [u]ndo  [q]uit"
)


def print_table(rows: Sequence[TriageRow], console: Console | None = None) -> None:
    """A Rich table on a terminal; one tab-separated line per story when piped."""
    console = console or Console()
    if not console.is_terminal:
        for row in rows:
            c = row.candidate
            more = f"+{plural(len(c.sources) - 1, 'source')}" if len(c.sources) > 1 else ""
            title = ("★ " if c.shortlisted else "") + c.title
            fields = [
                str(c.id), f"{bar(c.score)} {c.score:.2f}", title, c.publisher, row.age,
                ", ".join(c.entities[:3]), row.section, more,
            ]  # fmt: skip
            click.echo("\t".join(shown(f, one_line=True) for f in fields).rstrip())
        return
    table = Table(show_lines=False, expand=True, pad_edge=False)
    table.add_column("ID", justify="right", style="bold", no_wrap=True)
    table.add_column("Score", no_wrap=True)
    table.add_column("Story", ratio=3)
    table.add_column("Source", ratio=1)
    table.add_column("Age", no_wrap=True)
    table.add_column("Companies", ratio=1)
    table.add_column("Section", ratio=1)
    for row in rows:
        c = row.candidate
        title = ("★ " if c.shortlisted else "") + c.title
        more = f"\n+{plural(len(c.sources) - 1, 'source')}" if len(c.sources) > 1 else ""
        table.add_row(
            str(c.id),
            f"{bar(c.score)} {c.score:.2f}",
            markup(title),
            markup(c.publisher) + more,
            row.age,
            markup(", ".join(c.entities[:3])),
            markup(row.section),
        )
    console.print(table)
    console.print(
        "Accept: brief accept ID... · reject: brief reject ID... · one by one: brief triage -i",
        style="dim",
        highlight=False,
    )


def explain_text(row: TriageRow) -> str:
    """Why a story is where it is: its relevance signals with their total, then every term of
    its rank with its weight, and the rank."""
    c = row.candidate
    lines = [f"#{c.id} {c.title}", "", "Relevance (rules in relevance.toml):"]
    signals = c.signals or ("(no signal: nothing about livestream commerce)",)
    lines += [f"  {signal}" for signal in signals]
    raw = sum(_weight(signal) for signal in c.signals)
    lines.append(f"  = {raw:+.2f} in all, a score of {c.score:.2f}")
    lines += ["", "Rank (the queue's order, [ranking] in relevance.toml):"]
    for name, value, weight in row.terms:
        lines.append(f"  {name:<10} {value:5.2f} x {weight:4.2f} = {value * weight:5.3f}")
    lines.append(f"  {'total':<10} {'':>14} {row.rank:5.3f}")
    return "\n".join(lines)


def _weight(signal: str) -> float:
    try:
        return float(signal.split(" ", 1)[0])
    except ValueError:
        return 0.0


def bar(score: float, width: int = 8) -> str:
    filled = round(score * width)
    return "█" * filled + "░" * (width - filled)


def run_interactive(
    store: Store,
    rows: Sequence[TriageRow],
    settings: Settings,
    entities: Sequence[Entity],
    who: str,
    now: Callable[[], datetime],
) -> None:
    """One story at a time; single keys (no Enter needed on a terminal, over SSH too)."""
    from brief.desk.decisions import accept, decide, undo_decision, undo_last

    if not rows:
        click.echo("Nothing to triage.")
        return
    rows = list(rows)
    sections: dict[int, str] = {}  # a section the editor chose, by candidate id
    done: list[int] = []  # indexes of rows decided in this session, for undo
    index = 0
    on_screen = None
    while index < len(rows):
        row = rows[index]
        if on_screen != index:  # after [f] or [o] the story is still on screen
            _show(row, index, len(rows))
            on_screen = index
        key = _key()
        c = row.candidate
        assert c.id is not None
        if key == "q":
            break
        if key in ("n", " ", "\r", "\n"):
            index += 1
        elif key in ("a", "e"):
            path = None
            current = store.stories.get(c.id)
            if current is not None and current.status != "accepted":
                (outcome,) = accept(
                    store, [c.id], settings, entities, now(), sections.get(c.id, row.section), who
                )
                echo(f"  accepted: {outcome.path}" if not outcome.error else f"  {outcome.error}")
                path = outcome.path
                done.append(index)
            elif current is not None and current.article_path:
                path = Path(current.article_path)
            if key == "e" and path is not None:
                _edit(settings.root / path)
                echo(f"  edited: {path}")
            index += 1
        elif key == "c":
            chosen = _choose_section(settings.sections, sections.get(c.id, row.section))
            if chosen:
                sections[c.id] = chosen
                echo(f"  section: {chosen} (used when you accept)")
        elif key == "/":
            words = click.prompt("  narrow to stories with", default="", show_default=False)
            words = " ".join(words.split()).casefold()
            if words:
                rest = [r for r in rows[index:] if _matches(r, words)]
                rows = rows[:index] + rest
                echo(f"  {plural(len(rest), 'story')} with {words!r}")
                on_screen = None
        elif key in ("r", "s"):
            action: Action = "rejected" if key == "r" else "shortlisted"
            (outcome,) = decide(store, [c.id], action, now(), who)
            echo(f"  {action}" if not outcome.error else f"  {outcome.error}")
            done.append(index)
            index += 1
        elif key == "o":
            click.echo(f"  {shown(c.link, one_line=True)}")
            if web_url(c.link):
                webbrowser.open(c.link)
        elif key == "f":
            summary = shown(c.summary_text or "(no summary)", one_line=True)
            click.echo(textwrap.fill(summary, 88, initial_indent="  ", subsequent_indent="  "))
            for copy in c.sources:
                click.echo(f"  · {shown(copy.name, True)}: {shown(copy.link, True)}")
        elif key == "u":
            if not done:
                # Nothing decided here yet: take back the latest decision (or batch) in the store.
                restored, problems = undo_last(store, settings, now(), who)
                for problem in problems:
                    echo(f"  cannot undo: {problem}")
                count = len(restored)
                if restored:
                    click.echo(f"  undone: {plural(count, 'decision')}")
                elif not problems:
                    click.echo("  nothing to undo")
                continue
            index = done.pop()
            on_screen = None
            undone = rows[index].candidate
            decision = store.decisions.last(undone.id)
            if decision is not None:
                try:
                    undo_decision(store, settings, decision, now(), who)
                except BriefError as err:
                    echo(f"  cannot undo: {err}")
                    done.append(index)
                    index += 1
                    continue
            click.echo(f"  undone: #{undone.id} is back as it was")
        else:
            click.echo(f"  keys: {KEYS}")
    click.echo(f"Decided {len(done)} of {len(rows)}.")


def _show(row: TriageRow, index: int, total: int) -> None:
    c = row.candidate
    click.echo("")
    click.secho(f"[{index + 1}/{total}] #{c.id}  {bar(c.score)} {c.score:.2f}", bold=True)
    click.secho(f"  {shown(c.title, one_line=True)}", bold=True)
    more = f" · {len(c.sources)} sources, first reported by {c.first_reported_by}"
    line = (
        f"  {c.publisher} · {row.age} · {row.section}"
        + (more if len(c.sources) > 1 else "")
        + (f" · {', '.join(c.entities[:4])}" if c.entities else "")
    )
    click.echo(shown(line, one_line=True))
    if c.summary_text:
        click.echo(textwrap.shorten(shown(c.summary_text, one_line=True), 240, placeholder=" …"))
    click.echo(KEYS)


def _matches(row: TriageRow, words: str) -> bool:
    c = row.candidate
    return words in f"{c.title}\n{c.summary_text}\n{c.publisher}".casefold()


def _choose_section(names: Sequence[str], current: str) -> str | None:
    for number, name in enumerate(names, 1):
        click.echo(f"  {number}. {name}" + ("  (now)" if name == current else ""))
    answer = click.prompt("  section number", default="", show_default=False).strip()
    if answer.isdigit() and 1 <= int(answer) <= len(names):
        return names[int(answer) - 1]
    if answer:
        click.echo("  no such section: unchanged")
    return None


def _edit(path: Path) -> None:
    """The draft in $VISUAL or $EDITOR (click finds them, and a fallback)."""
    try:
        click.edit(filename=str(path))
    except click.ClickException as err:
        echo(f"  cannot open an editor: {err.format_message()}; the draft is {path}")


def _key() -> str:
    if sys.stdin.isatty():
        return click.getchar().lower()
    line = sys.stdin.readline()
    if not line:
        return "q"  # end of input
    return (line.strip()[:1] or "n").lower()
