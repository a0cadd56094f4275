"""The `brief` command: a thin layer over the library; errors become exit codes here only.

Exit codes: 0 success, 1 a problem with content or a feed, 2 a usage or configuration error.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from brief.ground.errors import BriefError, ConfigError
from brief.ground.terminal import echo, shown

INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of ours, never the editor's input


class _Group(click.Group):
    """Turns every error into a one-line message and an exit code: never a traceback.

    2 for usage and configuration errors, 1 for problems with content, feeds or delivery,
    70 for a bug in brief (the traceback is printed only with BRIEF_DEBUG=1).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:
            _fail(str(err), 2)
        except BriefError as err:
            _fail(str(err), 1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted; whatever was committed is kept, run the command again", 130)
        except Exception as err:
            if os.environ.get("BRIEF_DEBUG"):
                raise
            _fail(
                f"internal error: {type(err).__name__}: {err}. This is a bug in brief;"
                " run again with BRIEF_DEBUG=1 to see where, and report it",
                INTERNAL_ERROR,
            )


def _fail(message: str, code: int) -> NoReturn:
    echo(f"brief: error: {shown(message)}", err=True)
    sys.exit(code)


@click.group(cls=_Group)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default="pelicanconf.py",
    show_default=True,
    help="Settings file of the newsletter (run brief in its repository).",
)
@click.version_option(package_name="live-commerce-brief")
@click.pass_context
def cli(ctx: click.Context, settings_file: Path) -> None:
    """Live Commerce Brief: scrape, triage, accept, assemble, build and check the newsletter."""
    given = ctx.get_parameter_source("settings_file") is not click.core.ParameterSource.DEFAULT
    ctx.obj = {"settings_file": settings_file, "settings_given": given}


from brief.commands.collect import scrape, sources  # noqa: E402
from brief.commands.desk import (  # noqa: E402
    accept,
    reject,
    relevance,
    shortlist,
    triage,
    unaccept,
    undo,
)
from brief.commands.issues import build, check, digest, issue, preview, serve  # noqa: E402
from brief.commands.send import due, send, stats  # noqa: E402
from brief.commands.subscribers import subscribers, subscriptions  # noqa: E402
from brief.commands.web import desk, editors  # noqa: E402

for _command in (scrape, sources, triage, accept, reject, shortlist, unaccept, undo, relevance,
                 issue, build, serve, preview, digest, check, send, due, stats, subscribers,
                 subscriptions, editors, desk):  # fmt: skip
    cli.add_command(_command)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    cli(prog_name="brief")
