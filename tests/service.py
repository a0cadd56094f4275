"""The subscription service under its production server (uvicorn), as the tests drive it:
started in a process of its own, answered over HTTP with httpx, its mail caught by a real
SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from bs4 import BeautifulSoup

from tests.conftest import brief
from tests.smtp_server import Recorder, SmtpServer

PUBLIC = "https://brief.example.com/subscriptions/"  # publishconf.py's service URL
NEUTRAL = "If this address can receive the newsletter, a message is on its way to it"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Service:
    root: Path
    base: str  # http://127.0.0.1:PORT
    mail: Recorder
    smtp: SmtpServer
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, follow_redirects=False)

    def subscribe(self, email: str, name: str = "", **extra: str) -> httpx.Response:
        with self.client() as client:
            return client.post(
                "/subscriptions/subscribe", data={"email": email, "name": name, **extra}
            )

    def local(self, public_link: str) -> str:
        """A link of an email (to the public host), as the reverse proxy hands it to us."""
        assert public_link.startswith(PUBLIC), public_link
        parts = urlsplit(public_link)
        return f"{parts.path}?{parts.query}"

    def statuses(self) -> dict[str, str]:
        listed = json.loads(brief(self.root, "subscribers", "list", "--json").stdout)
        return {row["email"]: row["status"] for row in listed}

    def send(self, week: str, *extra: str) -> subprocess.CompletedProcess[str]:
        return brief(self.root, "send", week, "--smtp", self.smtp.address, *extra)

    def wait_for_mail(self, count: int) -> None:
        """Wait for `count` messages in all, and no more: the service asks the mail server
        only after its answer has left."""
        wait_for_mail(self.mail, count)

    def mailed(self, address: str) -> list[EmailMessage]:
        return [m for m in self.mail.messages if address in str(m["To"])]


def wait_for_mail(recorder: Recorder, count: int, settle: float = 0.3) -> None:
    deadline = time.monotonic() + 15
    while len(recorder.messages) < count:
        assert time.monotonic() < deadline, f"{len(recorder.messages)} messages, not {count}"
        time.sleep(0.02)
    time.sleep(settle)
    assert len(recorder.messages) == count, [str(m["To"]) for m in recorder.messages]


def start_service(root: Path, *args: str, port: int = 0, site: bool = False) -> tuple[
    subprocess.Popen[bytes], str
]:  # fmt: skip
    """`brief [args] subscriptions serve` in a process of its own; waits for /health."""
    port = port or free_port()
    serve = ["subscriptions", "serve", "--port", str(port), *(["--site", "output"] if site else [])]
    return start_server(root, [*args, *serve], port, "/subscriptions/health", "service")


def start_server(
    root: Path, arguments: list[str], port: int, health: str, name: str
) -> tuple[subprocess.Popen[bytes], str]:
    """`brief ARGUMENTS` (a server on `port`) in a process of its own, its errors in
    NAME.log; waits for its `health` path to answer."""
    process = subprocess.Popen(
        [sys.executable, "-m", "brief", *arguments],
        cwd=root,
        env=dict(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=(root / f"{name}.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (root / f"{name}.log").read_text()
            raise AssertionError(f"the {name} exited {process.returncode}:\n{log}")
        try:
            if httpx.get(f"{base}{health}", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError(f"the {name} did not answer {health} within 30 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def mail_to(root: Path, smtp: SmtpServer | int) -> None:
    """Confirmation emails go to the test's SMTP server (or port: nothing may listen there
    yet), refused ones are retried quickly, and a body must arrive within a second
    (publishconf reads pelicanconf)."""
    port = smtp if isinstance(smtp, int) else smtp.port
    conf = root / "pelicanconf.py"
    conf.write_text(
        conf.read_text()
        + f'\nBRIEF_SMTP = {{"host": "127.0.0.1", "port": {port}, "security": "none",'
        ' "backoff": 0.05}\n'
        'BRIEF_SUBSCRIPTIONS = {**BRIEF_SUBSCRIPTIONS, "retry": 0.05, "body_timeout": 1.0}\n'
    )


def links(message: EmailMessage) -> tuple[str, str]:
    """The link in a message's plain text, and the same in its HTML (they must agree)."""
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    (in_text,) = set(re.findall(r"https?://\S+/confirm\?token=\S+", plain))
    anchors = BeautifulSoup(html, "html.parser").find_all("a", href=re.compile("/confirm\\?"))
    assert {a["href"] for a in anchors} == {in_text}
    return in_text, html


def unsubscribe_link(message: EmailMessage) -> str:
    """The message's own unsubscribe link: in List-Unsubscribe and in both parts."""
    (header,) = re.findall(r"<(https://[^>]+)>", message["List-Unsubscribe"])
    plain = message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = message.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert header in plain
    assert header in {a["href"] for a in BeautifulSoup(html, "html.parser").find_all("a")}
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    return header
