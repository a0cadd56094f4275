"""A real SMTP server on 127.0.0.1 (aiosmtpd) that records what it receives and can
misbehave on purpose: refuse a recipient for good (550) or for now (451), or be slow."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class Recorder:
    refuse: set[str] = field(default_factory=set)  # 550 every time
    busy_once: set[str] = field(default_factory=set)  # 451 the first time
    delay: float = 0.0
    slow: set[str] = field(default_factory=set)  # answer DATA only after `slow_delay`
    slow_delay: float = 2.0
    envelopes: list[tuple[str, list[str], bytes]] = field(default_factory=list)
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: Counter[str] = field(default_factory=Counter)
    attempts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Called (in the server's thread) as each message arrives, before the server answers.
    on_message: Callable[[EmailMessage], None] | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.attempts[address] += 1
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        if address in self.busy_once and self.attempts[address] == 1:
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            for rcpt in envelope.rcpt_tos:
                self.recipients[rcpt] += 1
        if self.on_message is not None:
            self.on_message(message)  # type: ignore[arg-type]
        if self.slow & set(envelope.rcpt_tos):
            # Delivered, but the answer comes after the client has given up waiting.
            await asyncio.sleep(self.slow_delay)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, recorder: Recorder, smtputf8: bool = False, port: int = 0):
        self.recorder = recorder
        self.port = port
        if not port:
            with socket.socket() as probe:  # aiosmtpd 1.4 cannot listen on port 0 itself
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        self.controller = Controller(
            recorder, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"
