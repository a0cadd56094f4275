"""Feed text is inert everywhere it is rendered: pages, feeds, digests, .eml and terminal.

The property test drives arbitrary (and deliberately hostile) feed titles, summaries and
links through the editor's whole week, scrape → accept → annotate → issue → publish (which
builds the site and the digests), then reads every file written and every line printed.
"""

from __future__ import annotations

import email
import email.policy
import json
import re
import shutil
import tempfile
import warnings
from pathlib import Path
from xml.etree import ElementTree
from xml.sax.saxutils import escape as xml_escape

import pytest
from bs4 import BeautifulSoup, MarkupResemblesLocatorWarning
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from brief.ground.markup import MarkdownRenderer, markdown_quote
from scrapers.clean import inert_text
from tests.conftest import LOCAL_SERVICE_HEALTH, REPO, RULES_FILE, WATCHLIST, run_brief

# What no output may hold: C0 and C1 controls (but tab, newline, carriage return) and the
# bidi embeddings, overrides and isolates that make text display other than it reads.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
BAD_SCHEME = re.compile(r"^\s*(javascript|data|vbscript):", re.IGNORECASE)
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "poster", "data", "srcset"}
THEME_SCRIPTS = ("/theme/js/search.js", "/theme/js/subscribe.js", "/theme/js/calendar.js")
DATA_SCRIPTS = {"issue-titles", "entity-names"}  # JSON the search page reads, never run
FORBIDDEN = {"script", "iframe", "object", "embed", "base", "frame", "frameset", "applet"}

PAYLOADS = [
    "{: onfocus=alert(1) autofocus=1 tabindex=0}",
    "{#x .y onclick=alert(1)}",
    "{: onmouseover=alert(1) }",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    "<iframe src=//evil.test></iframe>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<base href=//evil.test/>",
    "<object data=x></object><embed src=x>",
    "[click](javascript:alert(1))",
    "[x]: javascript:alert(1)",
    "[x][]",
    "![img](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<http://evil.test>",
    "[^1]",
    "[^1]: a footnote",
    "*[HTML]: Hyper",
    "| a | b |",
    "|---|---|",
    ": a definition",
    "~~~",
    "```",
    "# heading",
    "1. list",
    "- item",
    "===",
    "&#x6a;avascript:alert(1)",
    "&lt;script&gt;",
    "&lt;/title&gt;&lt;script&gt;alert(1)&lt;/script&gt;",
    "&lt;img src=x onerror=alert(1)&gt;",
    '<div markdown="1">*x*</div>',
    "\x1b[31mred\x1b[0m",
    "\x1b]8;;http://evil.test\x07link\x1b]8;;\x07",
    "\x1b]0;title\x07",
    "\x9b2J",
    "\x07\x08\x0b\x0c\x7f",
    "\u202egnp.exe",
    "\u2066isolate\u2069",
    "\r overwritten",
    "\x00",
    "word " * 17,  # wraps the next payload onto a line of its own
]
BLOCK_PAYLOADS = [p for p in PAYLOADS if p[:1] in "{[:~`#1-=|*<!" and "\n" not in p and len(p) < 60]
LINKS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "http://host:99999/x",
    "http://host:8O80/x",
    "http://[::1/x",
    "https://news.example/a>;Evil<javascript:alert(1)",
    'https://news.example/a"onmouseover="alert(1)',
    "https://news.example/a b\x1b[2J",
    "//evil.test/x",
    "",
]
TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
FIELD = st.one_of(
    st.lists(st.one_of(TEXT, st.sampled_from(PAYLOADS)), min_size=1, max_size=6).map(" ".join),
    # A payload that a wrapped quote puts at the start of its last line, where block syntax
    # (attribute lists, headings, lists, tables) would take effect.
    st.sampled_from(BLOCK_PAYLOADS).map(lambda payload: f"{'a' * 84} {payload}"),
)
LINK = st.one_of(st.sampled_from(LINKS), TEXT, TEXT.map(lambda t: f"https://news.example/{t}"))
ITEM = st.fixed_dictionaries({"title": FIELD, "summary": FIELD, "link": LINK})


def _rss(items: list[dict[str, str]]) -> bytes:
    def item(n: int, it: dict[str, str]) -> str:
        return (
            f"<item><title>{xml_escape(it['title'])}</title><link>{xml_escape(it['link'])}</link>"
            f"<guid>urn:p:{n}</guid><description>{xml_escape(it['summary'])}</description>"
            "<pubDate>Tue, 10 Nov 2026 10:00:00 +0000</pubDate></item>"
        )

    body = "".join(item(n, it) for n, it in enumerate(items))
    text = f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>P</title>{body}</channel></rss>'
    return text.encode("utf-8", "surrogatepass")


def _atom(items: list[dict[str, str]]) -> bytes:
    entries = "".join(
        f'<entry><title type="html">{xml_escape(it["title"])}</title>'
        f'<link href="{xml_escape(it["link"], {chr(34): "&quot;"})}"/><id>urn:p:{n}</id>'
        f'<updated>2026-11-10T10:00:00Z</updated><content type="html">'
        f"{xml_escape(it['summary'])}</content></entry>"
        for n, it in enumerate(items)
    )
    text = (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>P</title><id>urn:p</id><updated>2026-11-10T10:00:00Z</updated>{entries}</feed>"
    )
    return text.encode("utf-8", "surrogatepass")


def _json(items: list[dict[str, str]]) -> bytes:
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "P",
        "items": [
            {
                "id": f"urn:p:{n}",
                "url": it["link"],
                "title": it["title"],
                "content_html": it["summary"],
                "date_published": "2026-11-10T10:00:00Z",
            }
            for n, it in enumerate(items)
        ],
    }
    return json.dumps(feed).encode()


FORMATS = {"rss": _rss, "atom": _atom, "json": _json}


def _template() -> Path:
    """An empty newsletter: the project's settings and theme, no search index (speed)."""
    root = Path(tempfile.mkdtemp(prefix="brief-inert-"))
    shutil.copy(REPO / "pelicanconf.py", root / "pelicanconf.py")
    shutil.copy(REPO / "publishconf.py", root / "publishconf.py")  # publish uses it
    shutil.copy(RULES_FILE, root / "relevance.toml")
    shutil.copytree(REPO / "themes", root / "themes")
    shutil.copytree(REPO / "content" / "pages", root / "content" / "pages")
    shutil.copy(WATCHLIST, root / "content" / "entities.toml")
    (root / "content" / "articles").mkdir()
    (root / "content" / "issues").mkdir()
    conf = root / "pelicanconf.py"
    conf.write_text(conf.read_text() + "\nBRIEF_SEARCH = False\nBRIEF_MIN_ARTICLES = 0\n")
    return root


def assert_inert_markup(text: str, where: str) -> None:
    """No event handler, no script-like element, no javascript:/data:/vbscript: URL.

    Read twice: as a browser would (html5lib follows the HTML5 parsing rules, `</title>`
    and all) and by the stricter html.parser, so neither a real nor a near miss passes.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        for parser in ("html5lib", "html.parser"):
            _assert_inert_tree(BeautifulSoup(text, parser), f"{where} [{parser}]")


def _assert_inert_tree(soup: BeautifulSoup, where: str) -> None:
    for element in soup.find_all(True):
        name = element.name.lower()
        if name == "script" and element.get("id") in DATA_SCRIPTS:
            # Data, not code: JSON whose "<" and "&" are escaped, so feed text cannot end it.
            assert element.get("type") == "application/json", (where, element)
            assert "<" not in (element.string or "") and "&" not in (element.string or "")
            json.loads(element.string or "null")
            continue
        if name == "script":
            # The theme's own scripts are the only ones; they have no inline code.
            assert element.get("src", "").endswith(THEME_SCRIPTS), (where, element)
            assert not element.string, (where, element)
            continue
        assert name not in FORBIDDEN, (where, str(element)[:200])
        if name == "meta":
            assert "http-equiv" not in element.attrs, (where, element)
        for attribute, value in element.attrs.items():
            assert not attribute.lower().startswith("on"), (where, str(element)[:200])
            if attribute.lower() in URL_ATTRIBUTES:
                assert not BAD_SCHEME.match(inert_text(str(value))), (where, str(element)[:200])


DESK_SCRIPT = "/static/desk.js"
DESK_FRAMES = {"preview", "digest"}  # the desk's own frames, loaded from the desk


def assert_inert_desk(text: str, where: str) -> None:
    """A web desk page: the desk's one script, its own frames, and in a preview's `srcdoc`
    a page as inert as the site's; nothing else that runs."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
        for parser in ("html5lib", "html.parser"):
            soup = BeautifulSoup(text, parser)
            for element in soup.find_all(["script", "iframe"]):
                if element.name == "script":
                    assert element.get("src") == DESK_SCRIPT and not element.string, (
                        where, str(element)[:200])  # fmt: skip
                else:
                    inner = element.get("srcdoc")
                    if inner is not None:
                        assert_inert_markup(str(inner), f"{where} (a frame's page)")
                    else:
                        assert element.get("name") in DESK_FRAMES, (where, str(element)[:200])
                element.decompose()
            _assert_inert_tree(soup, f"{where} [{parser}]")


def desk_pages(root: Path, previews: bool = True) -> dict[str, str]:
    """Every page of the web desk on this newsletter, as a signed-in editor gets it (the
    application under uvicorn in a thread of this process); with `previews`, each article's
    preview too (a worker process of its own: the every-payload run reads them)."""
    from datetime import UTC, datetime

    import httpx

    from brief.desk.editors import add_editor
    from brief.ground.settings import load_settings
    from brief.web.app import create_app
    from scrapers.storage import open_store
    from tests.desk import edit_form, serving

    settings = load_settings(root / "pelicanconf.py")
    with open_store(settings.db) as store:
        if store.editors.get("Inert Tester") is None:
            add_editor(store, "Inert Tester", "a-long-password", datetime.now(UTC))
    pages: dict[str, str] = {}
    app = create_app(settings, "a-secret-for-the-inert-test")
    with serving(app) as base, httpx.Client(base_url=base, timeout=30) as client:
        form = client.get("/sign-in").text
        token = re.search(r'name="token" value="([^"]*)"', form)
        assert token
        client.post("/sign-in", data={"name": "Inert Tester", "password": "a-long-password",
                                      "token": token.group(1)})  # fmt: skip
        for status in ("all", "new", "accepted"):
            pages[f"/queue?status={status}"] = client.get(f"/queue?status={status}").text
        pages["/drafts"] = drafts = client.get("/drafts").text
        pages["/issues"] = client.get("/issues").text
        pages["/subscribers"] = client.get("/subscribers").text
        for link in sorted(set(re.findall(r'href="(/(?:articles|issues)/[^"]+)"', drafts
                                          + pages["/issues"]))):  # fmt: skip
            pages[link] = page = client.get(link).text
            if link.startswith("/articles/"):
                if previews:  # the whole form, as a browser sends it
                    preview = client.post(f"{link}/preview", data=edit_form(page))
                    pages[f"{link}/preview"] = preview.text
            else:
                pages[f"{link}/digest"] = client.get(f"{link}/digest?width=375").text
    for path, html in pages.items():
        assert html.startswith("<!doctype html>"), (path, html[:300])
    return pages


def assert_inert_output(root: Path, lines: list[str]) -> None:
    """Everything built: the public site (publish) and the local preview, if any."""
    for path in sorted([*(root / "public").rglob("*"), *(root / "output").rglob("*")]):
        if not path.is_file():
            continue
        text = path.read_bytes().decode("utf-8")
        where = str(path.relative_to(root))
        assert not CONTROL.search(text), (where, CONTROL.search(text))
        if path.suffix == ".html":
            assert_inert_markup(text, where)
        elif path.suffix == ".eml":
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            html_part = message.get_body(("html",))
            assert html_part is not None
            assert_inert_markup(html_part.get_content(), f"{where} (HTML part)")
            for name, value in message.items():
                assert not CONTROL.search(str(value)), (where, name)
        elif path.suffix == ".xml":
            for node in ElementTree.fromstring(text).iter():  # a well-formed document
                for attribute, value in node.attrib.items():
                    assert not attribute.lower().startswith("on"), (where, node.tag)
                    assert not BAD_SCHEME.match(value), (where, node.tag, value)
                # type="html" is markup a feed reader renders; text constructs are shown as
                # text, whatever they hold (RFC 4287, 3.1.1).
                if node.attrib.get("type") == "html" and node.text:
                    assert_inert_markup(node.text, f"{where} <{node.tag}>")
    for line in lines:
        assert not CONTROL.search(line.replace("\r", "")), ("terminal", line)


def _week(root: Path, items: list[dict[str, str]], kind: str) -> list[str]:
    """The editor's week on these items; every line the terminal showed."""
    feed = root / f"feed.{kind}"
    feed.write_bytes(FORMATS[kind](items))
    (root / "feeds.toml").write_text(f'[[source]]\nname = "Hostile"\nurl = "{feed}"\n')
    lines: list[str] = []

    def run(*args: str) -> str:
        result = run_brief(root, *args)
        assert result.code in (0, 1), (args, result.output)
        lines.extend(result.output.splitlines())
        return result.stdout

    run("scrape")
    rows = json.loads(run("triage", "--json", "--status", "all"))
    run("triage")
    for row in rows:
        run("triage", "--explain", str(row["id"]))
    if not rows:
        return lines
    for path in run("accept", *(str(r["id"]) for r in rows)).split():
        draft = root / path
        draft.write_text(
            draft.read_text()
            + "The editor's *own* words keep [Markdown](https://brief.example/).\n"
        )
        text = draft.read_text()
        # The feed's words above the editor's, where they are HTML (Title) or Markdown (the
        # quote), are escaped; plain-text fields (Dek, Figures) hold them as they read, and
        # every page and digest built from them is checked below.
        head = text.split("## Why it matters")[0].splitlines()
        markup = [line for line in head if not line.startswith(("Dek:", "Figures:"))]
        assert not any("<script" in line.lower() for line in markup), markup
    run("issue", "new", "--week", "2026-W46")
    issue = root / "content" / "issues" / "2026-W46.md"
    issue.write_text(issue.read_text().replace("Title: Week 46, 2026", "Title: Hostile week"))
    published = run_brief(root, "issue", "publish", "2026-W46")
    lines.extend(published.output.splitlines())
    assert published.code == 0, published.output
    run("digest", "2026-W46")
    return lines


@pytest.mark.slow
@settings(
    # Each example is a whole week (scrape, accept, publish, build, digest): fewer examples
    # of more items carry as many hostile strings through it as many small ones did.
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    items=st.lists(ITEM, min_size=4, max_size=12),
    kind=st.sampled_from(sorted(FORMATS)),
)
def test_feed_text_is_inert_from_scrape_to_digest(items: list[dict[str, str]], kind: str) -> None:
    # One item always has a usable link, so there is always something to publish.
    items = [*items, {**items[0], "link": "https://news.example/ok"}]
    root = _template()
    try:
        lines = _week(root, items, kind)
        assert_inert_output(root, lines)
        for path, html in desk_pages(root, previews=False).items():
            assert_inert_desk(html, f"desk {path}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.slow
def test_every_known_payload_at_once(browser: object) -> None:
    """The whole payload list in one feed of each format: a quick, deterministic run. The
    JSON Feed's site is then opened in a real browser: every page, the digest and a search,
    focused and hovered; not one dialog opens, not one request leaves for another host."""
    from tests.conftest import serve

    for kind in FORMATS:
        root = _template()
        try:
            # Each payload as a title and ending a summary (where an attribute list would take
            # effect), with a good link; then each hostile link under a plain title.
            items = [
                {"title": p, "summary": f"{'a' * 84} {p}", "link": f"https://news.example/p{n}"}
                for n, p in enumerate(PAYLOADS)
            ]
            items += [
                {"title": f"Live shopping story {n}", "summary": "x", "link": link}
                for n, link in enumerate(LINKS)
            ]
            lines = _week(root, items, kind)
            assert_inert_output(root, lines)
            page = (root / "public" / "issues" / "2026-w46" / "index.html").read_text()
            assert "alert(1)" in page  # the text is there, shown as text
            if kind != "json":
                continue
            # The desk's pages and previews, once: stored feed text is the same whatever its
            # format (the property test reads the desk's pages for each format it draws).
            desk = desk_pages(root)
            for path, html in desk.items():
                assert_inert_desk(html, f"desk {path}")
            assert "alert(1)" in desk["/queue?status=all"]  # shown as text there too
            previews = [html for path, html in desk.items() if path.endswith("/preview")]
            assert any("alert(1)" in html for html in previews)
            assert any(path.endswith("/digest") for path in desk)
            conf = root / "pelicanconf.py"  # published; now built for a preview with search
            conf.write_text(conf.read_text() + "\nBRIEF_SEARCH = True\n")
            assert run_brief(root, "build").code == 0
            server = serve(root / "output")
            base = next(server).url
            try:
                _visit_everything(browser, base, root, dialogs := [], foreign := [])
            finally:
                next(server, None)
            assert dialogs == []
            assert [url for url in foreign if url != LOCAL_SERVICE_HEALTH] == []
        finally:
            shutil.rmtree(root, ignore_errors=True)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.one_of(TEXT, st.sampled_from(PAYLOADS)), max_size=12).map(" ".join))
def test_quoted_feed_text_renders_as_itself(text: str) -> None:
    """The Markdown escape: any text, quoted in a draft, renders to exactly that text."""
    import pelicanconf  # noqa: F401  (the project's own Markdown settings)

    renderer = MarkdownRenderer(_MARKDOWN)
    html = renderer.render(markdown_quote(text))
    soup = BeautifulSoup(html, "html.parser")
    assert {e.name for e in soup.find_all(True)} <= {"blockquote", "p"}, html
    assert all(not e.attrs for e in soup.find_all(True)), html
    assert _typography(soup.get_text()) == _typography(inert_text(text)), html


_MARKDOWN = {
    "extension_configs": {
        "markdown.extensions.extra": {},
        "markdown.extensions.meta": {},
        "markdown.extensions.smarty": {},
    },
    "output_format": "html5",
}
_SMART = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                        "\u2013": "-", "\u2014": "-", "\u00ab": "<<", "\u00bb": ">>"})  # fmt: skip


def _typography(text: str) -> str:
    """Text with smart quotes and dashes made plain: the one change Markdown may make."""
    text = text.translate(_SMART).replace("\u2026", "...")
    return " ".join(re.sub(r"-+", "-", text).split())


def test_rich_tables_show_markup_in_titles_as_text() -> None:
    """A title like "[link=...]" is text in the triage table, never Rich markup."""
    import io
    from datetime import UTC, datetime

    from rich.console import Console

    from brief.desk.queue import TriageRow
    from brief.desk.triage import print_table
    from scrapers.records import Story

    title = "[link=https://evil.test]Click[/link] [blink]now[/blink]"
    moment = datetime(2026, 11, 10, tzinfo=UTC)
    candidate = Story(
        title=title, link="https://news.example/a", canonical_url="https://news.example/a",
        source="[bold]Source[/bold]", published=moment, fetched=moment, summary_html="",
        summary_text="", score=0.5, entities=(), about=(), guid="g", id=1,
    )  # fmt: skip
    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=200, color_system="truecolor")
    print_table([TriageRow(candidate, "Platforms", "1d")], console)
    shown = screen.getvalue()
    assert "\x1b]8;" not in shown  # no terminal hyperlink was made
    assert "[link=https://evil.test]Click[/link]" in shown and "[bold]Source[/bold]" in shown


def _visit_everything(
    browser: object, base: str, root: Path, dialogs: list[str], foreign: list[str]
) -> None:
    from urllib.parse import urlsplit

    page = browser.new_page()  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    host = urlsplit(base).netloc
    page.on("request", lambda r: foreign.append(r.url) if urlsplit(r.url).netloc != host else None)
    pages = [
        *sorted((root / "output").rglob("index.html")),
        root / "output" / "digest" / "2026-W46.html",
    ]
    for path in pages:
        url = f"{base}/{path.relative_to(root / 'output').as_posix()}"
        page.goto(url, wait_until="load")
        # Fire what an injected handler would wait for (autofocus fires on load itself).
        page.evaluate(
            """() => { for (const el of document.querySelectorAll('*')) {
                 for (const type of ['mouseover', 'mouseenter', 'focus', 'animationstart'])
                   el.dispatchEvent(new Event(type));
                 if (el.tabIndex >= 0) el.focus(); } }"""
        )
    page.goto(f"{base}/search/?q=alert", wait_until="networkidle")
    page.wait_for_selector("#results li", timeout=10_000)
    assert page.query_selector_all("#results li img, #results li svg, #results li script") == []
    page.close()
