"""`brief serve`: the preview an editor writes against. An annotation edit shows on the
article's page, its issue and the home page without a rebuild; any other edit rebuilds; a
broken save is said and the last good pages stay up."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from queue import Empty, Queue
from threading import Thread

import pytest

from tests.conftest import copy_sample

pytestmark = pytest.mark.slow  # the real command, in a process of its own

ARTICLE = "content/articles/2026/amazon-live-puts-influencers-next-to-the-buy-button.md"
PAGE = "articles/2026/amazon-live-puts-influencers-next-to-the-buy-button/"


class Served:
    def __init__(self, root: Path):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "brief", "serve", "--port", "0"],
            cwd=root,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: Queue[str] = Queue()
        Thread(target=self._read, daemon=True).start()
        started = self.line_matching(r"Previewing on (http://127\.0\.0\.1:\d+/)", timeout=120)
        self.url = started.group(1)

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def line_matching(self, pattern: str, timeout: float = 60) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=deadline - time.monotonic())
            except Empty:
                break
            seen.append(line)
            if found := re.search(pattern, line):
                return found
        raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(seen))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with urllib.request.urlopen(self.url + path, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()

    def until(self, path: str, holds: Callable[[str], bool], timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        while True:
            _, body = self.get(path)
            if holds(body) or time.monotonic() > deadline:
                return body
            time.sleep(0.05)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, Served]]:
    root = copy_sample(tmp_path / "sample")
    server = Served(root)
    try:
        yield root, server
    finally:
        server.process.terminate()
        server.process.wait(timeout=30)


def issue_of(page: str) -> str:
    found = re.search(r'href="[^"]*/(issues/\d{4}-w\d\d/)"', page)
    assert found, "the article page links to its issue"
    return found.group(1)


def test_an_annotation_edit_shows_on_every_page_that_shows_it(
    served: tuple[Path, Served],
) -> None:
    root, server = served
    status, before = server.get(PAGE)
    assert status == 200
    issue = issue_of(before)
    _, section_before = server.get("sections/platforms/")
    sentence = "Prime members watched more streams this autumn than last."
    article = root / ARTICLE
    article.write_text(article.read_text() + f"\n{sentence}\n", encoding="utf-8")

    done = server.line_matching(r"amazon-live.*: (\d+) pages in ([\d.]+) s")
    assert int(done.group(1)) >= 2  # the article and its issue (the home page if latest)
    assert sentence in server.until(PAGE, lambda body: sentence in body)
    assert sentence in server.get(issue)[1]
    # A listing shows titles, not annotations: it was not rewritten.
    assert server.get("sections/platforms/")[1] == section_before
    # The digest of its issue follows in the background.
    week = issue.split("/")[1].upper()
    digest = root / "output" / "digest" / f"{week}.txt"
    deadline = time.monotonic() + 30
    while sentence not in digest.read_text(encoding="utf-8") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sentence in digest.read_text(encoding="utf-8")


def test_a_header_edit_rebuilds_and_a_broken_save_keeps_the_last_good_pages(
    served: tuple[Path, Served],
) -> None:
    root, server = served
    article = root / ARTICLE
    text = article.read_text(encoding="utf-8")
    article.write_text(
        text.replace("Title: Amazon Live puts", "Title: Amazon Live now puts"), encoding="utf-8"
    )
    server.line_matching(r"amazon-live.*: rebuilt the site in")
    section = server.until("sections/platforms/", lambda body: "Amazon Live now puts" in body)
    assert "Amazon Live now puts" in section  # listings show the new title too

    # Half a save: the header cut. The preview says so and keeps serving the last good page.
    article.write_text("Title: Amazon Live\nDate: not a date\n", encoding="utf-8")
    said = server.line_matching(r"amazon-live.*(error|could not|stopped)", timeout=120).string
    assert "amazon-live-puts-influencers-next-to-the-buy-button.md" in said
    status, page = server.get(PAGE)
    assert status == 200 and "Amazon Live now puts" in page

    article.write_text(text, encoding="utf-8")  # the editor saves the whole file again
    server.line_matching(r"amazon-live.*: rebuilt the site in", timeout=120)
    assert "Amazon Live puts influencers" in server.get(PAGE)[1]
    assert server.get("no/such/page/")[0] == 404
    assert server.process.poll() is None  # still previewing after all of it
