"""Issues and the site: `brief issue new|publish`, `build`, `digest`, `check`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from brief.commands.options import db_option, now, settings_of
from brief.ground.errors import ConfigError
from brief.ground.paths import display_path
from brief.ground.terminal import echo, plural

if TYPE_CHECKING:
    pass


@click.group()
def issue() -> None:
    """Weekly issues: content/issues/YYYY-Www.md."""


def _week_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--week", metavar="YYYY-Www", help="ISO week (default: this week).")(func)


@issue.command("new")
@_week_option
@db_option
@click.pass_context
def issue_new(ctx: click.Context, week: str | None, db: Path | None) -> None:
    """Start an issue with every accepted article not yet in an issue, grouped by section,
    and a snapshot of who moved in the news (counted in the store). The week is this one
    unless --week says otherwise; with nothing to put in it, nothing is written (exit 1)."""
    from brief.content.weeks import parse_week, week_of
    from brief.desk.publishing import new_issue, week_movers

    settings = settings_of(ctx)
    week = week or week_of(now().astimezone(settings.timezone))
    parse_week(week)
    store = db or settings.db
    movers = week_movers(settings, store, week) if store.exists() else []
    path, count = new_issue(settings, week, movers)
    echo(display_path(path))
    if not store.exists():
        echo(f"note: no store at {display_path(store)}: no movers in this issue", err=True)
    echo(f"{plural(count, 'article')} in issue {week}", err=True)


@issue.command("movers")
@click.argument("week", metavar="YYYY-Www")
@db_option
@click.pass_context
def issue_movers(ctx: click.Context, week: str, db: Path | None) -> None:
    """Count who moved in WEEK again, from the store, and rewrite the issue's
    `## Who moved this week` (nothing else in the file). Refused once the issue is
    published: readers got that snapshot."""
    from brief.content.weeks import parse_week
    from brief.desk.publishing import refresh_movers

    parse_week(week)
    settings = settings_of(ctx)
    path, movers = refresh_movers(settings, db or settings.db, week)
    new = sum(1 for m in movers if m.new)
    echo(display_path(path))
    echo(
        f"{plural(len(movers), 'company', 'companies')} counted"
        + (f" ({new} too new to compare)" if new else ""),
        err=True,
    )


@issue.command("publish")
@click.argument("week", metavar="YYYY-Www")
@click.pass_context
def issue_publish(ctx: click.Context, week: str) -> None:
    """Check the issue; if it passes, mark it and its articles published today, then build.

    When the check fails nothing is changed, and every problem is listed.
    """
    from brief.content.weeks import parse_week
    from brief.desk.publishing import PublishRefused, publish_issue
    from brief.site.build import build_site

    parse_week(week)
    settings = settings_of(ctx, production=True)
    try:
        publication = publish_issue(settings, week, now())
    except PublishRefused as refused:
        for finding in refused.findings:
            echo(finding.format(), err=True)
        raise
    for finding in publication.findings:
        echo(finding.format(), err=True)
    echo(
        f"published {display_path(publication.issue)} and"
        f" {plural(len(publication.articles), 'article')}"
    )
    echo(build_site(settings))


# -- build, digest, check ----------------------------------------------------------------------


@click.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: output/).",
)
@click.pass_context
def build(ctx: click.Context, output: Path | None) -> None:
    """Build the site with Pelican, then the search index, then every issue's digest."""
    from brief.site.build import build_site

    overrides = {"OUTPUT_PATH": str(output.resolve())} if output else {}
    settings = settings_of(ctx, False, **overrides)
    summary = build_site(settings)
    echo(summary)


@click.command()
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port to listen on (0: any free one).",
)
@click.option("--bind", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.pass_context
def serve(ctx: click.Context, port: int, bind: str) -> None:
    """Preview the site on http://BIND:PORT/ and rebuild it as you edit.

    An edit to an article's body (its annotation) shows on its page, its issues and the
    home page in well under a second, whatever the archive's size; any other edit rebuilds
    the site. The search index and the digests follow in the background. Ctrl-C stops.
    """
    from brief.site.preview import Preview, PreviewServer

    settings = settings_of(ctx, False)
    preview = Preview(settings)
    echo(preview.build())
    try:
        server = PreviewServer(preview, bind, port)
    except OSError as err:
        raise ConfigError(f"cannot listen on {bind}:{port}: {err.strerror or err}") from err
    server.serve()
    echo(f"Previewing on {server.url} (Ctrl-C stops); watching {display_path(settings.content)}")
    try:
        server.watch(lambda line: echo(line))
    except KeyboardInterrupt:
        echo("stopped")
    finally:
        server.close()


@click.command()
@click.argument("week", metavar="YYYY-Www")
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=8000,
    show_default=True,
    help="The port `brief serve` (make serve) listens on.",
)
@click.pass_context
def preview(ctx: click.Context, week: str, port: int) -> None:
    """Print where the local preview shows issue WEEK and its digest, draft or published.

    The preview is `make serve` (brief serve): it builds output/ with pelicanconf.py and
    rebuilds it as you edit; `brief issue publish` builds the public site into its own
    folder and never touches it.
    """
    import socket

    from brief.content.files import load_newsletter
    from brief.content.weeks import parse_week

    parse_week(week)
    settings = settings_of(ctx, False)
    issue = load_newsletter(settings).issue(week)
    base = f"http://127.0.0.1:{port}/"
    draft = issue.status == "draft"
    page = settings.urls.issue_url(issue.slug, draft)
    echo(f"{issue.label} ({week}, {issue.status}): {base}{page}")
    echo(f"Its digest: {base}digest/{week}.html (and .txt, .eml)")
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        echo(
            f"Nothing answers on {base} yet: start the preview with make serve (or brief"
            " serve), which builds the site and rebuilds it as you edit, then open these.",
            err=True,
        )


SERVICE_CHOICES = ["listmonk", "buttondown", "mailchimp", "generic"]


@click.command()
@click.argument("week", metavar="YYYY-Www")
@click.option(
    "--for",
    "service",
    type=click.Choice(SERVICE_CHOICES),
    help="Write WEEK.SERVICE.html and .txt with that email service's merge tags for the"
    " unsubscribe link (and the reader's name where it has one); generic has no personal link.",
)
@click.pass_context
def digest(ctx: click.Context, week: str, service: str | None) -> None:
    """(Re)write output/digest/WEEK.html, .txt and .eml from the issue file.

    Uses the production settings (publishconf.py), so every link is the public site's.
    """
    from brief.content.files import load_newsletter
    from brief.content.weeks import parse_week
    from brief.mail.digest import GENERIC, SERVICES, build_digests

    parse_week(week)
    settings = settings_of(ctx, production=True)
    audience = SERVICES[service] if service else GENERIC
    for path in build_digests(settings, load_newsletter(settings), [week], audience):
        echo(str(path))


@click.command()
@click.option("--issue", "week", metavar="YYYY-Www", help="Only this issue and its articles.")
@click.pass_context
def check(ctx: click.Context, week: str | None) -> None:
    """Validate content/: print `path:line: level: message`; exit 1 on any error.

    Digests are checked as they will leave (the production settings, publishconf.py): no
    link to a private address, the site's own links absolute and https.
    """
    from brief.content.files import load_newsletter
    from brief.desk.check import check_newsletter, has_errors
    from brief.mail.digest import digest_probe

    settings = settings_of(ctx, production=True)
    newsletter = load_newsletter(settings)
    findings = check_newsletter(newsletter, settings, week, digest=digest_probe(settings))
    for finding in findings:
        echo(finding.format())
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    echo(f"{plural(errors, 'error')}, {plural(warnings, 'warning')}", err=True)
    if has_errors(findings):
        sys.exit(1)
