"""What `brief scrape` and `brief sources` show on a terminal (Rich)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo
from types import TracebackType

from rich import box
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from brief.ground.terminal import markup, plural
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
    already = report.seen - report.clustered  # seen before; copies are counted apart
    table.add_row(str(report.sources), "source" if report.sources == 1 else "sources")
    table.add_row(str(report.ok), "ok")
    table.add_row(str(report.not_modified), "not modified")
    table.add_row(str(len(report.failed)), "failed")
    table.add_row(str(len(report.skipped)), "skipped (paused or backing off)")
    table.add_row(str(report.new), "new candidate" if report.new == 1 else "new candidates")
    table.add_row(
        str(report.clustered),
        "copy joined a story" if report.clustered == 1 else "copies joined a story",
    )
    table.add_row(str(already), "already seen")
    table.add_row(str(report.filtered), "filtered out by rules")
    _out.print(table)
    _out.print(
        f"{plural(report.sources, 'source')}: {report.ok} ok, {report.not_modified} not"
        f" modified, {len(report.failed)} failed; {plural(report.new, 'new candidate')},"
        f" {plural(report.clustered, 'copy', 'copies')} joined a story,"
        f" {already} already seen",
        highlight=False,
        soft_wrap=True,
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


def print_sources(states: Sequence[SourceState], timezone: tzinfo | None = None) -> None:
    """One line per source that fits 80 columns: times to the minute in the newsletter's
    time zone, and the reason of the last failure, cut short with an ellipsis (the whole of
    it is in `brief sources --json`)."""
    table = Table(title="Sources", box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("source", overflow="ellipsis", max_width=18, no_wrap=True)
    table.add_column("status", overflow="ellipsis", max_width=10, no_wrap=True)
    table.add_column("last success", no_wrap=True)
    table.add_column("fails", justify="right", no_wrap=True)
    table.add_column("reason", overflow="ellipsis", no_wrap=True, ratio=1)
    for state in states:
        status = "paused" if state.paused else (state.last_status or "")
        reason = state.paused or (state.last_error if state.failures else "") or ""
        if not state.paused and state.failures and state.next_attempt:
            reason = f"retry {_when(state.next_attempt, timezone)}: {reason}"
        table.add_row(
            markup(state.name),
            markup(status),
            _when(state.last_success, timezone) or "never",
            str(state.failures),
            markup(reason),
        )
    _out.print(table)


def _when(moment: datetime | None, timezone: tzinfo | None = None) -> str | None:
    """A time to the minute, in the newsletter's time zone: `2026-11-30 10:32`."""
    return f"{moment.astimezone(timezone or UTC):%Y-%m-%d %H:%M}" if moment else None
