"""Rebuilding only what changed: Pelican's writer, told to skip pages whose inputs did not
change since they were written.

A page's inputs are the site's templates, settings, navigation and our code, and what the
page shows, read from the site model (`brief.site.model`): an article page shows its record, the
issues it appeared in, its related articles and companies; an issue page its articles in full; an
entity, source, tag or section page the title, date and source of each of its articles. A
fingerprint of those inputs is written into the page as a final comment; the next build
compares it before rendering and leaves an identical page alone. No content file is read
for this (Pelican's content cache spares the re-reading of unchanged Markdown).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import traceback
from contextlib import suppress
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.utils import sanitised_join
from pelican.writers import Writer

MARK = b"<!-- brief:inputs="
SHARED_FROM = 400  # article pages: from this many, two processes write them (fork costs ~0.1 s)

log = logging.getLogger(__name__)


class IncrementalWriter(Writer):  # type: ignore[misc]
    def __init__(self, output_path: str, settings: dict[str, Any], share: bool = True):
        """`share`: let two processes write a long run of article pages (a whole build)."""
        super().__init__(output_path, settings=settings)
        self._site_digest: str | None = None
        self.skipped = 0
        self._share: _Share | None = None
        self._shared = not share  # shared once already (or not to be): never again

    def write_file(
        self, name: str, template: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        if self._share is not None or not self._shared:
            if kwargs.get("article") is not None and name:
                if self._share is None:
                    self._share = _Share.start(self, context)
                if self._share is not None:
                    if not self._share.mine():
                        # The other process writes this one; Pelican counts it as written.
                        self._written_files.add(sanitised_join(self.output_path, name))
                        return None
                    if self._share.pid == 0:
                        return self._share.child_writes(self._write, name, template, context,
                                                        *args, **kwargs)  # fmt: skip
                    try:
                        return self._write(name, template, context, *args, **kwargs)
                    except BaseException:
                        self._share.stop()  # the build ends here: so does the other writer
                        raise
            elif self._share is not None:
                self._end_share()
        return self._write(name, template, context, *args, **kwargs)

    def _end_share(self) -> None:
        """The run of article pages is over: the child leaves, the parent waits for it."""
        share, self._share, self._shared = self._share, None, True
        if share is not None:
            share.end()

    def _write(
        self, name: str, template: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        shown = self._shown(context, kwargs) if name and not kwargs.get("paginated") else None
        if shown is None:
            return super().write_file(name, template, context, *args, **kwargs)
        digest = hashlib.sha256(
            f"{self._site(context)}\n{template.name}\n{name}\n{shown}".encode()
        ).hexdigest()
        path = Path(self.output_path) / name
        if _stored_digest(path) == digest:
            self.skipped += 1
            self._written_files.add(str(path))  # still Pelican's, as if written again
            return None
        result = super().write_file(name, template, context, *args, **kwargs)
        with open(path, "ab") as handle:
            handle.write(MARK + digest.encode() + b" -->\n")
        return result

    def _shown(self, context: dict[str, Any], kwargs: dict[str, Any]) -> str | None:
        """What a page shows, or None for a page we do not know how to fingerprint."""
        site = context.get("site")
        if site is None:
            return None
        if (article := kwargs.get("article")) is not None:
            view = site.view(article)
            parts = [view.shown]
            parts += [f"issue {issue.title} {issue.url}" for issue in view.issues]
            parts += [f"related {other.listed}" for other in view.related]
            parts += [f"entity {page.name} {page.url}" for page in view.entity_pages]
            parts.append(f"category {article.category.url}")
            return "\n".join(parts)
        for key in ("issue", "entity", "source"):  # our pages: IssuePage and Listing
            if (page := kwargs.get(key)) is not None:
                return str(page.shown)
        if kwargs.get("template_name") in ("tag", "category") and "articles" in kwargs:
            # Our tag and section templates show only the articles of that tag or section.
            listed = "\n".join(site.view(a).listed for a in kwargs["articles"])
            return f"{kwargs.get('url')}\n{listed}"
        return None

    def _site(self, context: dict[str, Any]) -> str:
        """What every page shares: templates, settings, navigation."""
        if self._site_digest is None:
            digest = hashlib.sha256()
            theme = Path(self.settings["THEME"]) / "templates"
            for template in sorted(theme.rglob("*.html")):
                digest.update(template.read_bytes())
            # Our own code draws parts of pages (charts, sparklines, numbers): a new version
            # of it rewrites every page once.
            for source in sorted(Path(__file__).parents[1].rglob("*.py")):
                digest.update(source.read_bytes())
            for key in sorted(self.settings):
                if key.isupper() and not key.startswith(("PATH", "OUTPUT", "CACHE")):
                    digest.update(f"{key}={self.settings[key]!r}".encode())
            for page in context.get("pages", []):
                digest.update(f"{page.title} {page.url}".encode())
            digest.update(str(context.get("CANONICAL_BASE", "")).encode())
            self._site_digest = digest.hexdigest()
        return self._site_digest


def _stored_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.path.getsize(path) - 200))
            tail = handle.read()
    except OSError:
        return None
    start = tail.rfind(MARK)
    if start < 0:
        return None
    return tail[start + len(MARK) :].split(b" ", 1)[0].decode()


class _Share:
    """Two processes writing the article pages, every other one each.

    On the first article page the build forks: the child is the same build at the same
    point, so both walk the same list of articles, each writing its half, with the same
    templates and model. At the first page that is not an article (or when the articles'
    writer is done) the child leaves, reporting any error, and the parent waits for it.
    An error in the child is logged in the parent, so the build fails as it would have.
    """

    def __init__(self, writer: IncrementalWriter, pid: int, pipe: int):
        self.writer = writer
        self.pid = pid  # 0 in the child
        self.pipe = pipe  # the parent reads it; the child writes its errors to it
        self.position = -1

    @classmethod
    def start(cls, writer: IncrementalWriter, context: dict[str, Any]) -> _Share | None:
        articles = len(context.get("articles", ())) + len(context.get("hidden_articles", ()))
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
        if writer._shared or articles < SHARED_FROM or cores < 2 or not hasattr(os, "fork"):
            writer._shared = True
            return None
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(read)
            share = cls(writer, 0, write)
            logging.getLogger().addHandler(_ToParent(write))
            signals.article_writer_finalized.connect(share.leave_with, weak=False)
            return share
        os.close(write)
        return cls(writer, pid, read)

    def mine(self) -> bool:
        """Whether this process writes the next article page."""
        self.position += 1
        return self.position % 2 == (1 if self.pid == 0 else 0)

    def child_writes(self, write: Any, *args: Any, **kwargs: Any) -> Any:
        """In the child: a page written, or the error said to the parent and the child gone
        (never on into the rest of a build that is the parent's)."""
        try:
            return write(*args, **kwargs)
        except BaseException as err:
            os.write(self.pipe, _described(err).encode("utf-8", "replace"))
            os._exit(1)

    def stop(self) -> None:
        """In the parent, when the build fails: the child is stopped, not waited for."""
        with suppress(OSError):
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
            os.close(self.pipe)

    def leave_with(self, *_: Any, **__: Any) -> None:
        self.end()

    def end(self) -> None:
        if self.pid == 0:  # the child: its half is written
            os.close(self.pipe)
            os._exit(0)
        status = os.waitpid(self.pid, 0)[1]
        with os.fdopen(self.pipe, "r", encoding="utf-8", errors="replace") as errors:
            said = errors.read().strip()
        if said or os.waitstatus_to_exitcode(status) != 0:
            log.error("writing article pages: %s", said or f"the writer process ended ({status})")


class _ToParent(logging.Handler):
    """In the child: errors go to the parent, which logs them in the build."""

    def __init__(self, pipe: int):
        super().__init__(logging.ERROR)
        self.pipe = pipe

    def emit(self, record: logging.LogRecord) -> None:
        os.write(self.pipe, (self.format(record) + "\n").encode("utf-8", "replace"))


def _described(err: BaseException) -> str:
    """An error as the parent says it: where in a template, if it was in one, and what."""
    for frame in reversed(traceback.extract_tb(err.__traceback__)):
        if frame.filename.endswith((".html", ".txt", ".xml")):
            return f"{frame.filename}:{frame.lineno}: {type(err).__name__}: {err}"
    return "".join(traceback.format_exception(err))
