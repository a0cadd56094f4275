"""Readers' choices hold: a replayed confirmation link, a HEAD request, an unsubscribe during
a send, two mailboxes a case-fold would merge, and one mailbox behind many +tags. Each over
HTTP against the service under uvicorn, with `brief send` and a real SMTP server."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conftest import brief
from tests.service import Service, links, unsubscribe_link

pytestmark = pytest.mark.slow  # each test runs the service under uvicorn in a process of its own


def history(service: Service, address: str) -> list[tuple[str, str]]:
    rows = json.loads(brief(service.root, "subscribers", "history", address, "--json").stdout)
    return [(row["status"], row["how"]) for row in rows]


def test_a_replayed_confirmation_link_brings_nobody_back(service: Service) -> None:
    """A confirmation link followed after the reader unsubscribed, bounced or complained
    changes nothing, and the next send mails none of them; a fresh link asked for after
    leaving does subscribe again."""
    for who in ("left", "bounced", "complained"):
        service.subscribe(f"{who}@example.org")
    service.wait_for_mail(3)
    old_links = {
        str(m["To"]).split("@")[0]: service.local(links(m)[0]) for m in service.mail.messages
    }
    with service.client() as client:
        assert client.get(old_links["left"]).status_code == 200  # confirmed, then...
    service.wait_for_mail(4)  # welcomed, then...
    brief(service.root, "subscribers", "unsubscribe", "left@example.org")
    (service.root / "bounces.csv").write_text("email\nbounced@example.org\n")
    brief(service.root, "subscribers", "suppress", "bounces.csv")
    (service.root / "complaints.csv").write_text("email\ncomplained@example.org\n")
    brief(service.root, "subscribers", "suppress", "complaints.csv", "--as", "complained")
    with service.client() as client:
        for who, link in old_links.items():
            replayed = client.get(link)
            assert replayed.status_code == 410, (who, replayed.text)
            assert "Nothing was changed" in replayed.text
    assert service.statuses() == {
        "left@example.org": "unsubscribed",
        "bounced@example.org": "bounced",
        "complained@example.org": "complained",
    }
    brief(service.root, "subscribers", "add", "reader@example.org", "--confirmed")
    before = len(service.mail.messages)
    service.send("2026-W46")
    assert [str(m["To"]) for m in service.mail.messages[before:]] == ["reader@example.org"]

    # Changed their mind: the form again, a new link, and that one works.
    service.subscribe("left@example.org")
    service.wait_for_mail(before + 2)
    fresh = service.local(links(service.mail.messages[-1])[0])
    with service.client() as client:
        assert client.get(old_links["left"]).status_code == 410
        assert client.get(fresh).status_code == 200
    assert service.statuses()["left@example.org"] == "confirmed"
    service.wait_for_mail(before + 3)  # welcomed back, once


def test_head_requests_change_nothing(service: Service) -> None:
    """Link checkers and mail scanners send HEAD: neither the confirmation link nor the
    unsubscribe link may act on it."""
    service.subscribe("pending@example.org")
    brief(service.root, "subscribers", "add", "reader@example.org", "--confirmed")
    service.send("2026-W46")
    service.wait_for_mail(2)
    (asked,) = service.mailed("pending@example.org")
    (digest,) = service.mailed("reader@example.org")
    with service.client() as client:
        assert client.head(service.local(links(asked)[0])).status_code == 200
        assert client.head(service.local(unsubscribe_link(digest))).status_code == 200
    assert service.statuses() == {
        "pending@example.org": "pending",
        "reader@example.org": "confirmed",
    }


def test_an_unsubscribe_during_a_send_is_honoured(service: Service) -> None:
    """Gmail's one-click POST for a reader arrives while `brief send` is mailing the list:
    every recipient not yet mailed at that moment is checked again, and they are not."""
    readers = [f"reader{n}@example.org" for n in range(1, 6)]
    for address in readers:
        brief(service.root, "subscribers", "add", address, "--confirmed")
    # Everyone's link, from a first issue's send.
    service.send("2026-W46")
    leaving = {str(m["To"]): unsubscribe_link(m) for m in service.mail.messages}
    posted: list[int] = []

    def on_message(message: object) -> None:
        if not posted:  # the first message of the second send: reader4 clicks now
            answer = httpx.post(
                service.base + service.local(leaving["reader4@example.org"]),
                content=b"List-Unsubscribe=One-Click",
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            posted.append(answer.status_code)

    service.mail.on_message = on_message
    before = len(service.mail.messages)
    result = service.send("2026-W47")
    assert posted == [200]
    mailed = [str(m["To"]) for m in service.mail.messages[before:]]
    assert mailed == ["reader1@example.org", "reader2@example.org", "reader3@example.org",
                      "reader5@example.org"]  # fmt: skip
    assert "not to be mailed: reader4@example.org: unsubscribed while this send ran" in (
        result.stderr
    )
    assert "sent 4," in result.stdout and "not to be mailed 1" in result.stdout


def test_two_mailboxes_a_case_fold_would_merge_stay_two(service: Service) -> None:
    """x@straße.de and x@strasse.de are two domains (IDNA 2008), so two readers: each gets
    their own confirmation and their own link. Case alone is one reader."""
    for address in ("x@straße.de", "x@strasse.de", "Ana@Example.org"):
        service.subscribe(address)
    service.wait_for_mail(3)
    service.subscribe("ana@example.org")  # Ana again: her second confirmation
    service.wait_for_mail(4)
    assert sorted(service.statuses()) == ["Ana@example.org", "x@strasse.de", "x@straße.de"]
    by_recipient = {rcpts[0]: content for _, rcpts, content in service.mail.envelopes[:3]}
    assert set(by_recipient) == {"x@xn--strae-oqa.de", "x@strasse.de", "Ana@example.org"}
    tokens = {service.local(links(m)[0]) for m in service.mail.messages[:3]}
    assert len(tokens) == 3
    with service.client() as client:
        for message in service.mail.messages:
            if "strasse" in str(message["To"]):
                assert client.get(service.local(links(message)[0])).status_code == 200
    assert service.statuses()["x@strasse.de"] == "confirmed"
    assert service.statuses()["x@straße.de"] == "pending"


def test_one_mailbox_behind_many_tags_gets_three_confirmations_a_day(service: Service) -> None:
    """victim+1@, victim+2@... all reach victim@: the per-address limit counts the mailbox."""
    for n in range(1, 14):
        assert service.subscribe(f"victim+{n}@example.org").status_code == 200
    service.subscribe("v.ictim+x@gmail.com")
    service.subscribe("victim@gmail.com")
    service.subscribe("someone.else@example.org")
    service.wait_for_mail(3 + 2 + 1)
    tagged = [m for m in service.mail.messages if "victim+" in str(m["To"])]
    gmail = [m for m in service.mail.messages if "gmail.com" in str(m["To"])]
    assert len(tagged) == 3 and len(gmail) == 2
