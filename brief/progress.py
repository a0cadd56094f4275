"""What `brief scrape` and `brief sources` show on a terminal (Rich)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from brief.terminal import markup
from scrapers.fetch import FetchResult
from scrapers.schedule import SourceState
from scrapers.scrape import ScrapeReport

_err = Console(stderr=True)
_out = Console()


class ScrapeProgress:
    """A progress bar on stderr while sources arrive; nothing when not on a terminal."""

    def __init__(self, total: int, enabled: bool = True):
        self._progress: Progress | None = None
        if enabled and _err.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]Scraping"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[last]}"),
                TimeElapsedColumn(),
                console=_err,
                transient=True,
            )
            self._task = self._progress.add_task("scrape", total=total, last="")

    def __enter__(self) -> ScrapeProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, err: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def advance(self, result: FetchResult) -> None:
        if self._progress is not None:
            self._progress.update(self._task, advance=1, last=markup(result.source.name))


def print_scrape_summary(report: ScrapeReport) -> None:
    table = Table(title="Scrape", show_header=False, box=None, pad_edge=False)
    table.add_column(justify="right", style="bold")
    table.add_column()
    table.add_row(str(report.sources), "sources")
    table.add_row(str(report.ok), "ok")
    table.add_row(str(report.not_modified), "not modified")
    table.add_row(str(len(report.failed)), "failed")
    table.add_row(str(len(report.skipped)), "skipped (paused or backing off)")
    table.add_row(str(report.new), "new candidates")
    table.add_row(str(report.clustered), "copies joined a story (clusters grown)")
    table.add_row(str(report.seen - report.clustered), "already seen")
    table.add_row(str(report.filtered), "filtered out by rules")
    _out.print(table)
    _out.print(
        f"{report.sources} sources: {report.ok} ok, {report.not_modified} not modified, "
        f"{len(report.failed)} failed; {report.new} new candidates, {report.seen} already seen",
        highlight=False,
    )
    for failure in report.failed:
        _err.print(
            f"[red]failed[/]: {markup(failure.source)} ({markup(failure.url)}):"
            f" {markup(failure.error)}",
            highlight=False,
            soft_wrap=True,
        )
    for skipped in report.skipped:
        _err.print(
            f"skipped: {markup(skipped.source)}: {markup(skipped.reason)}",
            highlight=False,
            soft_wrap=True,
        )
    for warning in report.warnings:
        _err.print(
            f"[yellow]warning[/]: {markup(warning.source)} ({markup(warning.url)}):"
            f" {markup(warning.error)}",
            highlight=False,
            soft_wrap=True,
        )


def print_sources(states: Sequence[SourceState]) -> None:
    table = Table(title="Sources")
    for column in ("source", "last status", "last success", "items", "failures", "next attempt"):
        table.add_column(column, overflow="fold")
    for state in states:
        status = f"paused: {state.paused}" if state.paused else (state.last_status or "")
        table.add_row(
            markup(state.name),
            markup(status),
            _when(state.last_success) or "never",
            str(state.items),
            str(state.failures),
            _when(state.next_attempt) or "next scrape",
        )
    _out.print(table)


def _when(moment: datetime | None) -> str | None:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else None
