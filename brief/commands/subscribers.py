"""The subscriber list and the subscription service: `brief subscribers ...`,
`brief subscriptions serve`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brief.commands.options import db_option, settings_of
from brief.ground.terminal import echo

if TYPE_CHECKING:
    from brief.audience.roster import Changes

STATUS = click.Choice(["pending", "confirmed", "unsubscribed", "bounced", "complained"])


@click.group()
def subscribers() -> None:
    """The subscriber list, in the store: add, import, list, history, unsubscribe, remove,
    export, suppress."""


@subscribers.command("add")
@click.argument("email")
@click.option("--name", help="The subscriber's name, for the To line.")
@click.option(
    "--confirmed", is_flag=True, help="They asked you themselves: no confirmation needed."
)
@db_option
@click.pass_context
def add(ctx: click.Context, email: str, name: str | None, confirmed: bool, db: Path | None) -> None:
    """Add one address: pending (they confirm through the service), or --confirmed."""
    from brief.audience.roster import add_subscribers
    from brief.audience.subscribers import subscriber
    from brief.ground.errors import ContentError
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    try:
        person = subscriber(email.strip(), " ".join((name or "").split()) or None)
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="EMAIL") from None
    with open_store(db or settings.db) as store:
        changes = add_subscribers(store, [person], confirmed, "added by an editor")
    for address, why in changes.kept:
        raise ContentError(f"{address}: {why}; nothing changed")
    for sub in changes.added:
        echo(f"added {sub.email} ({sub.status})")
    for sub, status in changes.changed:
        echo(f"{sub.email}: {sub.status} -> {status}")


@subscribers.command("import")
@click.argument("csv_path", metavar="CSV", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--confirmed", is_flag=True, help="They all asked to receive it: mark confirmed.")
@db_option
@click.pass_context
def import_(ctx: click.Context, csv_path: Path, confirmed: bool, db: Path | None) -> None:
    """Add every address of a CSV (an 'email' column, 'name' optional); bad rows are named."""
    from brief.audience.roster import add_subscribers
    from brief.audience.subscribers import read_subscribers
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    people, bad = read_subscribers(csv_path)
    for row in bad:
        echo(f"{csv_path}:{row.line}: skipped: {row.reason}", err=True)
    with open_store(db or settings.db) as store:
        changes = add_subscribers(store, people, confirmed, f"imported from {csv_path.name}")
    for address, why in changes.kept:
        echo(f"kept: {address}: {why}", err=True)
    echo(
        f"{len(changes.added)} added, {len(changes.changed)} confirmed,"
        f" {len(changes.kept)} already in the list, {len(bad)} bad rows"
    )
    if bad:
        sys.exit(1)


@subscribers.command("list")
@click.option("--status", type=STATUS, help="Only subscribers with this status.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@db_option
@click.pass_context
def list_(ctx: click.Context, status: str | None, as_json: bool, db: Path | None) -> None:
    """The subscribers, oldest first: address, name, status and when it last changed."""
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        found = list(store.subscribers.all(status))  # type: ignore[arg-type]
    if as_json:
        echo(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
        return
    for sub in found:
        echo(f"{sub.email}\t{sub.name or ''}\t{sub.status}\t{sub.changed_at:%Y-%m-%d %H:%M}")
    echo(f"{len(found)} subscribers", err=True)


@subscribers.command("unsubscribe")
@click.argument("emails", metavar="EMAIL...", nargs=-1, required=True)
@db_option
@click.pass_context
def unsubscribe(ctx: click.Context, emails: tuple[str, ...], db: Path | None) -> None:
    """Unsubscribe readers who asked by email (the unsubscribe_mailto address): no send mails
    them again, and their history is kept."""
    from brief.audience.roster import unsubscribe as mark
    from brief.audience.subscribers import subscriber
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    try:
        addresses = [subscriber(email.strip(), None).email for email in emails]
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="EMAIL") from None
    with open_store(db or settings.db) as store:
        changes = mark(store, addresses, "asked an editor")
    _say(changes)


def _say(changes: Changes) -> None:
    for sub in changes.added:
        echo(f"{sub.email}: {sub.status} (not in the list before; kept so no send mails it)")
    for sub, status in changes.changed:
        echo(f"{sub.email}: {sub.status} -> {status}")
    for address, why in changes.kept:
        echo(f"{address}: {why}")
    echo(f"{len(changes.added) + len(changes.changed)} addresses marked", err=True)


@subscribers.command("remove")
@click.argument("email")
@db_option
@click.pass_context
def remove(ctx: click.Context, email: str, db: Path | None) -> None:
    """Forget an address and its history (erasure on request). To stop mailing someone, use
    `unsubscribe`: a removed address listed in a later --to CSV would be mailed again."""
    from brief.audience.roster import remove_subscriber
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        gone = remove_subscriber(store, email.strip())
    echo(f"removed {gone.email}")


@subscribers.command("history")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@db_option
@click.pass_context
def history(ctx: click.Context, email: str, as_json: bool, db: Path | None) -> None:
    """Every change of one subscriber: when, what, and how (form, link, report, editor)."""
    from brief.ground.errors import ContentError
    from scrapers.records import iso_utc
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        known = store.subscribers.get(email.strip())
        if known is None:
            raise ContentError(f"{email.strip()} is not in the subscriber list")
        events = store.subscribers.history(known.id)
    if as_json:
        rows = [{"status": what, "at": iso_utc(at), "how": how} for what, at, how in events]
        echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for what, at, how in events:
        echo(f"{at.astimezone(settings.timezone):%Y-%m-%d %H:%M}\t{what}\t{how}")


@subscribers.command("export")
@click.option("--status", type=STATUS, help="Only subscribers with this status.")
@db_option
@click.pass_context
def export(ctx: click.Context, status: str | None, db: Path | None) -> None:
    """The list as CSV on standard output: email, name, status, changed_at."""
    from brief.audience.roster import export_csv
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        click.echo(export_csv(store.subscribers.all(status)), nl=False)  # type: ignore[arg-type]


@subscribers.command("suppress")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--as",
    "csv_status",
    type=click.Choice(["bounced", "complained"]),
    default="bounced",
    show_default=True,
    help="What the addresses of a CSV did (reports say it themselves).",
)
@db_option
@click.pass_context
def suppress(ctx: click.Context, files: tuple[Path, ...], csv_status: str, db: Path | None) -> None:
    """Mark the addresses named by bounce and complaint reports (.eml) or a CSV, so that no
    send mails them again."""
    from brief.audience.roster import suppress as suppress_reports
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        changes = suppress_reports(store, files, csv_status)  # type: ignore[arg-type]
    _say(changes)


@click.group()
def subscriptions() -> None:
    """The subscription service: sign-up, confirmation and one-click unsubscribe."""


@subscriptions.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(1, 65535), default=8080, show_default=True, help="Port."
)
@click.option(
    "--site",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    help="Also serve this built site (output/) at /, for a single-host setup or a preview.",
)
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, site: Path | None) -> None:
    """Run the subscription service under uvicorn (needs the secret in BRIEF_SECRET).

    It mails real readers, so it reads the public settings (publishconf.py) unless
    --settings names others: `brief --settings pelicanconf.py subscriptions serve --site
    output` tries the whole sign-up locally on http://127.0.0.1:8080/.
    """
    from brief.audience.service import serve as run

    run(settings_of(ctx, production=True), host, port, site)
