"""The annotate page's previews, rendered in a process of their own.

Markdown is slow on some texts (thousands of `[` take Python-Markdown minutes), and an
editor types what they type: a preview that takes longer than `timeout` is abandoned, its
process killed and a fresh one started for the next, so one text never holds up the desk or
the other editors' previews. The worker keeps its Pelican generator and digest renderer
warm between previews.
"""

from __future__ import annotations

import multiprocessing
import threading
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from brief.ground.errors import BriefError

TIMEOUT = 10.0  # seconds a preview may take
STARTUP = 120.0  # seconds the worker may take to start (imports, Pelican's warm-up)


class PreviewTooSlow(BriefError):
    """The text took too long to render; the worker was stopped."""


class Previews:
    def __init__(self, config_file: Path, timeout: float = TIMEOUT):
        self.config_file = config_file
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process: Any = None
        self._connection: Connection | None = None

    def render(self, text: str, path: Path, when: datetime) -> tuple[str, str]:
        """(the site's page, the digest's block) of the article `text` saved at `path`;
        BriefError when it cannot be made, PreviewTooSlow when it takes too long."""
        with self._lock:
            connection = self._ready()
            connection.send((text, str(path), when))
            if not connection.poll(self.timeout):
                self._stop()
                raise PreviewTooSlow(
                    f"the preview took more than {self.timeout:.0f} s and was stopped;"
                    " a long run of [ or < in the body is the usual cause"
                )
            try:
                kind, first, second = connection.recv()
            except EOFError:  # the worker died (memory, a signal): a fresh one next time
                self._stop()
                raise BriefError("the preview stopped; try again") from None
        if kind == "error":
            raise BriefError(first)
        return first, second

    def _ready(self) -> Connection:
        if self._process is None or not self._process.is_alive():
            context = multiprocessing.get_context("spawn")  # no threads copied into it
            ours, theirs = context.Pipe()
            self._process = context.Process(
                target=_serve, args=(self.config_file, theirs), daemon=True
            )
            self._process.start()
            theirs.close()
            self._connection = ours
            # Its imports and its warm-up are not the text's time: wait for it to be ready.
            if not ours.poll(STARTUP) or ours.recv() != ("ready",):
                self._stop()
                raise BriefError("the preview could not start; try again")
        assert self._connection is not None
        return self._connection

    def _stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join(timeout=5)
        if self._connection is not None:
            self._connection.close()
        self._process = self._connection = None

    def close(self) -> None:
        with self._lock:
            self._stop()


def _serve(config_file: Path, connection: Connection) -> None:
    """The worker: read a text, answer its two renderings, until the pipe closes."""
    from brief.content.articles import article_from
    from brief.content.document import parse_document
    from brief.ground.settings import load_settings
    from brief.mail.digest import DigestRenderer, article_block
    from brief.site.single import ArticlePage

    settings = load_settings(config_file)
    page, digest = ArticlePage(settings), DigestRenderer(settings)
    connection.send(("ready",))
    while True:
        try:
            text, where, when = connection.recv()
        except EOFError:
            return
        path = Path(where)
        try:
            site = page.render(text, path)
            article = article_from(parse_document(text, path), settings.timezone)
            connection.send(("ok", site, article_block(digest, article, when)))
        except BriefError as err:
            connection.send(("error", str(err), ""))
