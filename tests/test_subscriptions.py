"""The subscription service under its production server (uvicorn, `brief subscriptions
serve`) on 127.0.0.1, driven over HTTP with httpx, with a real SMTP server (aiosmtpd) for the
confirmation emails and `brief send` for the digests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import TEST_SECRET, brief, run_brief
from tests.service import (
    NEUTRAL,
    PUBLIC,
    Service,
    free_port,
    links,
    mail_to,
    start_service,
    stop,
    unsubscribe_link,
    wait_for_mail,
)
from tests.smtp_server import Recorder, SmtpServer

pytestmark = pytest.mark.slow  # each test runs the service under uvicorn in a process of its own


def test_sign_up_confirm_send_and_one_click_unsubscribe(service: Service) -> None:
    """The whole life of a subscriber: the form, the confirmation email and its link, the
    digest, Gmail's one-click POST, and the next send that skips them."""
    brief(service.root, "subscribers", "add", "bo@example.org", "--confirmed")
    answer = service.subscribe("ana@example.org", "Ana Lima")
    assert answer.status_code == 200 and NEUTRAL in answer.text
    service.wait_for_mail(1)
    assert service.statuses() == {"bo@example.org": "confirmed", "ana@example.org": "pending"}

    asked = service.mail.messages[0]
    assert asked["To"] == "Ana Lima <ana@example.org>"
    assert asked["Subject"] == "Confirm your subscription to Live Commerce Brief"
    confirm, _ = links(asked)
    assert confirm.startswith(f"{PUBLIC}confirm?token=")  # the public address, not ours
    assert "ana" not in confirm and "@" not in confirm and "%40" not in confirm

    # Before confirming, a send reaches the confirmed subscriber only.
    first = service.send("2026-W46")
    assert "sent 1, skipped 0 already sent" in first.stdout
    assert [m["To"] for m in service.mail.messages[1:]] == ["bo@example.org"]

    with service.client() as client:
        confirmed = client.get(service.local(confirm))
    assert confirmed.status_code == 200
    page = BeautifulSoup(confirmed.text, "html.parser")
    assert page.h1.get_text() == "You are subscribed"
    assert page.find("link", rel="stylesheet")["href"].startswith("https://brief.example.com/")
    assert "default-src 'none'" in confirmed.headers["content-security-policy"]
    assert service.statuses()["ana@example.org"] == "confirmed"
    service.wait_for_mail(3)  # and the welcome email (tests/test_welcome.py)

    again = service.send("2026-W46")
    assert "sent 1, skipped 1 already sent" in again.stdout
    confirmation, welcome, digest = service.mailed("ana@example.org")
    assert confirmation is asked and digest["List-Unsubscribe"]
    assert welcome["Subject"] == "Welcome to Live Commerce Brief"
    link = unsubscribe_link(digest)
    assert link.startswith(f"{PUBLIC}unsubscribe?token=")
    assert "ana" not in link and "@" not in link and "%40" not in link

    # Exactly what Gmail sends (RFC 8058): a POST with that body, no cookie, no referrer.
    with service.client() as client:
        gone = client.post(
            service.local(link),
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert gone.status_code == 200
    assert service.statuses()["ana@example.org"] == "unsubscribed"
    history = json.loads(
        brief(service.root, "subscribers", "history", "ana@example.org", "--json").stdout
    )
    assert [(e["status"], e["how"]) for e in history] == [
        ("pending", "subscribe form"),
        ("confirmation sent", "subscribe form"),
        ("confirmed", "confirmation link"),
        ("welcome sent", "welcome email"),
        ("unsubscribed", "one-click unsubscribe (RFC 8058)"),
    ]
    assert all(e["at"].endswith("Z") for e in history)

    before = len(service.mail.messages)
    later = service.send("2026-W47")
    assert "sent 1, skipped 0 already sent" in later.stdout
    assert [m["To"] for m in service.mail.messages[before:]] == ["bo@example.org"]


def test_the_unsubscribe_page_has_one_button_that_posts_the_same_link(service: Service) -> None:
    brief(service.root, "subscribers", "add", "cy@example.org", "--confirmed")
    service.send("2026-W46")
    link = service.local(unsubscribe_link(service.mailed("cy@example.org")[0]))
    with service.client() as client:
        shown = client.get(link)
        assert service.statuses()["cy@example.org"] == "confirmed"  # a GET changes nothing
        form = BeautifulSoup(shown.text, "html.parser").find("form")
        assert form["method"] == "post" and form["action"] == link
        (button,) = form.find_all("button")
        fields = {i["name"]: i["value"] for i in form.find_all("input")}
        clicked = client.post(form["action"], data=fields)
    assert shown.status_code == 200 and button.get_text() == "Unsubscribe"
    assert clicked.status_code == 200
    assert "You are unsubscribed" in clicked.text
    assert service.statuses()["cy@example.org"] == "unsubscribed"
    with service.client() as client:  # a second click, or a provider's retry: still 200
        assert client.post(link, content=b"List-Unsubscribe=One-Click").status_code == 200


def test_a_tampered_or_borrowed_token_changes_nothing(service: Service) -> None:
    """A token changed by one character, signed with another secret, made for the other
    action, or with another subscriber's id: a 400 page, and nobody's status moves."""
    from itsdangerous import URLSafeTimedSerializer

    for who in ("dee@example.org", "eve@example.org"):
        brief(service.root, "subscribers", "add", who, "--confirmed")
    service.send("2026-W46")
    own = service.local(unsubscribe_link(service.mailed("eve@example.org")[0]))
    token = own.split("token=")[1]
    dee_id, eve_id = 1, 2

    def signed(secret: str, value: object, salt: str) -> str:
        return str(URLSafeTimedSerializer(secret, salt=salt).dumps(value))

    payload, _, signature = token.rpartition(".")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    forged_payload = signed("x" * 32, dee_id, "brief-subscriber-unsubscribe").split(".")[0]
    bad = {
        "one character changed": f"{payload}.{flipped}",
        "another secret": signed(
            "another-secret-of-32-characters!", dee_id, "brief-subscriber-unsubscribe"
        ),
        "a confirm token": signed(TEST_SECRET, dee_id, "brief-subscriber-confirm"),
        "another id, same signature": f"{forged_payload}.{token.split('.', 1)[1]}",
        "cut short": token[: len(token) // 2],
        "empty": "",
        "not even base64": "%00%ff<script>",
    }
    with service.client() as client:
        for why, tampered in bad.items():
            for method in ("GET", "POST"):
                answer = client.request(
                    method,
                    f"/subscriptions/unsubscribe?token={tampered}",
                    content=b"List-Unsubscribe=One-Click",
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
                assert answer.status_code == 400, (why, method, answer.text)
                assert "This link does not work" in answer.text, why
                assert "<script>" not in answer.text
        # A valid unsubscribe token is not a confirmation either.
        assert client.get(f"/subscriptions/confirm?token={token}").status_code == 400
    assert service.statuses() == {"dee@example.org": "confirmed", "eve@example.org": "confirmed"}
    assert eve_id == 2  # the token above was eve's own: it still works, for eve only
    with service.client() as client:
        assert client.post(own, content=b"List-Unsubscribe=One-Click").status_code == 200
    assert service.statuses() == {
        "dee@example.org": "confirmed",
        "eve@example.org": "unsubscribed",
    }


def test_the_answer_is_the_same_for_every_address(service: Service) -> None:
    """Nobody learns from the form who subscribes: byte for byte the same answer for a new,
    a pending, a confirmed, an unsubscribed and a bounced address (and for a bot). Only the
    new and the pending address are sent a confirmation."""
    brief(service.root, "subscribers", "add", "known@example.org", "--confirmed")
    brief(service.root, "subscribers", "add", "waiting@example.org")
    brief(service.root, "subscribers", "add", "left@example.org", "--confirmed")
    brief(service.root, "subscribers", "unsubscribe", "left@example.org")
    (service.root / "bounced.csv").write_text("email\nbounced@example.org\n")
    brief(service.root, "subscribers", "suppress", "bounced.csv")

    def answers(accept: str) -> set[tuple[int, bytes, str]]:
        seen = set()
        for email in ("new@example.org", "known@example.org", "waiting@example.org",
                      "KNOWN@Example.org", "bounced@example.org"):  # fmt: skip
            with service.client() as client:
                response = client.post(
                    "/subscriptions/subscribe",
                    data={"email": email, "name": ""},
                    headers={"Accept": accept},
                )
            seen.add((response.status_code, response.content, response.headers["content-type"]))
        with service.client() as client:  # a bot fills the hidden field
            response = client.post(
                "/subscriptions/subscribe",
                data={"email": "bot@example.org", "website": "http://spam.example"},
                headers={"Accept": accept},
            )
        seen.add((response.status_code, response.content, response.headers["content-type"]))
        return seen

    (page,) = answers("text/html")
    (as_json,) = answers("application/json")
    assert page[0] == 200 and NEUTRAL in page[1].decode()
    assert json.loads(as_json[1])["message"].startswith("Thank you.")
    service.wait_for_mail(4)
    mailed = sorted(str(m["To"]) for m in service.mail.messages)
    # Twice each (page, then JSON), within the per-address limit; never the others.
    assert mailed == ["new@example.org"] * 2 + ["waiting@example.org"] * 2
    statuses = service.statuses()
    assert "bot@example.org" not in statuses
    assert statuses["left@example.org"] == "unsubscribed"  # a form post re-subscribes no one
    assert statuses["bounced@example.org"] == "bounced"


def test_the_answer_does_not_wait_for_the_mail_server(service: Service) -> None:
    """A slow mail server cannot reveal that an address is new: the answer leaves before the
    confirmation is even attempted (a 3 s wait on the mail server's side)."""
    service.mail.delay = 3.0
    started = time.monotonic()
    answer = service.subscribe("new@example.org")
    assert answer.status_code == 200 and time.monotonic() - started < 2.0
    service.wait_for_mail(1)


def test_rate_limits_stop_mail_bombing_and_form_spam(service: Service) -> None:
    """An address gets at most 3 confirmations a day however often it is typed in; a client
    may post 20 times an hour, then gets 429 until later."""
    answers = [service.subscribe("target@example.org").status_code for _ in range(6)]
    assert answers == [200] * 6  # the same neutral answer...
    service.wait_for_mail(3)
    assert len(service.mailed("target@example.org")) == 3  # ...but three messages, no more
    more = [service.subscribe(f"r{n}@example.org").status_code for n in range(14)]
    assert more == [200] * 14
    service.wait_for_mail(17)
    refused = service.subscribe("one-more@example.org")
    assert refused.status_code == 429
    assert "try again in an hour" in refused.text
    assert "one-more@example.org" not in service.statuses()
    with service.client() as client:  # the rest of the service still answers
        assert client.get("/subscriptions/health").status_code == 200


def test_bad_form_input_is_refused_clearly(service: Service) -> None:
    cases = {
        "not-an-address": 400,
        "": 400,
        "a@b@example.org": 400,
        "x" * 400 + "@example.org": 400,
        "line\r\nBcc: victim@example.org": 400,
    }
    for email, status in cases.items():
        answer = service.subscribe(email)
        assert answer.status_code == status, email
        assert "does not look like an email address" in answer.text
    named = service.subscribe("named@example.org", "<script>alert(1)</script>\r\nBcc: x@y.z")
    assert named.status_code == 200
    service.wait_for_mail(1)
    (message,) = service.mailed("named@example.org")
    assert "Bcc" not in message and message["To"].addresses[0].addr_spec == "named@example.org"
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<script>" not in html and "&lt;script&gt;" in html
    with service.client() as client:
        assert client.get("/subscriptions/subscribe").status_code == 405
        huge = client.post("/subscriptions/subscribe", data={"email": "a@example.org",
                                                              "name": "n" * 100_000})  # fmt: skip
        assert huge.status_code in (400, 413), huge.status_code
        assert client.get("/subscriptions/nowhere").status_code == 404


def test_an_old_link_never_names_a_new_subscriber(service: Service) -> None:
    """Ids are never reused: after a removal, the removed reader's link (in an old email)
    cannot unsubscribe whoever signs up next."""
    brief(service.root, "subscribers", "add", "old@example.org", "--confirmed")
    service.send("2026-W46")
    old = service.local(unsubscribe_link(service.mailed("old@example.org")[0]))
    brief(service.root, "subscribers", "remove", "old@example.org")
    brief(service.root, "subscribers", "add", "new@example.org", "--confirmed")
    with service.client() as client:
        assert client.post(old, content=b"List-Unsubscribe=One-Click").status_code == 200
    assert service.statuses() == {"new@example.org": "confirmed"}


def test_the_service_refuses_to_start_without_a_secret(sample: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "BRIEF_SECRET"}
    started = subprocess.run(
        [sys.executable, "-m", "brief", "subscriptions", "serve", "--port", str(free_port())],
        cwd=sample, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert started.returncode != 0
    assert "set BRIEF_SECRET to a long random secret" in started.stderr
    env["BRIEF_SECRET"] = "short"
    weak = subprocess.run(
        [sys.executable, "-m", "brief", "subscriptions", "serve", "--port", str(free_port())],
        cwd=sample, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert weak.returncode != 0 and "at least 16 characters" in weak.stderr


def test_the_service_refuses_to_start_without_its_address(sample: Path) -> None:
    conf = sample / "publishconf.py"
    conf.write_text(conf.read_text() + "\nBRIEF_SUBSCRIPTIONS = None\n")
    result = run_brief(sample, "subscriptions", "serve")
    assert result.code != 0
    assert "publishconf.py" in result.stderr and "set BRIEF_SUBSCRIPTIONS" in result.stderr


@pytest.mark.slow
def test_the_sites_form_in_chromium_with_and_without_javascript(
    sendable: Path, browser: object
) -> None:
    """The site and the service on one host, as behind the README's reverse proxy: the form
    answers in place with JavaScript (announced), and still works without it; the
    confirmation link and the unsubscribe button work in the browser; no other host is asked."""
    from tests.test_quality import AXE

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    recorder = Recorder()
    with SmtpServer(recorder) as smtp:
        mail_to(sendable, smtp)
        conf = sendable / "pelicanconf.py"
        conf.write_text(
            conf.read_text() + f'\nSITEURL = "{base}"\n'
            f'BRIEF_SUBSCRIPTIONS = {{"url": "{base}/subscriptions/"}}\n'
        )
        brief(sendable, "build")
        process, _ = start_service(sendable, "--settings", "pelicanconf.py", port=port, site=True)
        try:
            shots = Path(__file__).parent / "artifacts"
            shots.mkdir(exist_ok=True)
            with_js = browser.new_context()  # type: ignore[attr-defined]
            foreign: list[str] = []
            with_js.on("request", lambda r: foreign.append(r.url) if not r.url.startswith(base)
                       and not r.url.startswith("data:") else None)  # fmt: skip
            page = with_js.new_page()
            page.goto(f"{base}/subscribe/", wait_until="networkidle")
            form = page.locator("main form[data-subscribe]")
            form.get_by_label("Email address").fill("reader@example.org")
            form.get_by_label("Name").fill("Rita Reader")
            form.get_by_role("button", name="Subscribe").click()
            status = form.get_by_role("status")
            status.filter(has_text="Thank you").wait_for(timeout=10_000)
            assert page.url == f"{base}/subscribe/"  # answered in place
            assert status.get_attribute("aria-live") == "polite"
            assert form.get_by_label("Email address").input_value() == ""
            page.screenshot(path=str(shots / "subscribe-js.png"), full_page=True)
            wait_for_mail(recorder, 1)
            (asked,) = recorder.messages
            confirm, _ = links(asked)
            assert confirm.startswith(f"{base}/subscriptions/confirm?token=")
            page.goto(confirm)
            assert page.locator("h1").inner_text() == "You are subscribed"
            # The next step: the latest issue, one click away; and a welcome email.
            latest = page.get_by_role("link", name="Read the latest issue")
            assert latest.get_attribute("href") == f"{base}/issues/2026-w47/"
            page.screenshot(path=str(shots / "service-confirmed.png"))
            wait_for_mail(recorder, 2)
            assert recorder.messages[1]["Subject"] == "Welcome to Live Commerce Brief"
            assert foreign == []
            with_js.close()

            without_js = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
            page = without_js.new_page()
            page.goto(f"{base}/", wait_until="load")
            form = page.locator("form[data-subscribe]").first
            form.get_by_label("Email address").fill("plain@example.org")
            form.get_by_role("button", name="Subscribe").click()
            page.wait_for_url(f"{base}/subscriptions/subscribe")
            assert page.locator("h1").inner_text() == "Almost there"
            assert NEUTRAL in page.get_by_role("status").inner_text()
            # The service's page wears the site's style sheet (its CSP allows that, no more).
            assert page.evaluate("getComputedStyle(document.body).fontFamily") != "Times New Roman"
            assert page.evaluate("document.styleSheets.length") >= 1
            page.screenshot(path=str(shots / "service-answer.png"))
            without_js.close()
            wait_for_mail(recorder, 3)
        finally:
            stop(process)
        assert sorted(str(m["To"]) for m in recorder.messages) == [
            "Rita Reader <reader@example.org>",  # the confirmation, then the welcome
            "Rita Reader <reader@example.org>",
            "plain@example.org",
        ]

        # The unsubscribe page: one button; it works; axe finds nothing wrong with it.
        process, _ = start_service(sendable, "--settings", "pelicanconf.py", port=port, site=True)
        try:
            token_link = _unsubscribe_link_for(sendable, "reader@example.org", base)
            context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]
            page = context.new_page()
            page.goto(token_link)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(
                "async () => (await axe.run(document)).violations.map(v => v.id)"
            )
            assert violations == []
            page.get_by_role("button", name="Unsubscribe").click()
            page.locator("h1", has_text="You are unsubscribed").wait_for()
            page.screenshot(path=str(shots / "service-unsubscribed.png"))
            context.close()
        finally:
            stop(process)
    statuses = json.loads(brief(sendable, "subscribers", "list", "--json").stdout)
    assert {r["email"]: r["status"] for r in statuses}["reader@example.org"] == "unsubscribed"


def _unsubscribe_link_for(root: Path, email: str, base: str) -> str:
    """The link `brief send` would put in this subscriber's message, on the local service."""
    from brief.audience.tokens import Tokens

    rows = json.loads(brief(root, "subscribers", "list", "--json").stdout)
    number = [r["email"] for r in rows].index(email) + 1  # ids follow the order of sign-up
    return (
        f"{base}/subscriptions/unsubscribe?token={Tokens(TEST_SECRET).make(number, 'unsubscribe')}"
    )


def test_the_client_limit_stays_bounded_while_every_client_is_active() -> None:
    """A flood of one-off clients inside one window (an IPv6 range, a botnet) cannot grow the
    limiter past its bound, and the clients it still knows keep their counts."""
    from brief.ground.web import RateLimit

    now = [0.0]
    limit = RateLimit(2, window=3600, max_keys=1_000, clock=lambda: now[0])
    assert [limit.allow("a"), limit.allow("a"), limit.allow("a")] == [True, True, False]
    for n in range(5_000):  # all within the window: none of them has expired
        limit.allow(f"client-{n}")
        assert len(limit) <= 1_000
    # The newest clients are still known: one request each so far, one more allowed.
    assert [limit.allow("client-4998"), limit.allow("client-4998")] == [True, False]
    now[0] += 1800  # half the window: one more request's worth for a client at its limit
    assert [limit.allow("client-4998"), limit.allow("client-4998")] == [True, False]
