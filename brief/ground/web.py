"""What the web services share (the subscription service, the web desk): a rate limit that
holds one number per client, whom a request counts against, and a cap on request bodies."""

from __future__ import annotations

import asyncio
import ipaddress
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class RateLimit:
    """At most `limit` requests per key in a burst, then one every `window / limit`
    seconds: `limit` an hour, say, without a list of times per key (GCRA, the generic cell
    rate algorithm: one number per key). O(1) per request; at most `max_keys` keys, the
    least recently seen forgotten first, so a flood of one-off clients cannot grow it."""

    MAX_KEYS = 100_000

    def __init__(
        self,
        limit: int,
        window: float,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.interval = window / limit
        self.tolerance = window - self.interval
        self.max_keys = max_keys
        self._clock = clock
        self._due: OrderedDict[str, float] = OrderedDict()  # key -> theoretical arrival
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._due)

    def allow(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            due = max(self._due.get(key, now), now)
            allowed = due - now <= self.tolerance
            self._due[key] = due + self.interval if allowed else due
            self._due.move_to_end(key)
            if len(self._due) > self.max_keys:
                self._due.popitem(last=False)
            return allowed

    def refund(self, key: str) -> None:
        """Take back one request `allow` counted (one that turned out not to count: a
        sign-in that succeeded)."""
        now = self._clock()
        with self._lock:
            if key in self._due:
                self._due[key] = max(self._due[key] - self.interval, now)


def client_key(host: str) -> str:
    """Whom a request counts against: an IPv4 address, or an IPv6 /64 (one subscriber's
    line, which holds more addresses than any limit could count one by one)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class BodyLimit:
    """ASGI middleware: every request body is read here first, at most `max_body` bytes
    (413 beyond, without reading the rest) within `timeout` seconds (408 beyond), then
    handed to the application. No route can be made to hold a large or a slow body."""

    def __init__(self, app: ASGIApp, max_body: int, timeout: float):
        self.app, self.max_body, self.timeout = app, max_body, timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await _refuse(413, "That request is too large.", scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return  # the client left: nothing to answer
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_body:
                        await _refuse(413, "That request is too large.", scope, receive, send)
                        return
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        break
        except TimeoutError:
            await _refuse(408, "That request took too long to arrive.", scope, receive, send)
            return
        body = b"".join(chunks)
        given = False

        async def replay() -> Message:
            nonlocal given
            if not given:
                given = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


async def _refuse(status: int, text: str, scope: Scope, receive: Receive, send: Send) -> None:
    answer = PlainTextResponse(text, status_code=status, headers={"Connection": "close"})
    await answer(scope, receive, send)


class DefaultHeaders:
    """ASGI middleware: `headers` on every response that does not set its own."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]):
        self.app = app
        self.headers = [
            (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, sending)
