"""The email digest of the sample issues: structure a mail client can rely on."""

from __future__ import annotations

import email
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from brief.content.files import load_newsletter
from brief.ground.settings import load_settings
from brief.mail.digest import DigestRenderer
from tests.conftest import REPO, brief

ARTIFACTS = REPO / "tests" / "artifacts"


@pytest.fixture(scope="module")
def digests(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import shutil

    root = tmp_path_factory.mktemp("digest") / "sample"
    root.mkdir()
    for name in ("pelicanconf.py", "publishconf.py", "relevance.toml", "feeds.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "themes", root / "themes")
    shutil.copytree(REPO / "content", root / "content")
    for week in ("2026-W45", "2026-W46", "2026-W47"):
        brief(root, "digest", week)
    return root


def message(root: Path, week: str) -> EmailMessage:
    raw = (root / "public" / "digest" / f"{week}.eml").read_bytes()
    parsed = email.message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


@pytest.mark.parametrize("week", ["2026-W45", "2026-W46", "2026-W47"])
def test_eml_structure(digests: Path, week: str) -> None:
    raw = (digests / "public" / "digest" / f"{week}.eml").read_bytes()
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    msg = message(digests, week)
    assert msg.get_content_type() == "multipart/alternative"
    parts = list(msg.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        assert msg[header], header
    assert msg["Date"].datetime.tzinfo is not None
    # A digest for no one in particular: the list's mailto, never someone's personal link.
    assert msg["List-Unsubscribe"] == "<mailto:unsubscribe@example.com?subject=unsubscribe>"
    assert msg["List-Unsubscribe-Post"] is None
    assert (
        "unsubscribe?" not in raw.decode()
        and "reader@example.com" not in msg.as_string()[msg.as_string().index("\n\n") :]
    )


def test_every_article_in_both_parts(digests: Path) -> None:
    settings = load_settings(digests / "pelicanconf.py")
    issue = load_newsletter(settings).issues["2026-W46"]
    msg = message(digests, "2026-W46")
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    links = {a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")}
    for slug in issue.slugs:  # `brief digest` uses the public settings (publishconf.py)
        url = f"https://brief.example.com/articles/2026/{slug}/"
        assert url in plain
        assert url in links
    assert (
        "https://brief.example.com/issues/2026-w46/" in plain
        and "https://brief.example.com/issues/2026-w46/" in links
    )
    assert "unsubscribe link of the service that sent it" in " ".join(plain.split())
    assert "1 Example Street" in plain and "1 Example Street" in html  # the postal address
    assert max(len(line) for line in plain.splitlines() if "http" not in line) <= 78


def test_message_ids_are_unique(digests: Path) -> None:
    ids = {message(digests, w)["Message-ID"] for w in ("2026-W45", "2026-W46", "2026-W47")}
    assert len(ids) == 3


def test_html_is_inlined_table_layout(digests: Path) -> None:
    html = (digests / "public" / "digest" / "2026-W47.html").read_text()
    page = BeautifulSoup(html, "html.parser")
    assert page.find("table", attrs={"role": "presentation"})
    assert "<!--[if mso]>" in html
    assert "max-width: 600px" in page.find("table", class_="container")["style"]
    assert "color:" in page.find("h1")["style"]  # CSS inlined onto elements
    styles = "".join(s.get_text() for s in page.find_all("style"))
    assert "prefers-color-scheme: dark" in styles and "[data-ogsc]" in styles
    assert len(styles.encode()) <= 16_384
    assert len(html.encode()) <= 100_000
    preheader = (
        page.find(class_="preheader").get_text().replace("\u034f", "").replace("\u200c", "").strip()
    )
    assert 40 <= len(preheader) <= 140 + 1
    assert "<script" not in html.lower()


def test_renderer_does_not_need_a_site_build(sample: Path) -> None:
    settings = load_settings(sample / "pelicanconf.py")
    newsletter = load_newsletter(settings)
    digest = DigestRenderer(settings).render(newsletter.issues["2026-W45"], newsletter)
    assert digest.subject == "Where US live commerce stands"
    assert digest.preheader.startswith("TikTok Shop's affiliate engine")
    assert not (sample / "output").exists()


@pytest.mark.slow
@pytest.mark.parametrize("width", [375, 600])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_digest_renders_without_overflow(
    digests: Path, browser: object, width: int, scheme: str
) -> None:
    page = browser.new_page(viewport={"width": width, "height": 800}, color_scheme=scheme)  # type: ignore[attr-defined]
    page.goto((digests / "public" / "digest" / "2026-W46.html").as_uri())
    scroll = page.evaluate("document.documentElement.scrollWidth")
    container = page.evaluate(
        "document.querySelector('table.container').getBoundingClientRect().width"
    )
    colors = page.evaluate(
        "(() => { const s = getComputedStyle(document.querySelector('table.container'));"
        " return [s.backgroundColor, getComputedStyle(document.querySelector('h1')).color]; })()"
    )
    # What readers read runs from the left; the first link is "View in your browser", at
    # the top, to the issue's page (the same link the foot has).
    aligned = page.evaluate(
        "[...document.querySelectorAll('.intro, .article, .masthead, .footer')]"
        ".map(e => getComputedStyle(e).textAlign)"
    )
    first = page.evaluate("[...document.querySelectorAll('a')].map(a => [a.textContent, a.href])")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"digest-{width}-{scheme}.png"), full_page=True)
    page.close()
    assert set(aligned) <= {"left", "start"}, aligned
    assert first[0] == ["View in your browser", "https://brief.example.com/issues/2026-w46/"]
    assert first.count(["View this issue in your browser", first[0][1]]) == 1
    assert scroll <= width
    assert container == min(width, 600)
    if scheme == "dark":
        assert colors == ["rgb(30, 28, 26)", "rgb(241, 237, 230)"]
    else:
        assert colors == ["rgb(255, 255, 255)", "rgb(29, 27, 24)"]


def test_utm_parameters_when_configured(sample: Path) -> None:
    conf = sample / "pelicanconf.py"
    conf.write_text(
        conf.read_text()
        + '\nBRIEF_DIGEST = {**BRIEF_DIGEST, "utm": {"source": "brief", "medium": "email"}}\n'
    )
    brief(sample, "digest", "2026-W46")
    msg = message(sample, "2026-W46")
    plain = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    tagged = "articles/2026/whatnot-built-live-shopping-around-collectors/?utm_source=brief&utm_medium=email&utm_campaign=2026-w46"
    assert tagged in plain
    assert tagged.replace("&", "&amp;") in html
    assert "<img" not in html  # no tracking pixel


def test_no_utm_by_default(digests: Path) -> None:
    assert "utm_" not in (digests / "public" / "digest" / "2026-W46.eml").read_text()


def test_check_fails_an_issue_over_the_size_budget(sample: Path) -> None:
    conf = sample / "pelicanconf.py"
    conf.write_text(conf.read_text() + "\nBRIEF_DIGEST_BUDGET = 10_000\n")
    result = brief(sample, "check", "--issue", "2026-W46", check=False)
    assert result.returncode == 1
    assert "content/issues/2026-W46.md:1: error: the digest is" in result.stdout
    assert "over the 10,000 budget" in result.stdout
