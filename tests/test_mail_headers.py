"""Nobody writes headers or bodies into our mail: a reader's name is plain text, wherever it
comes from (the sign-up form, a `brief send --to` CSV, `brief subscribers import`).

The email package decodes RFC 2047 encoded-words in a display name and writes what they
decode to, CR and LF included. These tests read the raw bytes the SMTP server received."""

from __future__ import annotations

import base64
import csv
import email
from email.policy import default

import pytest

from tests.conftest import brief
from tests.service import Service, links

pytestmark = pytest.mark.slow  # each test runs the service under uvicorn in a process of its own


def encoded(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


PAYLOADS = {
    "encoded CR LF": encoded("Ana\r\nReply-To: thief@attacker.example\r\n\r\n<h1>You won</h1>"),
    "encoded NUL": encoded("Ana\x00\r\nBcc: victim@attacker.example"),
    "nested encoded-words": encoded(encoded("\r\nBcc: victim@attacker.example")),
    "quoted-printable": "=?utf-8?q?Ana=0D=0ABcc:_victim@attacker.example?=",
    "very long": encoded("\r\nX-Injected: 1") * 40,
    "split across words": "=?utf-8?q?Ana=0D?= =?utf-8?q?=0AX-Injected:_1?=",
}


def header_names(raw: bytes) -> list[str]:
    """The names of the top-level headers, read off the bytes (no parser in between)."""
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[0].decode("ascii", "replace")
        for line in head.split(b"\r\n")
        if line and line[:1] not in (b" ", b"\t")
    ]


def assert_only_ours(raw: bytes, reference: bytes, address: str) -> None:
    assert header_names(raw) == header_names(reference)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\x00" not in raw
    assert b"Reply-To" not in head and b"Bcc" not in head and b"X-Injected" not in head
    message = email.message_from_bytes(raw, policy=default)
    (to,) = message["To"].addresses
    assert to.addr_spec == address
    assert all(ord(c) >= 32 for c in to.display_name)  # no control character survives
    parts = [p.get_content_type() for p in message.walk()]
    assert parts == ["multipart/alternative", "text/plain", "text/html"]
    assert b"You won" not in raw


def raw_to(service: Service, address: str) -> list[bytes]:
    return [content for _, rcpts, content in service.mail.envelopes if address in rcpts]


def test_a_name_from_the_form_stays_a_name(service: Service) -> None:
    """The confirmation email, the welcome, then the digest, to readers whose names are
    attacks."""
    service.subscribe("plain@example.org", "Plain Reader")
    service.wait_for_mail(1)
    targets = {f"target{n}@example.org": name for n, name in enumerate(PAYLOADS.values())}
    for address, name in targets.items():
        service.subscribe(address, name)
    service.wait_for_mail(1 + len(targets))
    (reference,) = raw_to(service, "plain@example.org")
    for address in targets:
        (confirmation,) = raw_to(service, address)
        assert_only_ours(confirmation, reference, address)
    # Each confirms with their link; the digest then goes to the name the store kept.
    with service.client() as client:
        for message in list(service.mail.messages):
            confirm, _ = links(message)
            assert client.get(service.local(confirm)).status_code == 200
    service.wait_for_mail(2 * (1 + len(targets)))  # and each one's welcome
    listed = brief(service.root, "subscribers", "list", "--json").stdout
    assert "\\u0000" not in listed and "\\r" not in listed
    service.send("2026-W46")
    _, welcome, reference = raw_to(service, "plain@example.org")
    for address in targets:
        _, their_welcome, digest = raw_to(service, address)
        assert_only_ours(their_welcome, welcome, address)
        assert_only_ours(digest, reference, address)


def test_a_name_from_a_csv_or_an_import_stays_a_name(service: Service) -> None:
    root = service.root
    listed = {f"listed{n}@example.org": name for n, name in enumerate(PAYLOADS.values())}
    imported = {f"imported{n}@example.org": name for n, name in enumerate(PAYLOADS.values())}
    for file, people in (("to.csv", listed), ("import.csv", imported)):
        with (root / file).open("w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(["email", "name"])
            writer.writerow(["plain@example.org", "Plain Reader"])
            writer.writerows(people.items())
    service.send("2026-W46", "--to", "to.csv")
    (reference,) = raw_to(service, "plain@example.org")
    for address in listed:
        (raw,) = raw_to(service, address)
        assert_only_ours(raw, reference, address)
    brief(root, "subscribers", "import", "import.csv", "--confirmed")
    service.send("2026-W47")  # every confirmed subscriber: the imported ones among them
    reference = raw_to(service, "plain@example.org")[-1]
    for address in imported:
        (raw,) = raw_to(service, address)
        assert_only_ours(raw, reference, address)


def test_the_policy_writes_no_header_line_of_its_own() -> None:
    """Belt and braces: whatever reaches a header, the message is never written with a line
    break that starts a header of its own (CPython before 3.11.10 writes it)."""
    from email.headerregistry import Address
    from email.message import EmailMessage

    from brief.ground.errors import DeliveryError
    from brief.mail.headers import MAIL_POLICY

    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = "Week 46"
    message["To"] = Address(display_name=PAYLOADS["encoded CR LF"], addr_spec="a@example.org")
    message.set_content("body")
    with pytest.raises(DeliveryError, match="To header would break into headers"):
        message.as_bytes(policy=MAIL_POLICY)
