"""Shared fixtures: a loopback feed server, a temporary newsletter, the real CLI."""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"


class _QuietHandler(SimpleHTTPRequestHandler):
    extensions_map = {  # noqa: RUF012 (http.server's own attribute)
        **SimpleHTTPRequestHandler.extensions_map,
        ".rss": "application/rss+xml",
        ".atom": "application/atom+xml",
        ".json": "application/feed+json",
    }

    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Server:
    root: Path
    url: str
    requests: list[str]


def serve(root: Path, delay: float = 0.0) -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 (Last-Modified and 304s come from http.server)."""
    requests: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            time.sleep(delay)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def feed_server(tmp_path: Path) -> Iterator[Server]:
    """The fixture feeds, copied so a test may change them, served from 127.0.0.1."""
    root = tmp_path / "www"
    shutil.copytree(FEEDS, root)
    yield from serve(root)


@pytest.fixture
def newsletter(tmp_path: Path) -> Path:
    """An empty newsletter repository: the project's settings and theme, no articles yet."""
    root = tmp_path / "newsletter"
    root.mkdir()
    for name in ("pelicanconf.py", "publishconf.py", "relevance.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "themes", root / "themes")
    (root / "content" / "articles").mkdir(parents=True)
    (root / "content" / "issues").mkdir()
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")
    shutil.copy(REPO / "content" / "entities.toml", root / "content" / "entities.toml")
    (root / "feeds.toml").write_text("", encoding="utf-8")
    return root


def copy_sample(root: Path) -> Path:
    """Copy the sample newsletter that ships in the repository to `root`."""
    root.mkdir(parents=True)
    for name in ("pelicanconf.py", "publishconf.py", "relevance.toml", "feeds.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "themes", root / "themes")
    shutil.copytree(REPO / "content", root / "content")
    return root


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    """A copy of the sample newsletter, for a test that changes it."""
    return copy_sample(tmp_path / "sample")


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample newsletter built once with `brief build`; tests only read it."""
    root = copy_sample(tmp_path_factory.mktemp("built") / "sample")
    brief(root, "build")
    return root


@pytest.fixture(scope="session")
def sample_site(built_sample: Path) -> Iterator[str]:
    """The built sample served on 127.0.0.1; its base URL."""
    server = serve(built_sample / "output")
    yield next(server).url
    next(server, None)


def write_feeds(root: Path, sources: dict[str, str]) -> None:
    lines = []
    for name, url in sources.items():
        lines += ["[[source]]", f'name = "{name}"', f'url = "{url}"', ""]
    (root / "feeds.toml").write_text("\n".join(lines), encoding="utf-8")


def brief(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `brief` command in `cwd`."""
    result = subprocess.run(
        [sys.executable, "-m", "brief", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"brief {' '.join(args)} exited {result.returncode}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return result


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not Path("/usr/bin/chromium").exists():
        pytest.fail("Debian's chromium is missing: run .ci/install-debian (make test does)")
    with playwright_api.sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield instance
        instance.close()
