"""A loopback HTTP server that misbehaves in every way a feed host can."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.conftest import FEEDS

RSS = (FEEDS / "retail-news.rss").read_bytes()
ETAG = '"v1"'
_BOMB = gzip.compress(b"\0" * (64 * 1024 * 1024), compresslevel=9)


def _rss(items: str, encoding: str = "utf-8", head: str = "") -> bytes:
    text = (
        f'{head}<?xml version="1.0" encoding="{encoding}"?>'
        f'<rss version="2.0"><channel><title>Faults</title><link>http://faults.test/</link>'
        f"{items}</channel></rss>"
    )
    return text.encode(encoding)


DUPLICATE_GUIDS = _rss(
    "<item><title>Live shopping story one</title><link>http://faults.test/one</link>"
    "<guid>same-guid</guid><pubDate>Mon, 09 Nov 2026 10:00:00 +0000</pubDate></item>"
    "<item><title>A different live selling story</title><link>http://faults.test/two</link>"
    "<guid>same-guid</guid><pubDate>Mon, 09 Nov 2026 11:00:00 +0000</pubDate></item>"
)
DATES = _rss(
    "<item><title>Undated live shopping story</title><link>http://faults.test/undated</link></item>"
    "<item><title>Live shopping story from the future</title><link>http://faults.test/future</link>"
    "<pubDate>Fri, 01 Jan 2100 10:00:00 +0000</pubDate></item>"
)
RELATIVE = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
    b'xml:base="http://faults.test/blog/"><title>Rel</title><id>urn:rel</id>'
    b"<updated>2026-11-09T10:00:00Z</updated><entry><title>Live shopping relative</title>"
    b'<link href="posts/live"/><id>urn:rel:1</id><updated>2026-11-09T10:00:00Z</updated>'
    b'<summary type="html">&lt;a href="../about"&gt;about&lt;/a&gt;</summary></entry></feed>'
)
LATIN1 = _rss(
    "<item><title>Caf\u00e9 hosts try live shopping</title><link>http://faults.test/cafe</link>"
    "<pubDate>Mon, 09 Nov 2026 10:00:00 +0000</pubDate>"
    "<description>Cr\u00e8me live selling</description></item>",
    encoding="iso-8859-1",
)
XSS = _rss(
    "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;Live shopping &lt;img src=x onerror=alert(2)&gt;</title>"
    "<link>javascript:alert(3)</link><guid>http://faults.test/xss</guid>"
    "<author>&lt;svg onload=alert(4)&gt;</author>"
    "<pubDate>Mon, 09 Nov 2026 10:00:00 +0000</pubDate>"
    '<description><![CDATA[<p onmouseover="alert(5)">Live shopping</p><script>alert(6)</script>'
    '<a href="jav&#x09;ascript:alert(7)">x</a><a href="java\u200bscript:alert(8)">y</a>'
    '<iframe src="http://evil.test"></iframe><style>body{}</style>'
    '<a href="https://good.test/">good</a>]]></description></item>'
)


# One good entry among entries that each once crashed the whole scrape.
BAD_ENTRIES = (
    b'<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
    b"<title>Bad entries</title><id>urn:bad</id><updated>2026-11-09T10:00:00Z</updated>"
    b'<entry><title>Port out of range</title><link href="http://host:99999/x"/>'
    b"<id>urn:bad:1</id><updated>2026-11-09T10:00:00Z</updated></entry>"
    b'<entry><title>Letter O in the port</title><link href="http://host:8O80/x"/>'
    b"<id>urn:bad:2</id><updated>2026-11-09T10:00:00Z</updated></entry>"
    b'<entry><title>Live shopping in year one</title><link href="http://faults.test/year-one"/>'
    b"<id>urn:bad:3</id><updated>0001-01-01T00:00:00+05:00</updated></entry>"
    b'<entry><title>Live shopping at the end of time</title><link href="http://faults.test/end"/>'
    b"<id>urn:bad:4</id><updated>9999-12-31T23:59:59-05:00</updated></entry>"
    b'<entry><title>A good live shopping story</title><link href="http://faults.test/good"/>'
    b"<id>urn:bad:5</id><updated>2026-11-09T10:00:00Z</updated></entry>"
    b"</feed>"
)
BAD_JSON = json.dumps(
    {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Bad JSON",
        "items": [
            {"id": "1", "url": "http://[::1/x", "title": "Broken IPv6 literal"},
            {
                "id": "2",
                "url": "http://faults.test/j-old",
                "title": "Live shopping, year one",
                "date_published": "0001-01-01T00:00:00+05:00",
            },
            {
                "id": "3",
                "url": "http://faults.test/j-late",
                "title": "Live shopping, last day",
                "date_published": "9999-12-31T23:59:59-05:00",
            },
            {
                "id": "4",
                "url": "http://faults.test/j-good",
                "title": "Good live selling story",
                "date_published": "2026-11-09T10:00:00Z",
            },
        ],
    }
).encode()
DEEP_JSON = (
    b'{"version": "https://jsonfeed.org/version/1.1", "items": '
    + b"[" * 100_000
    + b"]" * 100_000
    + b"}"
)


class FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes = b"", **headers: str) -> None:
        self.send_response(status)
        headers.setdefault("Content-Type", "application/rss+xml")
        for key, value in headers.items():
            self.send_header(key.replace("_", "-"), value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        self.server.requests.append(self.path)  # type: ignore[attr-defined]
        path = self.path.split("?")[0]
        self.server.agents.append(self.headers.get("User-Agent", ""))  # type: ignore[attr-defined]
        if path.startswith("/slow/"):
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.active += 1  # type: ignore[attr-defined]
                self.server.peak = max(self.server.peak, self.server.active)  # type: ignore[attr-defined]
            time.sleep(0.3)
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.active -= 1  # type: ignore[attr-defined]
            self._send(200, RSS.replace(b"retail.test/2026", f"retail.test/{path[6:]}".encode()))
        elif path == "/ok.rss":
            if self.headers.get("If-None-Match") == ETAG:
                self._send(304, ETag=ETAG)
            else:
                self._send(200, RSS, ETag=ETAG)
        elif path == "/404":
            self._send(404, b"not here", Content_Type="text/plain")
        elif path == "/gone":
            self._send(410, b"gone", Content_Type="text/plain")
        elif path == "/429":
            self._send(429, b"slow down", Content_Type="text/plain", Retry_After="120")
        elif path == "/503":
            later = format_datetime(datetime.now(UTC) + timedelta(hours=2), usegmt=True)
            self._send(503, b"busy", Content_Type="text/plain", Retry_After=later)
        elif path == "/500":
            self._send(500, b"oops", Content_Type="text/plain")
        elif path == "/html":
            self._send(
                200,
                b"<!DOCTYPE html><html><body><p>A page</p></body></html>",
                Content_Type="text/html",
            )
        elif path == "/empty":
            self._send(200, b"")
        elif path == "/reset":
            # Linger 0 then close every handle on the socket: the client gets a TCP reset.
            linger = b"\x01\x00\x00\x00\x00\x00\x00\x00"
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.close_connection = True
            self.rfile.close()
            self.wfile.close()
            self.connection.close()
        elif path == "/no-headers":
            time.sleep(5)
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.end_headers()
            for byte in RSS[:40]:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.25)
        elif path == "/huge":
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(200 * 1024 * 1024))
            self.end_headers()
            chunk = b"<!-- padding -->" * 4096
            try:
                for _ in range(200 * 1024 * 1024 // len(chunk)):
                    self.wfile.write(chunk)
            except OSError:
                pass
        elif path == "/gzip-bomb":
            self._send(200, _BOMB, Content_Encoding="gzip")
        elif path == "/gzip-ok":
            self._send(200, gzip.compress(RSS), Content_Encoding="gzip")
        elif path == "/loop":
            self._send(302, Location="/loop", Content_Type="text/plain")
        elif path == "/moved":
            self._send(301, Location="/ok.rss", Content_Type="text/plain")
        elif path == "/found":
            self._send(302, Location="/ok.rss", Content_Type="text/plain")
        elif path == "/leading-whitespace":
            self._send(200, (FEEDS / "leading-whitespace.rss").read_bytes())
        elif path == "/duplicate-guids":
            self._send(200, DUPLICATE_GUIDS)
        elif path == "/dates":
            self._send(200, DATES)
        elif path == "/relative":
            self._send(200, RELATIVE, Content_Type="application/atom+xml")
        elif path == "/wrong-charset":
            # The HTTP header says UTF-8, the document is ISO-8859-1 and says so.
            self._send(200, LATIN1, Content_Type="application/rss+xml; charset=utf-8")
        elif path == "/xss":
            self._send(200, XSS)
        elif path == "/bad-entries":
            self._send(200, BAD_ENTRIES, Content_Type="application/atom+xml")
        elif path == "/bad-json":
            self._send(200, BAD_JSON, Content_Type="application/feed+json")
        elif path == "/deep-json":
            self._send(200, DEEP_JSON, Content_Type="application/feed+json")
        elif path == "/redirect":  # /redirect?to=URL
            target = parse_qs(urlsplit(self.path).query).get("to", [""])[0]
            self._send(302, Location=target, Content_Type="text/plain")
        elif path == "/redirect-bad-port":
            self._send(302, Location="http://127.0.0.1:99999/x", Content_Type="text/plain")
        elif path == "/redirect-nowhere":
            self._send(301, Location="http://[::1/x", Content_Type="text/plain")
        elif path == "/retry-forever":
            self._send(503, b"busy", Content_Type="text/plain", Retry_After="9" * 20)
        elif path == "/escape-reason":
            self.send_response(500, "Oops \x1b]0;pwned\x07\x1b[2J")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self._send(404, b"unknown fault", Content_Type="text/plain")


_SERVERS: list[ThreadingHTTPServer] = []


def last_server() -> ThreadingHTTPServer:
    return _SERVERS[-1]


@contextmanager
def fault_server(host: str = "127.0.0.1") -> Iterator[tuple[str, list[str]]]:
    server = ThreadingHTTPServer((host, 0), FaultHandler)
    server.daemon_threads = True
    # A client that hangs up is the point of some tests: no traceback on the test's stderr.
    server.handle_error = lambda request, address: None  # type: ignore[method-assign]
    server.requests = []  # type: ignore[attr-defined]
    server.agents = []  # type: ignore[attr-defined]
    server.lock = threading.Lock()  # type: ignore[attr-defined]
    server.active = server.peak = 0  # type: ignore[attr-defined]
    _SERVERS.append(server)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}", server.requests  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()
