"""What leaves the machine uses the public address: publish, digest and send read
publishconf.py, and `brief check` refuses a digest that points home wrongly. Digests for email
services carry the service's own merge tags; the site's form posts to the service."""

from __future__ import annotations

import email
import re
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup

from brief.desk.check import link_problem
from tests.conftest import brief, run_brief
from tests.smtp_server import Recorder, SmtpServer

WEEK = "2026-W47"
SITE = "brief.example.com"
ARTICLE = "content/articles/2026/black-friday-live-shows-need-a-reason-to-watch.md"


def unpublish(root: Path) -> None:
    issue = root / "content" / "issues" / f"{WEEK}.md"
    issue.write_text(issue.read_text().replace("Status: published", "Status: draft"))


def hrefs(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    return [str(e.get(a)) for e in soup.find_all(True) for a in ("href", "src") if e.get(a)]


@pytest.mark.slow
def test_a_published_digest_links_only_to_the_public_site(sample: Path) -> None:
    unpublish(sample)
    result = brief(sample, "issue", "publish", WEEK)
    assert "digests in " in result.stdout and "public/digest" in result.stdout
    folder = sample / "public" / "digest"
    html = (folder / f"{WEEK}.html").read_text()
    text = (folder / f"{WEEK}.txt").read_text()
    eml = (folder / f"{WEEK}.eml").read_bytes()
    links = hrefs(html) + re.findall(r"https?://\S+", text)
    own = [link for link in links if urlsplit(link).hostname == SITE]
    assert len(own) >= 6  # the issue, each article, the site
    for link in links:
        parts = urlsplit(link)
        assert parts.scheme in ("https", "http", "mailto"), link
        if parts.scheme != "mailto":
            assert parts.hostname, link  # absolute
            assert parts.hostname != "localhost", link
        if parts.hostname == SITE:
            assert parts.scheme == "https", link
    message = email.message_from_bytes(eml, policy=default)
    parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
    for built in (html, text, *parts, str(message["List-Unsubscribe"])):
        assert "127.0.0.1" not in built and "localhost" not in built
        assert "?email=" not in built and "reader@example.com" not in built
    assert str(message["Message-ID"]).endswith(f"@{SITE}>")
    # The local preview is untouched: it still builds with pelicanconf.py.
    brief(sample, "build")
    index = (sample / "output" / "index.html").read_text()
    # Root-relative links to its own pages, never the public address it was not built for.
    assert 'href="/issues/' in index
    assert 'href="https://brief.example.com' not in index


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ('SITEURL = "http://brief.example.com"', "the newsletter's own links must use https"),
        ('SITEURL = "http://127.0.0.1:8000"', "a loopback, private or link-local address"),
        ('SITEURL = "http://intranet.localhost"', "a loopback, private or link-local address"),
        (
            'BRIEF_SUBSCRIPTIONS = {"url": "http://10.1.2.3/subscriptions/"}',
            "a loopback, private or link-local address",
        ),
        (
            'BRIEF_SUBSCRIPTIONS = {"url": "http://brief.example.com/subscriptions/"}',
            "the newsletter's own links must use https",
        ),
    ],
)
def test_publish_refuses_a_digest_that_points_home_wrongly(
    sample: Path, setting: str, expected: str
) -> None:
    unpublish(sample)
    conf = sample / "publishconf.py"
    conf.write_text(conf.read_text() + f"\n{setting}\nFEED_DOMAIN = SITEURL\n")
    before = (sample / "content" / "issues" / f"{WEEK}.md").read_text()
    result = run_brief(sample, "issue", "publish", WEEK)
    assert result.code != 0
    assert f"content/issues/{WEEK}.md:1: error: the digest links to" in result.output
    assert expected in result.output
    assert "publishconf.py sets SITEURL and BRIEF_SUBSCRIPTIONS" in result.output
    assert (sample / "content" / "issues" / f"{WEEK}.md").read_text() == before  # not published
    assert not (sample / "public" / "digest" / f"{WEEK}.html").exists()


def test_check_refuses_private_links_anywhere_but_lets_sources_use_http(sample: Path) -> None:
    article = sample / ARTICLE
    text = article.read_text()
    article.write_text(
        text + "\nCompare [the old stream](http://news.example.com/plain-http) and"
        " [our admin page](http://192.168.1.20/admin).\n"
    )
    result = run_brief(sample, "check")
    assert result.code != 0
    assert "'http://192.168.1.20/admin': a loopback, private or link-local" in result.output
    assert "plain-http" not in result.output  # a source's plain http link is fine
    article.write_text(text + "\nSee [our own page](http://brief.example.com/pages/about/).\n")
    result = run_brief(sample, "check")
    assert "the newsletter's own links must use https" in result.output


@pytest.mark.parametrize(
    ("href", "problem"),
    [
        ("https://brief.example.com/issues/", None),
        ("http://news.example.com/a", None),  # a source may be plain http
        ("mailto:brief@example.com", None),
        ("/issues/2026-w47/", "a relative link"),
        ("issues/2026-w47/", "a relative link"),
        ("//brief.example.com/x", "a relative link"),
        ("http://brief.example.com/x", "must use https"),
        ("https://localhost/x", "loopback"),
        ("https://LOCALHOST./x", "loopback"),
        ("http://[::1]/x", "loopback"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://172.16.0.1/", "private"),
        ("http://[fe80::1]/", "link-local"),
        ("http://0.0.0.0/", "loopback"),
        ("http://[::ffff:127.0.0.1]/", "loopback"),
        ("http://[", "not a valid URL"),
    ],
)
def test_link_rules(href: str, problem: str | None) -> None:
    found = link_problem(href, {SITE})
    if problem is None:
        assert found is None, href
    else:
        assert found is not None, href
        assert problem in found or (
            problem in ("loopback", "link-local", "private") and "loopback, private" in found
        ), (href, found)


SERVICES = {
    "listmonk": ("{{ UnsubscribeURL }}", "{{ .Subscriber.FirstName }}"),
    "mailchimp": ("*|UNSUB|*", "*|FNAME|*"),
    "buttondown": ("{{ unsubscribe_url }}", None),
}


@pytest.mark.parametrize("service", sorted(SERVICES))
def test_a_digest_for_an_email_service_carries_its_merge_tags(sample: Path, service: str) -> None:
    result = brief(sample, "digest", WEEK, "--for", service)
    folder = sample / "public" / "digest"
    html = (folder / f"{WEEK}.{service}.html").read_text()
    text = (folder / f"{WEEK}.{service}.txt").read_text()
    assert f"public/digest/{WEEK}.{service}.html" in result.stdout
    unsubscribe, name = SERVICES[service]
    assert unsubscribe in hrefs(html)  # the visible link is the service's own
    assert f"Unsubscribe: {unsubscribe}" in text
    if name:
        assert name in html and name in text
    for built in (html, text):
        assert "token=" not in built and "@example.org" not in built
        assert "reader@example.com" not in built and "PLACEHOLDER" not in built.upper()
        assert "1 Example Street, Springfield" in built  # the postal address
    assert not (folder / f"{WEEK}.{service}.eml").exists()  # the service makes the message


def test_a_generic_digest_has_no_personal_link(sample: Path) -> None:
    brief(sample, "digest", WEEK, "--for", "generic")
    folder = sample / "public" / "digest"
    html = (folder / f"{WEEK}.html").read_text()
    text = (folder / f"{WEEK}.txt").read_text()
    assert not [h for h in hrefs(html) if "unsubscribe" in h.lower()]
    assert "unsubscribe link of the service that sent" in " ".join(text.split())
    for built in (html, text):
        assert "token=" not in built and "{{" not in built and "*|" not in built
        assert "1 Example Street, Springfield" in built


def test_send_refuses_without_what_the_law_and_readers_need(sendable: Path) -> None:
    csv = sendable / "to.csv"
    csv.write_text("email\nreader@example.org\n")
    conf = sendable / "publishconf.py"
    original = conf.read_text()
    cases = {
        "\nBRIEF_DIGEST = {k: v for k, v in BRIEF_DIGEST.items() if k != 'postal_address'}\n": 'set BRIEF_DIGEST["postal_address"]',
        "\nBRIEF_SUBSCRIPTIONS = None\n": "set BRIEF_SUBSCRIPTIONS",
    }
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        for change, said in cases.items():
            conf.write_text(original + change)
            result = run_brief(sendable, "send", WEEK, "--to", str(csv), "--smtp", server.address)
            assert result.code != 0 and said in result.stderr, result.output
            assert "publishconf.py" in result.stderr
        conf.write_text(original)
        import os

        secret = os.environ.pop("BRIEF_SECRET")
        try:
            result = run_brief(sendable, "send", WEEK, "--to", str(csv), "--smtp", server.address)
        finally:
            os.environ["BRIEF_SECRET"] = secret
        assert result.code != 0 and "set BRIEF_SECRET" in result.stderr
    assert recorder.messages == []


def test_without_a_service_the_site_offers_a_mailto_and_check_warns(sample: Path) -> None:
    conf = sample / "pelicanconf.py"
    conf.write_text(conf.read_text() + "\nBRIEF_SUBSCRIPTIONS = None\n")
    checked = run_brief(sample, "--settings", "pelicanconf.py", "check")
    assert "pelicanconf.py:1: warning: no subscription service (BRIEF_SUBSCRIPTIONS)" in (
        checked.output
    )
    brief(sample, "build")
    page = BeautifulSoup((sample / "output" / "index.html").read_text(), "html.parser")
    assert page.select("form[data-subscribe]") == []
    (mailto,) = page.select(".subscribe a[href^='mailto:']")
    assert mailto["href"] == "mailto:brief@example.com?subject=Subscribe"


@pytest.mark.slow
def test_the_form_posts_to_the_service_on_the_sites_own_host(sample: Path) -> None:
    """Published, the form posts to /subscriptions/subscribe on the site's host (no other
    host is contacted); in the local preview, to the local service's address."""
    brief(sample, "--settings", "publishconf.py", "build")
    article = "articles/2026/whatnot-built-live-shopping-around-collectors/index.html"
    for page in ("index.html", "subscribe/index.html", "issues/2026-w47/index.html", article):
        soup = BeautifulSoup((sample / "public" / page).read_text(), "html.parser")
        forms = soup.select("form[data-subscribe]")
        assert forms and {f["action"] for f in forms} == {"/subscriptions/subscribe"}, page
        for form in forms:
            label_for = {label["for"] for label in form.find_all("label")}
            assert {i["id"] for i in form.find_all("input")} <= label_for
            assert form.select_one("[role=status][aria-live=polite]") is not None
    brief(sample, "build")
    soup = BeautifulSoup((sample / "output" / "index.html").read_text(), "html.parser")
    assert soup.select_one("form[data-subscribe]")["action"] == (
        "http://127.0.0.1:8080/subscriptions/subscribe"
    )


def test_text_never_becomes_a_services_template_code(sample: Path) -> None:
    """A feed title or an editor's sentence holding `{{ subscriber.email }}`, `{% ... %}` or
    `*|EMAIL|*` is shown as written in every service's file: the only template code the
    service runs is our own merge tags."""
    article = sample / ARTICLE
    text = article.read_text()
    title = "Hosts {{ subscriber.email }} and *|EMAIL|* {% debug %} {{{ .Subscriber.Email }}}"
    text = re.sub(r"^Title: .*$", f"Title: {title}", text, count=1, flags=re.M)
    article.write_text(text + "\nEditors may write {{ unsubscribe_url }}, *|UNSUB|* or {#x#}.\n")
    tags = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}|\*\|.*?\|\*")
    for service, (unsubscribe, name) in {**SERVICES, "generic": ("", None)}.items():
        brief(sample, "digest", WEEK, "--for", service)
        stem = WEEK if service == "generic" else f"{WEEK}.{service}"
        for suffix in ("html", "txt"):
            built = (sample / "public" / "digest" / f"{stem}.{suffix}").read_text()
            ours = {unsubscribe, name} - {"", None}
            found = set(tags.findall(built))
            assert all(any(tag in mine for mine in ours | set(_greetings())) for tag in found), (
                service, suffix, found - ours
            )  # fmt: skip
            shown = built.replace("\u200b", "")
            assert "Hosts {{ subscriber.email }} and *|EMAIL|*" in shown.replace("&#123;", "{")


def _greetings() -> list[str]:
    from brief.mail.digest import SERVICES as AUDIENCES

    return [a.greeting for a in AUDIENCES.values() if a.greeting]
