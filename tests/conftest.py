"""Shared fixtures: a loopback feed server, a temporary newsletter, the real CLI."""

from __future__ import annotations

import fcntl
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
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.service import Service

REPO = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
FEEDS = DATA / "feeds"
WATCHLIST = DATA / "entities.toml"  # the tests' copy of content/entities.toml
RULES_FILE = DATA / "relevance.toml"  # the tests' copy of relevance.toml


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


# The local preview's subscribe form asks whether the service it posts to runs (pelicanconf.py's
# BRIEF_SUBSCRIPTIONS, on this machine): the one request a preview page makes elsewhere.
LOCAL_SERVICE_HEALTH = "http://127.0.0.1:8080/subscriptions/health"


def serve(root: Path, delay: float = 0.0) -> Iterator[Server]:
    """A real HTTP server on 127.0.0.1 (Last-Modified and 304s come from http.server)."""
    requests: list[str] = []

    class Handler(_QuietHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            time.sleep(delay)
            super().do_GET()

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield Server(root, f"http://127.0.0.1:{server.server_address[1]}", requests)
    finally:
        server.shutdown()
        server.server_close()


TEST_SECRET = "a-test-secret-long-enough-to-sign-with"


@pytest.fixture(autouse=True)
def signing_secret(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test runs with a signing secret, as a real deployment would (one test removes it)."""
    monkeypatch.setenv("BRIEF_SECRET", TEST_SECRET)
    return TEST_SECRET


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
    for name in ("pelicanconf.py", "publishconf.py"):
        shutil.copy(REPO / name, root / name)
    # The tests' own rules and watchlist: an editor's change to the live ones breaks nothing.
    shutil.copy(RULES_FILE, root / "relevance.toml")
    shutil.copytree(REPO / "themes", root / "themes")
    (root / "content" / "articles").mkdir(parents=True)
    (root / "content" / "issues").mkdir()
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")
    shutil.copy(WATCHLIST, root / "content" / "entities.toml")
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


@pytest.fixture
def sendable(sample: Path) -> Path:
    """The sample newsletter, set to send to a plain local SMTP server with quick retries."""
    conf = sample / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_SMTP = {"security": "none", "backoff": 0.05}\n')
    return sample


@pytest.fixture(scope="session")
def built_sample(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The sample newsletter built once with `brief build`, for every test worker of this
    run (the first to need it builds it while the others wait); tests only read it."""
    if worker_id == "master":  # no workers: this process alone
        root = copy_sample(tmp_path_factory.mktemp("built") / "sample")
        brief(root, "build")
        return root
    shared = tmp_path_factory.getbasetemp().parent / "built-sample"  # this run's, all workers'
    shared.mkdir(exist_ok=True)
    root = shared / "sample"
    with (shared / "lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / "built").exists():
            shutil.rmtree(root, ignore_errors=True)
            brief(copy_sample(root), "build")
            (shared / "built").touch()
    return root


@pytest.fixture(scope="session")
def sample_site(built_sample: Path) -> Iterator[str]:
    """The built sample served on 127.0.0.1; its base URL."""
    server = serve(built_sample / "output")
    yield next(server).url
    next(server, None)


def write_sample_feeds(root: Path, server: Server) -> None:
    """feeds.toml naming the three fixture feeds, served by `server`."""
    write_feeds(
        root,
        {
            "Retail News": f"{server.url}/retail-news.rss",
            "Asia Tech": f"{server.url}/asia-tech.atom",
            "Creators": f"{server.url}/creators.json",
        },
    )


@pytest.fixture
def scraped(newsletter: Path, feed_server: Server) -> Path:
    """A newsletter that has scraped the three fixture feeds."""
    write_sample_feeds(newsletter, feed_server)
    brief(newsletter, "scrape")
    return newsletter


def write_feeds(root: Path, sources: dict[str, str]) -> None:
    lines = []
    for name, url in sources.items():
        lines += ["[[source]]", f'name = "{name}"', f'url = "{url}"', ""]
    (root / "feeds.toml").write_text("\n".join(lines), encoding="utf-8")


def brief(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `brief` in `cwd`, in this process (Click's runner): fast, and never a traceback.

    `brief_process` runs the real command in a process of its own, for the journeys where
    the process boundary is the point.
    """
    result = run_brief(cwd, *args)
    if check and result.code != 0:
        raise AssertionError(
            f"brief {' '.join(args)} exited {result.code}\n"
            f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        )
    return subprocess.CompletedProcess(["brief", *args], result.code, result.stdout, result.stderr)


def brief_process(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the real `brief` command in `cwd`, in a process of its own."""
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


def in_namespace(
    cwd: Path, setup: str, *args: str, check_setup: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run `brief args` in `cwd` after the shell lines `setup`, in mount and network
    namespaces of the test's own: there a test may mount a full or read-only file system
    or own a public address, without touching the machine (root is only root inside).
    """
    import os
    import shlex

    command = " ".join(shlex.quote(a) for a in (sys.executable, "-m", "brief", *args))
    script = f"{setup}\necho ---setup-done--- >&2\nexec {command}"
    user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    result = subprocess.run(
        ["unshare", *user, "--mount", "--net", "sh", "-ec", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if check_setup and "---setup-done---" not in result.stderr:
        raise AssertionError(f"the namespace could not be set up:\n{result.stderr}")
    result.stderr = result.stderr.split("---setup-done---\n", 1)[-1]
    return result


@dataclass
class Run:
    """What one in-process `brief` command did."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def run_brief(cwd: Path, *args: str, stdin: str | None = None) -> Run:
    """Run `brief` in this process (Click's runner) in `cwd`; never raises.

    A traceback, or an exception that escaped the command, fails the calling test: every
    refusal must be a message and an exit code.
    """
    import os

    from click.testing import CliRunner

    from brief.cli import cli

    before = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=True)
    finally:
        os.chdir(before)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        import traceback

        trace = "".join(traceback.format_exception(result.exception))
        raise AssertionError(f"brief {' '.join(args)} raised:\n{trace}")
    stderr = result.stderr if result.stderr_bytes is not None else ""
    assert "Traceback" not in result.stdout + stderr
    assert result.exit_code != 70, f"brief {' '.join(args)}: internal error\n{stderr}"
    return Run(result.exit_code, result.stdout, stderr)


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


@pytest.fixture
def service(sendable: Path) -> Iterator[Service]:
    """The service of the sample newsletter, with its public settings (publishconf.py)."""
    from tests.service import Service, mail_to, start_service, stop
    from tests.smtp_server import Recorder, SmtpServer

    recorder = Recorder()
    with SmtpServer(recorder) as smtp:
        mail_to(sendable, smtp)
        process, base = start_service(sendable)
        try:
            yield Service(sendable, base, recorder, smtp, process)
        finally:
            stop(process)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slow tests first, each module's in its order: the workers start on the long ones
    and finish on the many short ones, instead of one worker ending the run alone on a long
    test it reached last."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
