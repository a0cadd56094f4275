"""The command line: help everywhere, clean errors and exit codes."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from brief.cli import cli
from tests.conftest import brief


def _commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = []
    for name, command in group.commands.items():
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found += _commands(command, (*prefix, name))
    return found


COMMANDS = _commands(cli)


def test_every_contract_command_exists() -> None:
    names = {" ".join(c) for c in COMMANDS}
    for required in (
        "scrape",
        "triage",
        "accept",
        "reject",
        "issue new",
        "build",
        "digest",
        "check",
    ):
        assert required in names


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help(command: tuple[str, ...]) -> None:
    """Every command says what it does, and every option what it is for."""
    found: click.Command = cli
    for name in command:
        assert isinstance(found, click.Group)
        found = found.commands[name]
    result = CliRunner().invoke(cli, [*command, "--help"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: cli {' '.join(command)} ")
    summary = (found.help or "").strip().splitlines()[0]
    assert summary and " ".join(summary.split()) in " ".join(result.output.split())
    for param in found.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert param.help, f"{' '.join(command)} {param.opts[0]} has no help"


def test_outside_a_newsletter_is_a_config_error(tmp_path: Path) -> None:
    result = brief(tmp_path, "check", check=False)
    assert result.returncode == 2
    assert "pelicanconf.py" in result.stderr
    assert "newsletter repository" in result.stderr


def test_unknown_option_is_a_usage_error(newsletter: Path) -> None:
    result = brief(newsletter, "scrape", "--nope", check=False)
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_bad_week_is_a_usage_error(newsletter: Path) -> None:
    result = brief(newsletter, "issue", "new", "--week", "2026-46", check=False)
    assert result.returncode == 2
    assert "YYYY-Www" in result.stderr


def test_unknown_section_is_refused(newsletter: Path) -> None:
    result = brief(newsletter, "accept", "1", "--section", "Gossip", check=False)
    assert result.returncode == 2
    assert "Platforms" in result.stderr
