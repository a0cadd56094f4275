"""What the commands share: the settings, the store option, checked numbers, who decides."""

from __future__ import annotations

import getpass
import math
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from brief.ground.settings import Settings, load_settings
from brief.ground.terminal import echo

MAX_ID = 2**63 - 1  # SQLite's largest integer
ID = click.IntRange(1, MAX_ID)


def now() -> datetime:
    return datetime.now(UTC)


PRODUCTION = "publishconf.py"


def settings_of(ctx: click.Context, production: bool = False, **overrides: str) -> Settings:
    """The settings the `--settings` option names, read (and checked) once per command.

    `production`: for what leaves the machine (publish, digest, send, check), the public
    settings in publishconf.py are the default when there is one; `--settings` still wins.
    """
    obj = ctx.ensure_object(dict)
    path = Path(obj["settings_file"])
    if production and not obj.get("settings_given") and Path(PRODUCTION).is_file():
        path = Path(PRODUCTION)
    return load_settings(path, overrides or None)


class Number(click.FloatRange):
    """A float in a range that is also finite: click's FloatRange lets "nan" through."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        help="SQLite store (default: BRIEF_DB in the settings, data/brief.sqlite).",
    )(func)


def since_moment(value: str | None) -> datetime | None:
    from brief.desk.queue import parse_since

    try:
        return parse_since(value, now())
    except ValueError as err:
        raise click.BadParameter(str(err), param_hint="--since") from None


def who() -> str:
    """Who is deciding: BRIEF_EDITOR, else git's user.name, else the login name."""
    if name := os.environ.get("BRIEF_EDITOR"):
        return name
    try:
        result = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
        if result.stdout.strip():
            return result.stdout.strip()
    except OSError:
        pass
    return getpass.getuser()


def report(outcomes: Sequence[Any], done: Callable[[Any], str]) -> None:
    failed = False
    for outcome in outcomes:
        if outcome.error is not None:
            failed = True
            echo(f"brief: error: #{outcome.story_id}: {outcome.error}", err=True)
        elif outcome.note:
            echo(f"{outcome.path}  (#{outcome.story_id} {outcome.note})", err=True)
        else:
            echo(done(outcome))
        for warning in getattr(outcome, "warnings", ()):
            echo(f"brief: warning: #{outcome.story_id}: {warning}", err=True)
    if failed:
        sys.exit(1)
