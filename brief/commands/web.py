"""The web desk's commands: `brief editors add|list|remove`, `brief desk serve`."""

from __future__ import annotations

import json
from pathlib import Path

import click

from brief.commands.options import db_option, now, settings_of
from brief.ground.terminal import echo


@click.group()
def editors() -> None:
    """Who may sign in to the web desk (brief desk serve)."""


@editors.command("add")
@click.argument("name")
@click.password_option(
    "--password",
    prompt="Password (10 characters or more)",
    help="The password (asked for, twice, when not given; prefer being asked).",
)
@click.option("--email", default="", help='Where the desk\'s "Send a test to me" sends.')
@db_option
@click.pass_context
def editors_add(ctx: click.Context, name: str, password: str, email: str, db: Path | None) -> None:
    """Add an editor to the web desk; the password is stored only as an argon2id hash."""
    from brief.desk.editors import add_editor
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        editor = add_editor(store, name, password, now(), email)
    echo(f"added {editor.name}: they can sign in to the desk (brief desk serve)")


@editors.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@db_option
@click.pass_context
def editors_list(ctx: click.Context, as_json: bool, db: Path | None) -> None:
    """The desk's editors, with when each was added and last signed in."""
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        known = store.editors.all()
    if as_json:
        rows = [
            {
                "name": e.name,
                "email": e.email,
                "added": e.added_at.isoformat(),
                "last_sign_in": e.visited_at.isoformat() if e.visited_at else None,
            }
            for e in known
        ]
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not known:
        echo("No editors yet: add one with `brief editors add NAME`.")
    for e in known:
        seen = "never signed in"
        if e.visited_at:
            seen = f"last signed in {e.visited_at:%Y-%m-%d %H:%M} UTC"
        echo(f"{e.name}  (added {e.added_at:%Y-%m-%d}, {seen})")


@editors.command("remove")
@click.argument("name")
@db_option
@click.pass_context
def editors_remove(ctx: click.Context, name: str, db: Path | None) -> None:
    """Remove an editor: their sessions end at once; their decisions keep their name."""
    from brief.desk.editors import remove_editor
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        remove_editor(store, name)
    echo(f"removed {name}")


@click.group()
def desk() -> None:
    """The web desk: triage and annotate from a browser, several editors at once."""


@desk.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8090, show_default=True, help="Port."
)
@click.option(
    "--root-path", default="", help="The path a reverse proxy serves the desk under (/desk)."
)
@click.pass_context
def desk_serve(ctx: click.Context, host: str, port: int, root_path: str) -> None:
    """Run the web desk under uvicorn. It needs BRIEF_SECRET (it signs the sessions) and at
    least one editor (brief editors add NAME). Put it behind https when it leaves this
    machine: its cookies are then Secure."""
    from brief.audience.tokens import read_secret
    from brief.web.app import serve

    settings = settings_of(ctx)
    production = settings_of(ctx, production=True)
    serve(settings, host, port, read_secret(), production, root_path=root_path.rstrip("/"))
