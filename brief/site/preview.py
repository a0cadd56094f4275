"""The preview: the site built once in this process and kept warm, so that an edit shows at
once.

An edit to an article's body (its annotation, its quote) re-reads that one file and
re-renders only the pages that show the body: the article's page, the issues it is in and
the home page. That takes the same time at 50 articles or 5,000. Anything else (a header,
a new, moved or deleted file, an issue, the watchlist, a template) rebuilds the site the
usual way, incrementally. The search index and the digests follow in the background.
"""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field, replace
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from brief.content.articles import Article as Record
from brief.ground.errors import BriefError
from brief.ground.paths import display_path
from brief.ground.settings import Settings
from brief.mail.digest import build_digests
from brief.site.build import build_site
from brief.site.incremental import IncrementalWriter
from brief.site.model import SiteModel, article_record
from brief.site.plugin import SiteGenerator
from brief.site.search import finish_search_index, start_search_index

log = logging.getLogger(__name__)

# What an article's body alone decides: every other field of its record comes from the
# header or changes what other pages show (a figure reaches the company pages).
BODY_FIELDS = {
    "summary_md": "",
    "annotation_md": "",
    "annotation_line": None,
    "quote_html": "",
    "annotation_html": "",
}


@dataclass
class Refresh:
    """What one refresh did."""

    changed: list[Path]
    pages: list[str] = field(default_factory=list)  # written, relative to the output
    full: bool = False  # the whole site was rebuilt (incrementally)
    seconds: float = 0.0
    error: str | None = None

    def describe(self) -> str:
        names = ", ".join(display_path(p) for p in self.changed[:3])
        if len(self.changed) > 3:
            names += f" and {len(self.changed) - 3} more"
        if self.error is not None:
            return f"{names}: {self.error} (the pages shown are from before this edit)"
        what = "rebuilt the site" if self.full else f"{len(self.pages)} pages"
        return f"{names}: {what} in {self.seconds:.2f} s"


class Preview:
    """A built site and the generators that built it, ready for the next edit."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._generators: Sequence[Any] = ()
        self._seen: dict[Path, int] = {}
        self._follow = _Follower(self._after_pages)
        self._dirty_weeks: set[str] = set()
        self._lock = threading.Lock()

    # -- watching ------------------------------------------------------------------------

    def _scan(self) -> dict[Path, int]:
        """The modification time of every file whose change changes the site: content,
        templates, watchlist, calendar (5,000 articles: about 25 ms)."""
        seen: dict[Path, int] = {}
        folders = [str(self.settings.content), str(self.settings.theme / "templates")]
        while folders:
            try:
                with os.scandir(folders.pop()) as entries:
                    for entry in entries:
                        if entry.name.startswith("."):
                            continue
                        if entry.is_dir(follow_symlinks=False):
                            folders.append(entry.path)
                        else:
                            with suppress(OSError):  # gone since listed: seen as removed
                                seen[Path(entry.path)] = entry.stat().st_mtime_ns
            except OSError:
                continue
        for path in (self.settings.entities, self.settings.calendar):
            with suppress(OSError):
                seen[path] = path.stat().st_mtime_ns
        return seen

    def changes(self) -> list[Path]:
        """Files added, changed or removed since the last build or refresh."""
        now = self._scan()
        changed = [p for p, stamp in now.items() if self._seen.get(p) != stamp]
        changed += [p for p in self._seen if p not in now]
        return sorted(changed)

    # -- building ------------------------------------------------------------------------

    def build(self) -> str:
        """Build the whole site (incrementally) and keep what built it."""
        seen = self._scan()  # before reading: an edit made during the build is seen next
        summary = build_site(self.settings, keep=self._keep)
        self._seen = seen
        return summary

    def _keep(self, generators: Sequence[Any]) -> None:
        self._generators = list(generators)

    def refresh(self, changed: Sequence[Path]) -> Refresh:
        """Show `changed` files on the site: their pages alone when only article bodies
        changed, else the whole site."""
        started = time.perf_counter()
        result = Refresh(list(changed))
        with self._lock:
            try:
                pages = self._rerender(changed)
                if pages is None:
                    result.full = True
                    self.build()
                else:
                    result.pages = pages
                    self._seen.update({p: p.stat().st_mtime_ns for p in changed})
            except BriefError as err:
                result.error = str(err)
                self._seen.update(self._scan())  # not again until the next edit
            result.seconds = time.perf_counter() - started
        if result.error is None and not result.full:  # a full build made both itself
            self._follow.poke()
        return result

    def _rerender(self, changed: Sequence[Path]) -> list[str] | None:
        """The pages written for body edits; None when a change needs the whole site."""
        articles = self._articles_generator()
        site = self._site_generator()
        if articles is None or site is None:
            return None
        model: SiteModel = site.model
        edits = []
        for path in changed:
            found = self._edit(articles, model, path)
            if found is None:
                return None
            edits.append(found)
        writer = IncrementalWriter(site.output_path, settings=site.settings, share=False)
        written: list[str] = []
        issues = []
        for content, record in edits:
            content._content = record[1]
            content.metadata["record"] = record[0]
            view = model.view(content)
            view.record = article_record(content)
            _write_article(articles, writer, content)
            written.append(content.save_as)
            issues += [page for page in model.issue_pages if view in page.articles]
        for page in dict.fromkeys(issues):  # each issue once, in order
            site.write_issue(writer, page)
            written.append(page.save_as)
            self._dirty_weeks.add(page.week)
        if model.latest_issue is not None and model.latest_issue in issues:
            written += _write_home(articles, writer)
        return written

    def _edit(
        self, articles: Any, model: SiteModel, path: Path
    ) -> tuple[Any, tuple[Record, str]] | None:
        """(the Pelican article, (its new record, its new HTML)) for a body edit."""
        source = str(path.resolve())
        content = next(
            (
                c
                for c in (*articles.articles, *articles.drafts, *articles.hidden_articles)
                if c.source_path == source
            ),
            None,
        )
        if content is None or not path.is_file():
            return None
        from pelican.contents import Article

        try:
            fresh = articles.readers.read_file(
                base_path=articles.path,
                path=os.path.relpath(source, articles.path),
                content_class=Article,
                context=articles.context,
            )
        except Exception as err:  # a file mid-save, or broken: said, and the old page kept
            raise BriefError(f"could not read it: {type(err).__name__}: {err}") from err
        old: Record = content.metadata["record"]
        new: Record = fresh.metadata["record"]
        if replace(old, **BODY_FIELDS) != replace(new, **BODY_FIELDS):  # type: ignore[arg-type]
            return None
        header = {k: v for k, v in fresh.metadata.items() if k != "record"}
        if header != {k: v for k, v in content.metadata.items() if k != "record"}:
            return None
        return content, (new, fresh._content)

    def _articles_generator(self) -> Any:
        from pelican.generators import ArticlesGenerator

        return next((g for g in self._generators if isinstance(g, ArticlesGenerator)), None)

    def _site_generator(self) -> SiteGenerator | None:
        return next((g for g in self._generators if isinstance(g, SiteGenerator)), None)

    # -- what follows the pages ----------------------------------------------------------

    def _after_pages(self) -> None:
        """The digests of the issues edited, then the search index, from the pages written."""
        with self._lock:
            weeks, self._dirty_weeks = sorted(self._dirty_weeks), set()
            site = self._site_generator()
            if weeks and site is not None and self.settings.digests:
                try:
                    build_digests(self.settings, site.model.newsletter, weeks)
                except BriefError as err:
                    log.error("digest: %s", err)
        if self.settings.search:
            finish_search_index(start_search_index(self.settings.output), self.settings.output)

    def wait(self) -> None:
        """Until the search index and the digests have caught up (for tests and the bench)."""
        self._follow.wait()


def _write_article(articles: Any, writer: Any, content: Any) -> None:
    """The article's page, as Pelican's ArticlesGenerator writes it."""
    extra = {"all_articles": articles.articles} if content in articles.drafts else {}
    writer.write_file(
        content.save_as,
        articles.get_template(content.template),
        articles.context,
        relative_urls=articles.settings["RELATIVE_URLS"],
        article=content,
        category=getattr(content, "category", None),
        override_output=hasattr(content, "override_save_as"),
        url=content.url,
        blog=True,
        **extra,
    )


def _write_home(articles: Any, writer: Any) -> list[str]:
    """The home page (it shows the latest issue in full), as Pelican writes it."""
    written = []

    def only_index(name: str, *args: Any, **kwargs: Any) -> None:
        if kwargs.get("template_name") == "index":
            writer.write_file(name, *args, relative_urls=articles.settings["RELATIVE_URLS"],
                              **kwargs)  # fmt: skip
            written.append(name)

    articles.generate_direct_templates(only_index)
    return written


class _Follower:
    """Runs `work` in a thread after each poke, once at a time; pokes during a run make one
    more run, not one each."""

    def __init__(self, work: Callable[[], None]):
        self._work = work
        self._state = threading.Condition()
        self._wanted = False
        self._running = False
        self._thread: threading.Thread | None = None

    def poke(self) -> None:
        with self._state:
            self._wanted = True
            self._state.notify_all()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="preview", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            with self._state:
                self._state.wait_for(lambda: self._wanted)
                self._wanted, self._running = False, True
            try:
                self._work()
            except Exception:  # never the preview's end: said, and the next edit retries
                log.exception("updating the search index and digests failed")
            finally:
                with self._state:
                    self._running = False
                    self._state.notify_all()

    def wait(self) -> None:
        with self._state:
            self._state.wait_for(lambda: not self._wanted and not self._running)


class PreviewServer:
    """The preview on http://BIND:PORT/: the output folder served, the sources watched."""

    def __init__(self, preview: Preview, bind: str = "127.0.0.1", port: int = 8000):
        self.preview = preview
        handler = functools.partial(_Handler, directory=str(preview.settings.output))
        self.http = ThreadingHTTPServer((bind, port), handler)
        self.http.daemon_threads = True
        self.stop = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.http.server_address[:2]
        return f"http://{host!s}:{port}/"

    def serve(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.http.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        return thread

    def watch(self, say: Callable[[str], None], every: float = 0.1) -> None:
        """Until `stop` is set: each burst of saves shown, as one refresh."""
        while not self.stop.wait(every):
            changed = self.preview.changes()
            if not changed:
                continue
            while not self.stop.wait(every / 4):  # a save may come in parts: until it settles
                more = self.preview.changes()
                if more == changed:
                    break
                changed = more
            say(self.preview.refresh(changed).describe())

    def close(self) -> None:
        self.stop.set()
        self.http.shutdown()
        self.http.server_close()


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows what was rebuilt, not every request

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        page = Path(self.directory) / "404.html"
        if code != 404 or not page.is_file():
            super().send_error(code, message, explain)
            return
        body = page.read_bytes()
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
