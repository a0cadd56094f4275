"""What `brief triage` shows: a table, or one story at a time with single keys."""

from __future__ import annotations

import sys
import textwrap
import webbrowser
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from brief.desk.decisions import accept, decide, undo_last
from brief.desk.queue import TriageRow
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
            c = row.story
            outlets = len({s.name for s in c.sources})
            more = f"+{plural(outlets - 1, 'source')}" if outlets > 1 else ""
            title = ("★ " if c.shortlisted else "") + c.title
            note = "link is the aggregator's, not the publisher's" if c.link_note else ""
            fields = [
                str(c.id), f"{bar(c.score)} {c.score:.2f}", title, c.publisher, row.age,
                ", ".join(c.entities[:3]), row.section, more, note,
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
        c = row.story
        title = ("★ " if c.shortlisted else "") + c.title
        outlets = len({s.name for s in c.sources})
        more = f"\n+{plural(outlets - 1, 'source')}" if outlets > 1 else ""
        note = "\n[yellow]⚠ link is the aggregator's, not the publisher's[/]" if c.link_note else ""
        table.add_row(
            str(c.id),
            f"{bar(c.score)} {c.score:.2f}",
            markup(title) + note,
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
    c = row.story
    lines = [f"#{c.id} {c.title}", "", "Relevance (rules in relevance.toml):"]
    signals = c.signals or ("(no signal: nothing about livestream commerce)",)
    lines += [f"  {signal}" for signal in signals]
    raw = sum(_weight(signal) for signal in c.signals)
    lines.append(f"  = {raw:+.2f} in all, a score of {c.score:.2f}")
    lines += ["", "Rank (the queue's order, [ranking] in relevance.toml):"]
    for name, value, weight in row.terms:
        lines.append(f"  {name:<10} {value:5.2f} x {weight:4.2f} = {value * weight:5.3f}")
    lines.append(f"  {'total':<10} {'':>14} {row.rank:5.3f}")
    if row.pushes:
        lines += ["", "Model (brief relevance train): what moved its score most, in log-odds:"]
        lines += [f"  {push.weight:+.2f} {push.feature}" for push in row.pushes]
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
    if not rows:
        click.echo("Nothing to triage.")
        return
    session = _Session(store, list(rows), settings, entities, who, now)
    while session.index < len(session.rows):
        row = session.rows[session.index]
        if session.on_screen != session.index:  # after [f] or [o] it is still on screen
            _show(row, session.index, len(session.rows))
            session.on_screen = session.index
        key = _key()
        if key == "q":
            break
        handler = _HANDLERS.get(key)
        if handler is None:
            click.echo(f"  keys: {KEYS}")
        else:
            handler(session, row)
    click.echo(f"Decided {len(session.done)} of {len(session.rows)}.")


@dataclass
class _Session:
    """What one interactive triage remembers: where it is, what it decided, in order."""

    store: Store
    rows: list[TriageRow]
    settings: Settings
    entities: Sequence[Entity]
    who: str
    now: Callable[[], datetime]
    index: int = 0
    on_screen: int | None = None
    done: list[int] = field(default_factory=list)  # indexes of rows decided here, for undo
    sections: dict[int, str] = field(default_factory=dict)  # chosen with [c], by story id

    def decided(self) -> None:
        self.done.append(self.index)
        self.index += 1


def _next(session: _Session, row: TriageRow) -> None:
    session.index += 1


def _accept(session: _Session, row: TriageRow, edit: bool = False) -> None:
    story, path = row.story, None
    current = session.store.stories.get(story.id)
    if current is not None and current.status != "accepted":
        section = session.sections.get(story.id, row.section)
        (outcome,) = accept(
            session.store, [story.id], session.settings, session.entities, session.now(),
            section, session.who,
        )  # fmt: skip
        echo(f"  accepted: {outcome.path}" if not outcome.error else f"  {outcome.error}")
        path = outcome.path
        session.done.append(session.index)
    elif current is not None and current.article_path:
        path = Path(current.article_path)
    if edit and path is not None:
        _edit(session.settings.root / path)
        echo(f"  edited: {path}")
    session.index += 1


def _accept_and_edit(session: _Session, row: TriageRow) -> None:
    _accept(session, row, edit=True)


def _decide(action: Action) -> Callable[[_Session, TriageRow], None]:
    def handler(session: _Session, row: TriageRow) -> None:
        (outcome,) = decide(session.store, [row.story.id], action, session.now(), session.who)
        echo(f"  {action}" if not outcome.error else f"  {outcome.error}")
        session.decided()

    return handler


def _change_section(session: _Session, row: TriageRow) -> None:
    story_id = row.story.id
    chosen = _choose_section(session.settings.sections, session.sections.get(story_id, row.section))
    if chosen:
        session.sections[story_id] = chosen
        echo(f"  section: {chosen} (used when you accept)")


def _narrow(session: _Session, row: TriageRow) -> None:
    words = click.prompt("  narrow to stories with", default="", show_default=False)
    words = " ".join(words.split()).casefold()
    if words:
        rest = [r for r in session.rows[session.index :] if _matches(r, words)]
        session.rows = session.rows[: session.index] + rest
        echo(f"  {plural(len(rest), 'story')} with {words!r}")
        session.on_screen = None


def _open(session: _Session, row: TriageRow) -> None:
    click.echo(f"  {shown(row.story.link, one_line=True)}")
    if web_url(row.story.link):
        webbrowser.open(row.story.link)


def _full_summary(session: _Session, row: TriageRow) -> None:
    story = row.story
    summary = shown(story.summary_text or "(no summary)", one_line=True)
    click.echo(textwrap.fill(summary, 88, initial_indent="  ", subsequent_indent="  "))
    for copy in story.sources:
        click.echo(f"  · {shown(copy.name, True)}: {shown(copy.link, True)}")


def _undo(session: _Session, row: TriageRow) -> None:
    """The latest decision (or batch) taken back, by the one undo `brief undo` and the web
    desk use; the cursor goes back to the story if it is in this queue."""
    restored, problems = undo_last(session.store, session.settings, session.now(), session.who)
    for problem in problems:
        echo(f"  cannot undo: {problem}")
    if not restored:
        if not problems:
            click.echo("  nothing to undo")
        return
    where = {r.story.id: i for i, r in enumerate(session.rows)}
    back = [where[story_id] for story_id in restored if story_id in where]
    if back:
        session.index = min(back)
        session.done = [i for i in session.done if i not in back]
        session.on_screen = None
    if len(restored) == 1:
        click.echo(f"  undone: #{restored[0]} is back as it was")
    else:
        click.echo(f"  undone: {plural(len(restored), 'decision')}")


_HANDLERS: dict[str, Callable[[_Session, TriageRow], None]] = {
    "n": _next, " ": _next, "\r": _next, "\n": _next,
    "a": _accept, "e": _accept_and_edit,
    "r": _decide("rejected"), "s": _decide("shortlisted"),
    "c": _change_section, "/": _narrow,
    "o": _open, "f": _full_summary,
    "u": _undo,
}  # fmt: skip


def _show(row: TriageRow, index: int, total: int) -> None:
    c = row.story
    click.echo("")
    click.secho(f"[{index + 1}/{total}] #{c.id}  {bar(c.score)} {c.score:.2f}", bold=True)
    click.secho(f"  {shown(c.title, one_line=True)}", bold=True)
    outlets = len({s.name for s in c.sources})
    more = f" · {outlets} sources, first reported by {c.first_reported_by}"
    line = (
        f"  {c.publisher} · {row.age} · {row.section}"
        + (more if outlets > 1 else "")
        + (f" · {', '.join(c.entities[:4])}" if c.entities else "")
    )
    click.echo(shown(line, one_line=True))
    if c.link_note:
        click.secho(f"  ⚠ {shown(c.link_note, one_line=True)}", fg="yellow")
    if c.summary_text:
        click.echo(textwrap.shorten(shown(c.summary_text, one_line=True), 240, placeholder=" …"))
    click.echo(KEYS)


def _matches(row: TriageRow, words: str) -> bool:
    c = row.story
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
