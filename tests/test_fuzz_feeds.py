"""Fuzzing whole feeds (RSS, Atom, JSON Feed) through `brief scrape` over real HTTP: the run
always finishes, the healthy source is always stored, nothing prints a traceback."""

from __future__ import annotations

import json
import shutil
import sqlite3
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import FEEDS, REPO, RULES_FILE, WATCHLIST, run_brief, write_feeds

GOOD = (FEEDS / "retail-news.rss").read_bytes()  # three stories

TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
DATES = st.sampled_from(
    [
        "0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00", "2026-02-30T10:00:00Z",
        "Tue, 10 Nov 2026 10:00:00 +0000", "Fri, 31 Dec 99999 23:59:59 GMT", "yesterday",
        "", "2026-11-10", "1969-12-31T23:59:59Z", "-1", "2026-11-10T25:61:61Z",
    ]
) | TEXT  # fmt: skip
LINKS = st.sampled_from(
    [
        "http://host:99999/x", "http://host:8O80/x", "http://[::1/x", "javascript:alert(1)",
        "https://news.example/ok", "/relative", "", "http://", "https://exa mple.com/",
        "http://xn--.example/", "https://news.example/" + "x" * 5000,
    ]
) | TEXT  # fmt: skip
# JSON values of any shape, for fields that should hold strings
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)


@st.composite
def xml_feed(draw: st.DrawFn, atom: bool) -> bytes:
    items = []
    for n in range(draw(st.integers(0, 4))):
        title, link, date = draw(TEXT), draw(LINKS), draw(DATES)
        summary = draw(TEXT)
        extra = draw(st.sampled_from(["", "<foo>", "<![CDATA[", "&bogus;", "&#0;", "</item>"]))
        if atom:
            items.append(
                f'<entry><title type="html">{escape(title)}</title>'
                f'<link href="{escape(link, {chr(34): "&quot;"})}"/><id>urn:f:{n}</id>'
                f"<updated>{escape(date)}</updated><summary>{escape(summary)}</summary>{extra}</entry>"
            )
        else:
            items.append(
                f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
                f"<pubDate>{escape(date)}</pubDate><description>{escape(summary)}</description>"
                f"{extra}</item>"
            )
    depth = draw(st.sampled_from([0, 0, 0, 50, 5000]))
    nesting = "<x>" * depth + "</x>" * depth
    if atom:
        text = (
            '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
            f"<title>F</title><id>urn:f</id>{nesting}{''.join(items)}</feed>"
        )
    else:
        text = (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
            f"{nesting}{''.join(items)}</channel></rss>"
        )
    data = text.encode("utf-8", "surrogatepass")
    return draw(_damaged(data))


@st.composite
def json_feed(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 4))):
        item = {
            "id": draw(JSON),
            "url": draw(LINKS | JSON),
            "title": draw(TEXT | JSON),
            "content_html": draw(TEXT | JSON),
            "date_published": draw(DATES | JSON),
            "authors": draw(JSON),
        }
        items.append(draw(st.just(item) | JSON))
    feed: object = {
        "version": draw(st.sampled_from(["https://jsonfeed.org/version/1.1", "1", ""])),
        "title": draw(TEXT | JSON),
        "feed_url": draw(LINKS | JSON),
        "items": draw(st.just(items) | JSON),
    }
    data = json.dumps(feed).encode()
    depth = draw(st.sampled_from([0, 0, 0, 100_000]))
    if depth:
        data = (
            b'{"version": "https://jsonfeed.org/version/1.1", "items": '
            + b"[" * depth
            + b"]" * depth
            + b"}"
        )
    return draw(_damaged(data))


def _damaged(data: bytes) -> st.SearchStrategy[bytes]:
    """The document as it is, cut short, or with some bytes changed."""
    cut = st.integers(0, max(len(data) - 1, 0)).map(lambda at: data[:at])
    flipped = st.lists(st.tuples(st.integers(0, max(len(data) - 1, 0)), st.integers(0, 255)),
                       min_size=1, max_size=8).map(lambda changes: _flip(data, changes))  # fmt: skip
    return st.sampled_from([data]) | cut | flipped


def _flip(data: bytes, changes: list[tuple[int, int]]) -> bytes:
    buffer = bytearray(data)
    for at, value in changes:
        if buffer:
            buffer[at % len(buffer)] = value
    return bytes(buffer)


@contextmanager
def _serving(documents: dict[str, bytes]) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            body = documents.get(self.path, b"")
            self.send_response(200 if self.path in documents else 404)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    # A client that hangs up is the point of some tests: no traceback on the test's stderr.
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    ).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _root() -> Path:
    root = Path(tempfile.mkdtemp(prefix="brief-fuzz-"))
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    shutil.copy(RULES_FILE, root / "relevance.toml")
    (root / "themes").symlink_to(REPO / "themes")  # Pelican checks the theme exists
    (root / "content").mkdir()
    shutil.copy(WATCHLIST, root / "content" / "entities.toml")
    return root


@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(document=st.one_of(xml_feed(atom=False), xml_feed(atom=True), json_feed()))
def test_any_feed_leaves_the_run_and_the_other_source_whole(document: bytes) -> None:
    root = _root()
    try:
        with _serving({"/fuzz": document, "/good": GOOD}) as base:
            write_feeds(root, {"Fuzz": f"{base}/fuzz", "Good": f"{base}/good"})
            result = run_brief(root, "scrape", "--json")
        assert result.code in (0, 1), result.output
        report = json.loads(result.stdout)
        assert report["ok"] + len(report["failed"]) == 2
        assert [f["source"] for f in report["failed"]] in ([], ["Fuzz"])
        assert (result.code == 1) == bool(report["failed"])
        with sqlite3.connect(root / "data" / "brief.sqlite") as db:
            links = {row[0] for row in db.execute("SELECT link FROM copies WHERE source = 'Good'")}
        assert len(links) == 3  # the healthy source is always stored
    finally:
        shutil.rmtree(root, ignore_errors=True)
