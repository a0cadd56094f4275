"""The web desk under its production server (uvicorn), as the tests drive it: started in a
process of its own on 127.0.0.1, answered over HTTP with httpx."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from bs4 import BeautifulSoup

from tests.conftest import brief
from tests.service import free_port, start_server, stop

EDITORS = {"Ana Ruiz": "ana-password-1", "Bo Chen": "bo-password-22"}


@dataclass
class Desk:
    root: Path
    base: str
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base, timeout=10, follow_redirects=False)

    def signed_in(self, name: str) -> httpx.Client:
        """A client signed in as `name` (one of EDITORS)."""
        client = self.client()
        answer = sign_in(client, name, EDITORS[name])
        assert answer.status_code == 303, answer.text
        return client


def sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    page = client.get("/sign-in")
    token = field(page.text, "token")
    return client.post("/sign-in", data={"name": name, "password": password, "token": token})


def field(html: str, name: str) -> str:
    """The value of the first hidden field called `name` in a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no field {name!r} in the page"
    return found.group(1)


def edit_form(page: str) -> dict[str, object]:
    """What a browser would send for the annotate form on `page`, unchanged."""
    soup = BeautifulSoup(page, "html.parser")
    form = soup.select_one("form.annotate")
    assert form is not None
    data: dict[str, list[str]] = {}
    for node in form.select("input, textarea, select"):
        name = node.get("name")
        if not name:
            continue
        if node.name == "textarea":
            value = node.get_text()
        elif node.name == "select":
            chosen = node.select_one("option[selected]") or node.select_one("option")
            value = chosen.get("value", chosen.get_text()) if chosen else ""
        elif node.get("type") == "checkbox":
            if not node.has_attr("checked"):
                continue
            value = node.get("value", "on")
        else:
            value = node.get("value", "")
        # As a browser sends it: every line break as CRLF (the HTML form encoding).
        value = str(value).replace("\r\n", "\n").replace("\n", "\r\n")
        data.setdefault(str(name), []).append(value)
    return {k: v if len(v) > 1 or k.startswith(("figure_", "companies")) else v[0]
            for k, v in data.items()}  # fmt: skip


def add_editors(root: Path) -> None:
    for name, password in EDITORS.items():
        brief(root, "editors", "add", name, "--password", password)


def start_desk(root: Path, *args: str) -> tuple[subprocess.Popen[bytes], str]:
    """`brief desk serve` in a process of its own; waits for /health."""
    port = free_port()
    return start_server(
        root, ["desk", "serve", "--port", str(port), *args], port, "/health", "desk"
    )


@contextmanager
def serving(app: object) -> Iterator[str]:
    """An application under uvicorn on 127.0.0.1, in a thread of this process; its base URL."""
    import threading

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


__all__ = ["Desk", "add_editors", "edit_form", "field", "serving", "sign_in", "start_desk", "stop"]
