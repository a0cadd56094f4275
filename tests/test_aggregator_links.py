"""An aggregator's item (Google News style) is followed to the publisher's article: the
draft cites the publisher, the aggregator's link is kept as a copy, each link is asked once,
and a link that leads nowhere is said in triage. Over a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.conftest import brief

ITEMS = [
    ("ok", "TikTok Shop live sales hit $500 million on Black Friday", "Example Daily"),
    ("gone", "Whatnot adds live auctions for sneakers", "Sneaker Wire"),
    ("loop", "Douyin hosts sell winter coats live", "Retail Asia"),
    ("js", "Amazon Live tests shoppable streams", "Commerce Post"),
]


def _feed(base: str) -> bytes:
    items = "".join(
        f"""<item><title>{title} - {outlet}</title><link>{base}/rss/articles/{key}</link>
        <guid>{key}</guid><pubDate>Fri, 27 Nov 2026 10:00:00 GMT</pubDate>
        <description>&lt;a href="{base}/rss/articles/{key}"&gt;{title}&lt;/a&gt;&amp;nbsp;&amp;nbsp;&lt;font color="#6f6f6f"&gt;{outlet}&lt;/font&gt;</description>
        <source url="https://{key}.example.com">{outlet}</source></item>"""
        for key, title, outlet in ITEMS
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Google News: live'
        f" shopping</title>{items}</channel></rss>"
    ).encode()


class _Site(BaseHTTPRequestHandler):
    requests: list[str]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.requests.append(self.path)
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        routes = {
            "/feed.rss": (200, "application/rss+xml", _feed(base)),
            "/rss/articles/ok": (302, f"{base}/publisher/story?utm_source=gnews", b""),
            "/rss/articles/gone": (404, "text/plain", b"no such article"),
            "/rss/articles/loop": (302, f"{base}/rss/articles/loop", b""),
            "/rss/articles/js": (302, f"{base}/publisher/js", b""),
            "/publisher/story?utm_source=gnews": (
                200,
                "text/html",
                b'<html><head><link rel="canonical" href="/publisher/story"></head></html>',
            ),
            "/publisher/js": (
                200,
                "text/html",
                b'<html><head><link rel="canonical" href="javascript:alert(1)"></head></html>',
            ),
        }
        status, kind, body = routes.get(self.path, (404, "text/plain", b""))
        self.send_response(status)
        if status == 302:
            self.send_header("Location", kind)
        else:
            self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def aggregator(newsletter: Path) -> Iterator[tuple[str, list[str]]]:
    requests: list[str] = []
    handler = type("Handler", (_Site,), {"requests": requests})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    (newsletter / "feeds.toml").write_text(
        f'[[source]]\nname = "Google News: live shopping"\nurl = "{base}/feed.rss"\n'
        "aggregator = true\n",
        encoding="utf-8",
    )
    try:
        yield base, requests
    finally:
        server.shutdown()
        server.server_close()


def test_an_aggregated_story_cites_the_publisher(
    newsletter: Path, aggregator: tuple[str, list[str]]
) -> None:
    base, requests = aggregator
    brief(newsletter, "scrape")
    rows = {r["outlet"]: r for r in json.loads(brief(newsletter, "triage", "--json").stdout)}

    story = rows["Example Daily"]
    assert story["link"] == f"{base}/publisher/story"  # its canonical URL, no tracking
    assert story["link_note"] == ""
    assert f"{base}/rss/articles/ok" in {s["link"] for s in story["sources"]}  # kept as a copy
    assert not story["summary"].endswith("Example Daily")  # the outlet is not the summary
    assert story["summary"] == "TikTok Shop live sales hit $500 million on Black Friday"

    # Leading nowhere: the aggregator's link stays, and triage says why.
    assert "HTTP 404" in rows["Sneaker Wire"]["link_note"]
    assert rows["Sneaker Wire"]["link"] == f"{base}/rss/articles/gone"
    assert "redirects" in rows["Retail Asia"]["link_note"]
    # A canonical link that is not a web address is not taken: the page's own address is.
    assert rows["Commerce Post"]["link"] == f"{base}/publisher/js"
    table = brief(newsletter, "triage").stdout
    assert "aggregator's" in table

    path = newsletter / brief(newsletter, "accept", str(story["id"])).stdout.strip()
    header = path.read_text(encoding="utf-8").split("\n\n")[0].splitlines()
    assert f"Link: {base}/publisher/story" in header
    assert "Source: Example Daily" in header

    # Each link is asked once, ever: a second scrape follows none again.
    followed = [r for r in requests if r.startswith("/rss/articles/")]
    brief(newsletter, "scrape", "--force")
    assert [r for r in requests if r.startswith("/rss/articles/")] == followed
    again = json.loads(brief(newsletter, "triage", "--json", "--status", "all").stdout)
    assert len(again) == len(ITEMS)  # no story twice
