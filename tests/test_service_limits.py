"""The subscription service cannot be exhausted, and loses no sign-up: huge and slow bodies,
a flood from one IPv6 line, a crash right after the answer, an SMTP outage. Over HTTP (and
raw sockets, for what an HTTP client will not send) against uvicorn, with a real SMTP
server."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import brief
from tests.service import Service, free_port, mail_to, start_service, stop, wait_for_mail
from tests.smtp_server import Recorder, SmtpServer

pytestmark = pytest.mark.slow  # each test runs the service under uvicorn in a process of its own


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def raw_request(base: str, head: bytes, body_chunks: int = 0, chunk: bytes = b"") -> bytes:
    """Send a request by hand (a chunked body of `body_chunks` chunks); the answer's bytes."""
    parts = urlsplit(base)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head)
        try:
            for _ in range(body_chunks):
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed before the body ended: what we want
        answer = b""
        while chunk_in := sock.recv(65536):
            answer += chunk_in
            if b"\r\n\r\n" in answer:
                break
        return answer


def unsubscribe_path(service: Service) -> str:
    from brief.audience.tokens import Tokens
    from tests.conftest import TEST_SECRET

    brief(service.root, "subscribers", "add", "reader@example.org", "--confirmed")
    return f"/subscriptions/unsubscribe?token={Tokens(TEST_SECRET).make(1, 'unsubscribe')}"


def test_a_huge_body_is_refused_without_being_read(service: Service) -> None:
    """Every reader holds a valid unsubscribe token: a 1 GB POST (declared, or streamed
    without a length) ends with 413, and the service's memory stays flat."""
    path = unsubscribe_path(service)
    before = rss_kib(service.process.pid)
    declared = raw_request(
        service.base,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1073741824\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode(),
    )
    assert declared.startswith(b"HTTP/1.1 413"), declared[:80]
    streamed = raw_request(
        service.base,
        f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\n".encode(),
        body_chunks=320,
        chunk=b"x" * 65536,  # 20 MiB, if the server kept reading
    )
    assert streamed.startswith(b"HTTP/1.1 413"), streamed[:80]
    for field in ("email", "name"):  # the form too, whatever its encoding
        with service.client() as client:
            big = client.post(
                "/subscriptions/subscribe", data={"email": "a@example.org", field: "n" * 200_000}
            )
        assert big.status_code == 413
    assert rss_kib(service.process.pid) - before < 16_384
    assert service.statuses() == {"reader@example.org": "confirmed"}  # nothing changed


def test_a_slow_body_ends_with_408(service: Service) -> None:
    """A client that announces a body and then sends it a byte at a time (or not at all)
    is answered 408 once the body's time is up (1 s in these tests), not held forever."""
    path = unsubscribe_path(service)
    parts = urlsplit(service.base)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 26\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n\r\nList-".encode()
        )
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:80]
    assert time.monotonic() - started < 5
    assert service.statuses() == {"reader@example.org": "confirmed"}


def test_one_ipv6_line_is_one_client(service: Service) -> None:
    """A client rotating through the addresses of its /64 (behind the proxy, which passes
    X-Forwarded-For) is counted as one: 20 sign-ups an hour, then 429."""
    answers = []
    with service.client() as client:
        for n in range(22):
            answers.append(
                client.post(
                    "/subscriptions/subscribe",
                    data={"email": f"r{n}@example.org"},
                    headers={"X-Forwarded-For": f"2001:db8:1:2::{n + 1:x}"},
                ).status_code
            )
        other = client.post(
            "/subscriptions/subscribe",
            data={"email": "other@example.org"},
            headers={"X-Forwarded-For": "2001:db8:1:3::1"},
        )
    assert answers == [200] * 20 + [429] * 2
    assert other.status_code == 200
    service.wait_for_mail(21)


def test_a_sign_up_survives_a_crash_and_an_smtp_outage(sendable: Path) -> None:
    """The mail server is down when a reader signs up (three times), and the service is
    killed right after answering. Nothing is lost: once the mail server is back and the
    service restarted, one confirmation goes out; "confirmation sent" is recorded only
    then, so the outage used none of the reader's daily allowance."""
    port = free_port()  # nothing listens there yet
    mail_to(sendable, port)
    process, base = start_service(sendable)
    try:
        import httpx

        for _ in range(3):
            answer = httpx.post(
                f"{base}/subscriptions/subscribe", data={"email": "ana@example.org"}
            )
            assert answer.status_code == 200
        deadline = time.monotonic() + 15  # a retry fails against the closed port
        while "will retry" not in (sendable / "service.log").read_text():
            assert time.monotonic() < deadline, "no failed attempt logged"
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)  # no shutdown: a crash
        process.wait()
    events = json.loads(
        brief(sendable, "subscribers", "history", "ana@example.org", "--json").stdout
    )
    assert [e["status"] for e in events] == ["pending"]  # nothing sent, nothing counted
    recorder = Recorder()
    with SmtpServer(recorder, port=port):
        process, base = start_service(sendable)
        try:
            wait_for_mail(recorder, 1)  # the three sign-ups of the outage: one confirmation
            # The day's allowance is untouched: two more are sent (each awaited before the
            # next sign-up: two at once are answered with one confirmation).
            for sent in (2, 3):
                httpx.post(f"{base}/subscriptions/subscribe", data={"email": "ana@example.org"})
                wait_for_mail(recorder, sent)
            httpx.post(f"{base}/subscriptions/subscribe", data={"email": "ana@example.org"})
            wait_for_mail(recorder, 3)  # and then no more today
        finally:
            stop(process)
    events = json.loads(
        brief(sendable, "subscribers", "history", "ana@example.org", "--json").stdout
    )
    assert [e["status"] for e in events].count("confirmation sent") == 3
